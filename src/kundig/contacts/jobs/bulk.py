"""Tag, untag and assign many records: at once, or as a background job.

A selection of up to ``KUNDIG_BULK_SYNC_LIMIT`` records is changed in the
request, in one transaction. A larger one becomes a job that works through
the selection in chunks of :data:`CHUNK_SIZE` records in primary-key order,
each chunk in its own transaction. The job evaluates the selection again
for every chunk, with its creator's visibility and role at that moment: a
record its creator can no longer see is not touched. Both paths write
through the same services, which write the audit entries and events.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundig.core.choices import Permission
from kundig.core.jobs import kinds
from kundig.core.jobs.kinds import JobFailed
from kundig.core.jobs.services import job_start
from kundig.core.models import Job, User
from kundig.core.permissions import require

from .records import RECORD_TYPES, InvalidFilter, RecordType, selected

KIND = "contacts.bulk"
CHUNK_SIZE = 1000
ACTIONS = ("tag", "untag", "assign")


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk request did: changed ``count`` records, or started ``job``."""

    message: str = ""
    count: int = 0
    job: Job | None = None


def bulk_message(
    record_key: str, action: str, count: int, *, tag: str = "", owner: str = ""
) -> str:
    """Return the sentence that reports a finished bulk action."""
    values = {"n": count, "tag": tag, "owner": owner}
    if record_key == "company":
        if action == "tag":
            text = ngettext(
                "Tag %(tag)s added to %(n)d company.",
                "Tag %(tag)s added to %(n)d companies.",
                count,
            )
        elif action == "untag":
            text = ngettext(
                "Tag %(tag)s removed from %(n)d company.",
                "Tag %(tag)s removed from %(n)d companies.",
                count,
            )
        else:
            text = ngettext(
                "%(n)d company assigned to %(owner)s.",
                "%(n)d companies assigned to %(owner)s.",
                count,
            )
    elif action == "tag":
        text = ngettext(
            "Tag %(tag)s added to %(n)d contact.",
            "Tag %(tag)s added to %(n)d contacts.",
            count,
        )
    elif action == "untag":
        text = ngettext(
            "Tag %(tag)s removed from %(n)d contact.",
            "Tag %(tag)s removed from %(n)d contacts.",
            count,
        )
    else:
        text = ngettext(
            "%(n)d contact assigned to %(owner)s.",
            "%(n)d contacts assigned to %(owner)s.",
            count,
        )
    return text % values


def _apply(record_type: RecordType, *, actor, action: str, tag, owner, records) -> int:
    if action == "tag":
        return record_type.bulk_tag(actor=actor, records=records, add=[tag])
    if action == "untag":
        return record_type.bulk_tag(actor=actor, records=records, remove=[tag])
    return record_type.bulk_assign(actor=actor, records=records, owner=owner)


def records_bulk_apply(
    *,
    actor: User,
    record_type: RecordType,
    action: str,
    tag: str = "",
    owner: User | None = None,
    ids: list[int] | None = None,
    query: str = "",
) -> BulkOutcome:
    """Apply ``action`` to ``ids``, or (``ids`` None) to all records matching ``query``.

    Up to ``KUNDIG_BULK_SYNC_LIMIT`` records are changed now; more start a
    background job. Raise ValidationError for a filter that is not valid.
    """
    require(actor, Permission.BULK_EDIT)
    if action not in ACTIONS:
        raise ValueError(f"Unknown bulk action {action!r}")
    limit = settings.KUNDIG_BULK_SYNC_LIMIT
    if ids is None:
        try:
            records = selected(record_type, actor, query=query, ids=None)
        except InvalidFilter:
            raise ValidationError(_("The filter is not valid.")) from None
        large = records.order_by()[: limit + 1].count() > limit
    else:
        ids = sorted(set(ids))
        records = record_type.visible(actor).filter(pk__in=ids)
        large = len(ids) > limit
    if large:
        params = {
            "records": record_type.key,
            "action": action,
            "tag": tag if action != "assign" else "",
            "owner": owner.pk if action == "assign" and owner else None,
            "owner_name": str(owner) if action == "assign" and owner else "",
            "query": query,
            "ids": ids,
        }
        job = job_start(actor=actor, kind=KIND, params=params)
        return BulkOutcome(job=job)
    with transaction.atomic():
        count = _apply(
            record_type,
            actor=actor,
            action=action,
            tag=tag,
            owner=owner,
            records=records,
        )
    message = bulk_message(
        record_type.key, action, count, tag=tag, owner=str(owner) if owner else ""
    )
    return BulkOutcome(message=message, count=count)


class BulkJob(kinds.JobKind):
    """A bulk action on more records than a request may change."""

    name = KIND
    permission = Permission.BULK_EDIT
    task_path = "kundig.contacts.tasks.bulk_job_run_task"

    def prepare(self, job: Job) -> None:
        params = job.params
        if params.get("ids") is not None:
            job.total = len(params["ids"])
            return
        record_type = RECORD_TYPES[params["records"]]
        try:
            records = selected(
                record_type, job.created_by, query=params["query"], ids=None
            )
        except InvalidFilter:
            raise JobFailed(_("The filter is not valid any more.")) from None
        job.total = records.order_by().count()

    def work(self, job: Job) -> list[int] | None:
        """Return the ids of the next chunk: the next selected ids after the cursor."""
        params = job.params
        if params.get("ids") is not None:
            ids = params["ids"]
            start = bisect.bisect_right(ids, job.cursor)
            return ids[start : start + CHUNK_SIZE] or None
        record_type = RECORD_TYPES[params["records"]]
        try:
            records = selected(
                record_type, job.created_by, query=params["query"], ids=None
            )
        except InvalidFilter:
            raise JobFailed(_("The filter is not valid any more.")) from None
        ids = list(
            records.filter(pk__gt=job.cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK_SIZE]
        )
        return ids or None

    def commit(self, job: Job, work: list[int]) -> None:
        params = job.params
        record_type = RECORD_TYPES[params["records"]]
        actor = job.created_by
        # Visibility again, in the chunk's transaction: what the creator cannot
        # see now is not touched, whatever was selected.
        records = record_type.visible(actor).filter(pk__in=work)
        count = _apply(
            record_type,
            actor=actor,
            action=params["action"],
            tag=params["tag"],
            owner=params["owner"],
            records=records,
        )
        job.cursor = work[-1]
        job.done += count
        if count < len(work):
            job.counters["skipped"] = job.counters.get("skipped", 0) + (
                len(work) - count
            )

    def title(self, job: Job) -> str:
        params = job.params
        values = {"tag": params.get("tag", ""), "owner": params.get("owner_name", "")}
        titles = {
            ("contact", "tag"): _("Add tag %(tag)s to contacts"),
            ("contact", "untag"): _("Remove tag %(tag)s from contacts"),
            ("contact", "assign"): _("Assign contacts to %(owner)s"),
            ("company", "tag"): _("Add tag %(tag)s to companies"),
            ("company", "untag"): _("Remove tag %(tag)s from companies"),
            ("company", "assign"): _("Assign companies to %(owner)s"),
        }
        return titles[(params["records"], params["action"])] % values

    def result(self, job: Job) -> str:
        params = job.params
        return bulk_message(
            params["records"],
            params["action"],
            job.done,
            tag=params.get("tag", ""),
            owner=params.get("owner_name", ""),
        )


kinds.register(BulkJob())
