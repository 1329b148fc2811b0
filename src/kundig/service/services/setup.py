"""Setting up the service desk: queues, and which shop events open tickets."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.permissions import require
from kundig.core.text import one_line

from ..models import Queue, ServiceSettings

QUEUE_FIELDS = ("name", "team", "mailbox", "escalation_owner", "is_default")


def _queue_snapshot(queue: Queue) -> dict:
    return {
        "name": queue.name,
        "team": str(queue.team or ""),
        "mailbox": str(queue.mailbox or ""),
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


@transaction.atomic
def service_settings_save(
    *, actor, open_on_late_shipment: bool, open_on_unavailable: bool
) -> ServiceSettings:
    """Switch tickets from shop events on or off."""
    require(actor, Permission.MANAGE)
    wanted = ServiceSettings.current()
    fields = ("open_on_late_shipment", "open_on_unavailable")
    before = {field: getattr(wanted, field) for field in fields}
    wanted.open_on_late_shipment = open_on_late_shipment
    wanted.open_on_unavailable = open_on_unavailable
    wanted.save()
    audit_changes(
        wanted,
        actor=actor,
        before=before,
        after={field: getattr(wanted, field) for field in fields},
    )
    return wanted
