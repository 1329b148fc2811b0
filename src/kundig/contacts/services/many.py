"""Contacts written by the thousand, for imports that record whole histories.

The same rows, events and audit entries as :func:`contact_create`,
:func:`contact_set_stage` and :func:`contact_figures_set` write one by one,
in a constant number of statements per call (ADR 17). Validation is the same
code; a person whose data is invalid comes back with the errors and nothing
of theirs is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core import bulk
from kundig.core.choices import AuditAction, CustomFieldEntity, Permission
from kundig.core.customfields import clean_custom_values
from kundig.core.events import emit_many
from kundig.core.models import AuditEntry, User
from kundig.core.permissions import require
from kundig.core.text import sort_name

from ..choices import ChangeSource, LifecycleStage
from ..models import (
    Address,
    Contact,
    ContactEmail,
    ContactFigures,
    LifecycleChange,
)
from .figures import figures_values
from .inputs import (
    AddressData,
    EmailData,
    _clean_addresses,
    _clean_contact_fields,
    _clean_emails,
    _Errors,
)
from .records import contact_key

CONTACT = "contacts.contact"
_DEFAULTS = {
    name: Contact._meta.get_field(name).get_default()
    for name in ("form_of_address", "language")
}


@dataclass
class NewPerson:
    """A contact to create: what a buyer's order says about them."""

    fields: dict
    emails: list[EmailData] = field(default_factory=list)
    addresses: list[AddressData] = field(default_factory=list)


@dataclass
class Created:
    """Per person, in the order given: the new contact's id, or why not."""

    contact_id: int | None
    errors: dict[str, list[str]] | None = None


def contacts_create_many(
    *, actor: User | None, people: list[NewPerson], source: str = ChangeSource.SYSTEM
) -> list[Created]:
    """Create contacts with their emails and addresses, as contact_create would.

    Ownerless unless ``fields`` name an owner or team; the stage defaults to
    lead. Call inside a transaction.
    """
    require(actor, Permission.WRITE)
    if not people:
        return []
    custom = clean_custom_values(
        entity=CustomFieldEntity.CONTACT,
        values={},
        existing=None,
        user=actor,
        creating=True,
    )
    checked = []
    results: list[Created] = []
    for person in people:
        try:
            clean, emails, addresses = _clean_person(person)
        except ValidationError as exc:
            results.append(Created(None, exc.message_dict))
            continue
        checked.append((len(results), clean, emails, addresses))
        results.append(Created(None))
    ids = bulk.reserve_ids(Contact, len(checked))
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    contacts, email_rows, address_rows, stage_rows, audit_rows, events = (
        [], [], [], [], [], []
    )  # fmt: skip
    for pk, (index, clean, emails, addresses) in zip(ids, checked, strict=True):
        results[index].contact_id = pk
        owner = clean.get("owner")
        team = clean.get("team", owner.team if owner is not None else None)
        stage = clean.get("lifecycle_stage") or LifecycleStage.LEAD
        first, last = clean.get("first_name", ""), clean.get("last_name", "")
        title = clean.get("title", "")
        contacts.append(
            (
                pk, now, now, clean.get("salutation", ""), title, first, last,
                clean.get("form_of_address", _DEFAULTS["form_of_address"]),
                clean.get("language", _DEFAULTS["language"]),
                clean.get("birthday"), stage, now, clean.get("source", ""), custom,
                clean.get("external_id"),
                contact_key(
                    first_name=first, last_name=last,
                    emails=[e.email for e in emails], phones=[], company_names=[],
                    external_id=clean.get("external_id"),
                ),
                sort_name(last, first), actor_id,
                owner.pk if owner is not None else None,
                team.pk if team is not None else None,
            )
        )  # fmt: skip
        email_rows += [(pk, e.email, e.kind, e.is_primary) for e in emails]
        address_rows += [
            (pk, a.kind, a.recipient, a.street, a.extra, a.postcode, a.city, a.country)
            for a in addresses
        ]
        stage_rows.append((pk, "", stage, now, source, actor_id))
        name = Contact(title=title, first_name=first, last_name=last).display_name
        audit_rows.append(
            (CONTACT, pk, actor_id, now, AuditAction.CREATE, "", "", name[:2000])
        )
        events.append(("contact.created", CONTACT, pk, {"source": source}))
    bulk.insert(
        Contact,
        ("id", "created_at", "updated_at", "salutation", "title", "first_name",
         "last_name", "form_of_address", "language", "birthday", "lifecycle_stage",
         "stage_changed_at", "source", "custom", "external_id", "search_key",
         "sort_name", "created_by_id", "owner_id", "team_id"),
        contacts,
    )  # fmt: skip
    bulk.insert(ContactEmail, ("contact_id", "email", "kind", "is_primary"), email_rows)
    bulk.insert(
        Address,
        ("contact_id", "kind", "recipient", "street", "extra", "postcode", "city",
         "country"),
        address_rows,
    )  # fmt: skip
    _write_stage_changes(stage_rows)
    _write_audit(audit_rows)
    emit_many(events, actor=actor)
    return results


