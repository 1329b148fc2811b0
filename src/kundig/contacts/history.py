"""The history of changes of a contact or company, as its viewer may see it.

The audit log keeps every changed field. Shown to a user, it leaves out what
that user may not see elsewhere either: custom fields restricted to other
roles, and links to companies outside the user's visibility. Field names and
choice codes are shown as the labels the user knows from the forms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kundig.core.audit import audit_history
from kundig.core.choices import AuditAction, CustomFieldEntity
from kundig.core.customfields import definitions_for

from .models import Company, Contact
from .selectors import companies_visible_to

LIST_LABELS = {
    "emails": _("Email addresses"),
    "phones": _("Phone numbers"),
    "addresses": _("Addresses"),
    "companies": _("Companies"),
    "tags": _("Tags"),
}


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    actor: object
    action: str
    label: str
    old: str
    new: str


def _choice_label(field, value: str) -> str:
    return str(dict(field.choices).get(value, value)) if field.choices else value


def record_history(*, user, record, limit: int = 100) -> list[HistoryRow]:
    """Return the history rows of ``record`` that ``user`` may see, newest first."""
    model = type(record)
    entity = (
        CustomFieldEntity.CONTACT if model is Contact else CustomFieldEntity.COMPANY
    )
    every_definition = {d.key: d for d in definitions_for(entity)}
    visible_keys = {d.key for d in definitions_for(entity, user=user)}
    entries = list(audit_history(record, limit=limit))
    company_ids = {
        int(e.field.split(".", 1)[1])
        for e in entries
        if e.field.startswith("companies.") and e.field.split(".", 1)[1].isdigit()
    }
    visible_companies = set(
        companies_visible_to(user)
        .filter(pk__in=company_ids)
        .values_list("pk", flat=True)
    )
    rows = []
    for entry in entries:
        label, old, new = "", entry.old_value, entry.new_value
        name = entry.field
        if entry.action != AuditAction.UPDATE:
            label = ""
        elif name.startswith("custom."):
            key = name.split(".", 1)[1]
            if key not in visible_keys:
                continue
            definition = every_definition.get(key)
            label = definition.label if definition else key
        elif name.startswith("companies."):
            pk = name.split(".", 1)[1]
            if not pk.isdigit() or int(pk) not in visible_companies:
                continue
            label = str(Company._meta.verbose_name)
        elif name in LIST_LABELS:
            label = str(LIST_LABELS[name])
        else:
            try:
                field = model._meta.get_field(name)
            except Exception:  # a field that no longer exists
                label = name
            else:
                label = str(field.verbose_name)
                old, new = _choice_label(field, old), _choice_label(field, new)
        rows.append(HistoryRow(entry.at, entry.actor, entry.action, label, old, new))
    return rows
