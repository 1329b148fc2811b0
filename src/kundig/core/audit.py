"""The audit log: services record which fields changed, from what to what, by whom.

Services take a :func:`snapshot`-style dict of a record before and after a
change (field name -> readable value) and call :func:`audit_changes`. Doing it
in the service rather than in model signals keeps bulk updates, related rows
(emails, phones, tags) and custom fields in the same log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils import timezone

from .choices import AuditAction
from .models import AuditEntry

MAX_VALUE_LENGTH = 2000


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)[:MAX_VALUE_LENGTH]


def object_type_of(record) -> str:
    return record._meta.label_lower


def audit_created(record, *, actor) -> None:
    AuditEntry.objects.create(
        object_type=object_type_of(record),
        object_id=record.pk,
        actor=actor,
        action=AuditAction.CREATE,
        new_value=_text(str(record)),
    )


def audit_deleted(record, *, actor) -> None:
    AuditEntry.objects.create(
        object_type=object_type_of(record),
        object_id=record.pk,
        actor=actor,
        action=AuditAction.DELETE,
        old_value=_text(str(record)),
    )


def diff(before: Mapping[str, object], after: Mapping[str, object]) -> list[tuple]:
    """Return ``(field, old, new)`` for every field whose readable value changed."""
    changes = []
    for field in dict.fromkeys([*before, *after]):
        old, new = _text(before.get(field)), _text(after.get(field))
        if old != new:
            changes.append((field, old, new))
    return changes


def audit_changes(
    record_or_type, object_id: int | None = None, *, actor, before, after
) -> list[AuditEntry]:
    """Write one audit entry per changed field; return them."""
    if isinstance(record_or_type, str):
        object_type = record_or_type
    else:
        object_type, object_id = object_type_of(record_or_type), record_or_type.pk
    now = timezone.now()
    entries = [
        AuditEntry(
            object_type=object_type,
            object_id=object_id,
            actor=actor,
            at=now,
            action=AuditAction.UPDATE,
            field=field,
            old_value=old,
            new_value=new,
        )
        for field, old, new in diff(before, after)
    ]
    return AuditEntry.objects.bulk_create(entries)


def audit_bulk_changes(
    object_type: str, changes: Iterable[tuple[int, str, str, str]], *, actor
) -> None:
    """Write ``(object_id, field, old, new)`` changes of a bulk action at once."""
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                object_type=object_type,
                object_id=object_id,
                actor=actor,
                at=now,
                action=AuditAction.UPDATE,
                field=field,
                old_value=_text(old),
                new_value=_text(new),
            )
            for object_id, field, old, new in changes
        ],
        batch_size=1000,
    )


def audit_history(record, *, limit: int = 100):
    """Return the newest audit entries of ``record``, with their actors."""
    return (
        AuditEntry.objects.filter(
            object_type=object_type_of(record), object_id=record.pk
        )
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