def person_errors(person: NewPerson) -> dict[str, list[str]] | None:
    """Return why :func:`contacts_create_many` would refuse ``person``, or None."""
    try:
        _clean_person(person)
    except ValidationError as exc:
        return exc.message_dict
    return None


def _clean_person(person: NewPerson):
    errors = _Errors()
    clean = _clean_contact_fields(person.fields, errors)
    emails = _clean_emails(list(person.emails), errors)
    addresses = _clean_addresses(list(person.addresses), errors)
    if not (clean.get("first_name") or clean.get("last_name") or emails):
        errors.add("last_name", _("Enter a name or an email address."))
    errors.raise_if_any()
    return clean, emails, addresses


def contacts_set_stage_many(
    *,
    actor: User | None,
    moves: list[tuple[int, str, str]],
    source: str = ChangeSource.SYSTEM,
) -> int:
    """Move contacts ``(id, from_stage, to_stage)``, recorded as contact_set_stage.

    Moves of one contact apply in the order given, each from where the one
    before left it. A contact no longer where its first move starts (someone
    moved them meanwhile) is left out. Returns how many moves were made.
    Call inside a transaction.
    """
    require(actor, Permission.WRITE)
    if not moves:
        return 0
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    current = dict(
        Contact.objects.select_for_update()
        .filter(pk__in={pk for pk, _old, _new in moves})
        .order_by("pk")
        .values_list("pk", "lifecycle_stage")
    )
    done = []
    final: dict[int, str] = {}
    for pk, old, new in moves:
        if current.get(pk) == old != new:
            current[pk] = final[pk] = new
            done.append((pk, old, new))
    by_target: dict[str, list[int]] = {}
    for pk, new in final.items():
        by_target.setdefault(new, []).append(pk)
    for stage, pks in by_target.items():
        Contact.objects.filter(pk__in=pks).update(
            lifecycle_stage=stage, stage_changed_at=now, updated_at=now
        )
    _write_stage_changes(
        [(pk, old, new, now, source, actor_id) for pk, old, new in done]
    )
    _write_audit(
        [
            (
                CONTACT,
                pk,
                actor_id,
                now,
                AuditAction.UPDATE,
                "lifecycle_stage",
                old,
                new,
            )
            for pk, old, new in done
        ]
    )
    emit_many(
        [
            event
            for pk, old, new in done
            for event in (
                ("contact.stage_changed", CONTACT, pk,
                 {"from_stage": old, "to_stage": new, "source": source}),
                ("contact.updated", CONTACT, pk,
                 {"fields": ["lifecycle_stage"], "source": source}),
            )
        ],
        actor=actor,
    )  # fmt: skip
    return len(done)


@dataclass
class Figures:
    contact_id: int
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None
    orders_count: int
    revenue: Decimal
    currency: str
    orders_with_returns: int


def contact_figures_set_many(figures: list[Figures]) -> None:
    """Store many contacts' figures, each computed from all of their orders."""
    now = timezone.now()
    rows = []
    for f in figures:
        values = figures_values(
            first_order_at=f.first_order_at,
            last_order_at=f.last_order_at,
            orders_count=f.orders_count,
            revenue=f.revenue,
            currency=f.currency,
            orders_with_returns=f.orders_with_returns,
        )
        rows.append((f.contact_id, *(values[c] for c in _FIGURES), now))
    bulk.upsert(
        ContactFigures,
        ("contact_id", *_FIGURES, "updated_at"),
        rows,
        conflict=("contact_id",),
    )


_FIGURES = (
    "first_order_at", "last_order_at", "orders_count", "revenue",
    "average_order_value", "currency", "returns_count", "returns_rate",
)  # fmt: skip


def _write_stage_changes(rows: list[tuple]) -> None:
    bulk.insert(
        LifecycleChange,
        ("contact_id", "from_stage", "to_stage", "changed_at", "source", "actor_id"),
        rows,
    )


def _write_audit(rows: list[tuple]) -> None:
    bulk.insert(
        AuditEntry,
        ("object_type", "object_id", "actor_id", "at", "action", "field",
         "old_value", "new_value"),
        rows,
    )  # fmt: skip


__all__ = [
    "Created",
    "Figures",
    "NewPerson",
    "contact_figures_set_many",
    "contacts_create_many",
    "contacts_set_stage_many",
    "person_errors",
]
