"""Import a shop's order history through its REST API, as a background job.

Webhooks bring what happens from the day they are set up; this pull brings
what happened before. It is a :mod:`kundig.core.jobs` kind: each chunk is
one page of the shop's orders. :meth:`ShopSync.work` fetches the page
outside any transaction; :meth:`ShopSync.commit` records its orders through
the platform's ``record_order`` (the webhook adapters' own) and moves the
cursor to the next page in the same transaction. A worker that dies loses
at most the page it was on and the next run fetches that page again; an
order recorded twice is one order anyway (``order_record`` upserts by
source and external ID). An order that cannot be mapped is counted and its
reason kept (the first :data:`MAX_ERRORS`); the sync goes on.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundig.core import events
from kundig.core.choices import JOB_ACTIVE_STATUSES, Permission
from kundig.core.jobs import kinds
from kundig.core.jobs.kinds import JobFailed
from kundig.core.jobs.services import job_start
from kundig.core.models import Job, User
from kundig.core.permissions import require

from .models import ShopConnection
from .services import mapping_reason
from .shop import MappingError, Page, ShopApiError, order_recorder, pull_for

logger = logging.getLogger(__name__)

KIND = "integrations.shop_sync"
MAX_ERRORS = 20
# What a malformed order can raise while it is mapped and recorded. Anything
# else (a lost database connection, a bug) stops the chunk, so no order is
# counted as failed for a reason that is not its own.
ORDER_ERRORS = (
    MappingError,
    ValidationError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    ArithmeticError,
    IntegrityError,
    DataError,
)


@transaction.atomic
def shop_sync_start(*, actor: User, connection: ShopConnection) -> tuple[Job, bool]:
    """Start importing ``connection``'s order history; admins only.

    Return the job and whether it is new: while an import of the same shop
    is queued or running, that one is returned instead of a second.
    """
    require(actor, Permission.MANAGE)
    connection = ShopConnection.objects.select_for_update().get(pk=connection.pk)
    if not connection.is_active:
        raise ValidationError(_("This shop connection is not active."))
    if not connection.can_pull:
        raise ValidationError(_("This shop connection has no API address."))
    running = (
        Job.objects.filter(
            kind=KIND, params__connection=connection.pk, status__in=JOB_ACTIVE_STATUSES
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if running is not None:
        return running, False
    job = job_start(
        actor=actor,
        kind=KIND,
        params={"connection": connection.pk, "shop": connection.name},
    )
    return job, True


def _connection(job: Job) -> ShopConnection:
    connection = ShopConnection.objects.filter(pk=job.params["connection"]).first()
    if connection is None:
        raise JobFailed(_("The shop connection was deleted."))
    if not connection.is_active:
        raise JobFailed(_("This shop connection is not active."))
    if not connection.can_pull:
        raise JobFailed(_("This shop connection has no API address."))
    return connection


def _failed(exc: ShopApiError, connection: ShopConnection) -> JobFailed:
    if exc.refused_credentials:
        message = _(
            "The shop refused the API credentials of %(shop)s; check the API key "
            "and secret. The shop answered: %(error)s"
        )
    else:
        message = _("The order history of %(shop)s could not be read: %(error)s")
    return JobFailed(message % {"shop": connection.name, "error": exc})


def _label(order, page: int, index: int) -> str:
    """Return how an order is named in an error: its number, else its place."""
    if isinstance(order, dict):
        for key in ("orderNumber", "name", "number", "id"):
            if order.get(key) not in (None, ""):
                return _("Order %(number)s") % {"number": order[key]}
    return _("Order %(index)d on page %(page)d") % {"index": index + 1, "page": page}


class ShopSync(kinds.JobKind):
    """Import one shop's orders, page by page, from its REST API."""

    name = KIND
    permission = Permission.MANAGE
    task_path = "kundig.integrations.tasks.shop_sync_task"

    def prepare(self, job: Job) -> None:
        connection = _connection(job)
        pull = pull_for(connection)
        try:
            total = pull.count()
        except ShopApiError as exc:
            raise _failed(exc, connection) from None
        job.total = total or 0
        job.state = {"next": pull.first(), "errors": []}

    def work(self, job: Job) -> Page | None:
        cursor = job.state.get("next")
        if cursor is None:
            return None
        connection = _connection(job)
        try:
            return pull_for(connection).page(cursor)
        except ShopApiError as exc:
            raise _failed(exc, connection) from None

    def commit(self, job: Job, work: Page) -> None:
        connection = _connection(job)
        record = order_recorder(connection.platform)
        page = job.cursor + 1
        state = dict(job.state)
        errors = list(state.get("errors", []))
        counters = dict(job.counters)
        for index, order in enumerate(work.orders):
            try:
                # History, not news: playbooks do not answer pulled orders.
                with transaction.atomic(), events.historical():
                    note = record(connection, order)
            except ORDER_ERRORS as exc:
                reason = mapping_reason(exc)
                counters["skipped"] = counters.get("skipped", 0) + 1
                if len(errors) < MAX_ERRORS:
                    errors.append(f"{_label(order, page, index)}: {reason}"[:500])
                logger.warning(
                    "Shop sync %s (connection %s): an order on page %s failed: %s",
                    job.pk,
                    connection.pk,
                    page,
                    reason,
                )
                continue
            key = "created" if note.startswith("order created") else "updated"
            counters[key] = counters.get(key, 0) + 1
            job.done += 1
        job.cursor = page
        job.counters = counters
        state["errors"] = errors
        state["next"] = work.next
        job.state = state
        handled = job.done + counters.get("skipped", 0)
        total = max(work.total or 0, handled)
        if work.next is None:
            total = handled  # the last page: now the number is exact
        if total != job.total:
            # The shop took orders during the import; the bar follows.
            job.total = total
            Job.objects.filter(pk=job.pk).update(total=total)

    def title(self, job: Job) -> str:
        return _("Import the order history of %(shop)s") % {"shop": job.params["shop"]}

    def result(self, job: Job) -> str:
        created = job.counters.get("created", 0)
        updated = job.counters.get("updated", 0)
        skipped = job.counters.get("skipped", 0)
        text = ngettext(
            "%(n)d order read from %(shop)s: %(created)d new, %(updated)d known.",
            "%(n)d orders read from %(shop)s: %(created)d new, %(updated)d known.",
            job.done,
        ) % {
            "n": job.done,
            "shop": job.params["shop"],
            "created": created,
            "updated": updated,
        }
        if skipped:
            text += " " + ngettext(
                "%(n)d order could not be read; the reasons are on the Shop "
                "webhooks page.",
                "%(n)d orders could not be read; the reasons are on the Shop "
                "webhooks page.",
                skipped,
            ) % {"n": skipped}
        return text


kinds.register(ShopSync())
