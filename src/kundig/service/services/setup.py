"""Setting up the service desk: queues, service levels, which shop events open
tickets, and the desk's business hours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kundig.core.audit import audit_changes, audit_created, audit_deleted
from kundig.core.choices import Permission
from kundig.core.permissions import require
from kundig.core.text import one_line

from ..calendar import regions
from ..choices import TicketCategory
from ..models import Queue, ServiceSettings, SlaPolicy

QUEUE_FIELDS = (
    "name", "team", "mailbox", "team_lead", "escalation_owner", "is_default",
)  # fmt: skip
SLA_POLICY_FIELDS = (
    "name", "priority", "category", "channel", "first_response_minutes",
    "resolution_minutes", "business_hours", "position", "is_active",
)  # fmt: skip
# A target further off than a year is a typing mistake, not a service level.
MAX_TARGET_MINUTES = 365 * 24 * 60


def _queue_snapshot(queue: Queue) -> dict:
    return {
        "name": queue.name,
        "team": str(queue.team or ""),
        "mailbox": str(queue.mailbox or ""),
        "team_lead": str(queue.team_lead or ""),
        "escalation_owner": str(queue.escalation_owner or ""),
        "is_default": queue.is_default,
    }


@transaction.atomic
def queue_save(*, actor, queue: Queue | None = None, **data) -> Queue:
    """Create or change a queue; there is always exactly one default queue."""
    require(actor, Permission.MANAGE)
    creating = queue is None
    queue = queue or Queue()
    before = {} if creating else _queue_snapshot(queue)
    for name, value in data.items():
        if name not in QUEUE_FIELDS:
            raise TypeError(f"unknown queue field {name}")
        setattr(queue, name, one_line(value) if isinstance(value, str) else value)
    try:
        queue.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    others = Queue.objects.select_for_update().exclude(pk=queue.pk)
    if queue.is_default:
        for other in others.filter(is_default=True):
            other.is_default = False
            other.save(update_fields=["is_default"])
            audit_changes(
                other,
                actor=actor,
                before={"is_default": True},
                after={"is_default": False},
            )
    elif not others.filter(is_default=True).exists():
        queue.is_default = True  # tickets need a queue to land in
    queue.save()
    if creating:
        audit_created(queue, actor=actor)
    else:
        audit_changes(queue, actor=actor, before=before, after=_queue_snapshot(queue))
    return queue


def _sla_policy_snapshot(policy: SlaPolicy) -> dict:
    return {field: getattr(policy, field) for field in SLA_POLICY_FIELDS}


def _check_targets(policy: SlaPolicy) -> None:
    errors = {}
    for field in ("first_response_minutes", "resolution_minutes"):
        minutes = getattr(policy, field)
        if minutes is None or minutes <= 0:
            errors[field] = _("Give a time longer than nothing.")
        elif minutes > MAX_TARGET_MINUTES:
            errors[field] = _("Give a time of a year at most.")
    if not errors and policy.resolution_minutes < policy.first_response_minutes:
        errors["resolution_minutes"] = _(
            "Solving cannot take less time than the first answer."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def sla_policy_save(*, actor, policy: SlaPolicy | None = None, **data) -> SlaPolicy:
    """Create or change a service level.

    Tickets keep the clocks they have; a ticket gets the changed level's
    clocks when it is next changed in a way that sets them anew.
    """
    require(actor, Permission.MANAGE)
    creating = policy is None
    policy = policy or SlaPolicy()
    before = {} if creating else _sla_policy_snapshot(policy)
    for name, value in data.items():
        if name not in SLA_POLICY_FIELDS:
            raise TypeError(f"unknown service level field {name}")
        setattr(policy, name, one_line(value) if isinstance(value, str) else value)
    _check_targets(policy)
    try:
        policy.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    policy.save()
    if creating:
        audit_created(policy, actor=actor)
    else:
        audit_changes(
            policy, actor=actor, before=before, after=_sla_policy_snapshot(policy)
        )
    return policy


@transaction.atomic
def sla_policy_delete(*, actor, policy: SlaPolicy) -> None:
    """Delete a service level; its tickets keep their clocks, without its name."""
    require(actor, Permission.MANAGE)
    audit_deleted(policy, actor=actor)
    policy.delete()


SETTINGS_FIELDS = (
    "open_on_late_shipment", "open_on_unavailable", "open_on_revocation_rejected",
    "work_days", "work_start",
    "work_end", "holiday_region", "valued_revenue", "valued_factor", "ask_rating",
    "escalate_categories", "escalate_negative", "escalate_valued",
)  # fmt: skip


def _work_days(days) -> str:
    """ISO weekdays ("135", or 1, 3, 5) as the settings keep them: "135"."""
    wanted = {str(day) for day in days}
    if not wanted:
        raise ValidationError({"work_days": _("Choose at least one working day.")})
    if not wanted <= set("1234567"):
        raise ValidationError({"work_days": _("Choose days from Monday to Sunday.")})
    return "".join(sorted(wanted))


@transaction.atomic
def service_settings_save(
    *,
    actor,
    open_on_late_shipment: bool | None = None,
    open_on_unavailable: bool | None = None,
    open_on_revocation_rejected: bool | None = None,
    work_days: str | list | None = None,
    work_start: dt.time | None = None,
    work_end: dt.time | None = None,
    holiday_region: str | None = None,
    valued_revenue: Decimal | None = None,
    valued_factor: Decimal | None = None,
    ask_rating: bool | None = None,
    escalate_categories: list[str] | None = None,
    escalate_negative: bool | None = None,
    escalate_valued: bool | None = None,
) -> ServiceSettings:
    """Switch tickets from shop events on or off, set the desk's hours, and
    which customers count as valued for goodwill, whether solved tickets ask
    for a rating, and which tickets go to the escalation owner at once.

    What is left out (None) stays as it is. New hours count for the clocks
    set from now on; running clocks keep their deadlines.
    """
    require(actor, Permission.MANAGE)
    wanted = ServiceSettings.current()
    before = {field: getattr(wanted, field) for field in SETTINGS_FIELDS}
    if work_days is not None:
        wanted.work_days = _work_days(work_days)
    if escalate_categories is not None:
        unknown = set(escalate_categories) - set(TicketCategory.values)
        if unknown:
            raise ValidationError(
                {"escalate_categories": _("Choose categories from the list.")}
            )
        wanted.escalate_categories = ",".join(sorted(escalate_categories))
    if holiday_region is not None:
        if holiday_region and holiday_region not in dict(regions()):
            raise ValidationError(
                {"holiday_region": _("Choose a Bundesland, or nationwide only.")}
            )
        wanted.holiday_region = holiday_region
    for field, value in (
        ("open_on_late_shipment", open_on_late_shipment),
        ("open_on_unavailable", open_on_unavailable),
        ("open_on_revocation_rejected", open_on_revocation_rejected),
        ("work_start", work_start),
        ("work_end", work_end),
        ("valued_revenue", valued_revenue),
        ("valued_factor", valued_factor),
        ("ask_rating", ask_rating),
        ("escalate_negative", escalate_negative),
        ("escalate_valued", escalate_valued),
    ):
        if value is not None:
            setattr(wanted, field, value)
    if wanted.work_end <= wanted.work_start:
        raise ValidationError({"work_end": _("The day must end after it starts.")})
    try:
        wanted.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    wanted.save()
    audit_changes(
        wanted,
        actor=actor,
        before=before,
        after={field: getattr(wanted, field) for field in SETTINGS_FIELDS},
    )
    return wanted
