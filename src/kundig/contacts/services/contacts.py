"""Create, change and delete contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core import audit
from kundig.core.choices import CustomFieldEntity, Permission
from kundig.core.customfields import clean_custom_values
from kundig.core.events import emit
from kundig.core.models import User
from kundig.core.permissions import require
from kundig.core.services import tags_get_or_create
from kundig.core.text import one_line, sort_name

from ..choices import (
    ChangeSource,
    LifecycleStage,
)
from ..models import (
    Contact,
    LifecycleChange,
)
from .inputs import (
    AddressData,
    CompanyLinkData,
    EmailData,
    PhoneData,
    _check_external_id,
    _clean_addresses,
    _clean_company_links,
    _clean_contact_fields,
    _clean_emails,
    _clean_phones,
    _Errors,
)
from .records import (
    _refresh_contact_search_key,
    _write_addresses,
    _write_company_links,
    _write_emails,
    _write_phones,
    contact_key,
    contact_snapshot,
    save_guarding_external_id,
)

# --- Contacts -------------------------------------------------------------------------


def names_from_display(display: str) -> tuple[str, str]:
    """First and last name from a display name: "Anna Weber" or "Weber, Anna".

    Mail senders, chat visitors and social authors give one name; an
    address or an empty string gives no names at all.
    """
    display = one_line(display).strip("\"' ")
    if not display or "@" in display:
        return "", ""
    if "," in display:  # "Weber, Anna"
        last, _sep, first = display.partition(",")
        return first.strip()[:100], last.strip()[:100]
    *first, last = display.split()
    return " ".join(first)[:100], last[:100]


def email_lock(email: str) -> None:
    """On PostgreSQL, let one transaction at a time create a contact for ``email``.

    Take it before looking the address up and hold it to the end of the
    transaction, so two first requests of the same new person (a mail, a
    chat, a form) make one contact. The key is the one the shop's buyer
    matching takes for an address, so a first order joins in too.
    """
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"email:{email.strip().lower()}"],
        )


def _record_stage_change(
    contact: Contact, *, old: str, new: str, actor: User | None, source: str
) -> None:
    LifecycleChange.objects.create(
        contact=contact, from_stage=old, to_stage=new, actor=actor, source=source
    )
    if old:
        emit(
            "contact.stage_changed",
            contact,
            actor=actor,
            from_stage=old,
            to_stage=new,
            source=source,
        )


def _clean_contact_input(
    *,
    actor,
    fields,
    emails,
    phones,
    addresses,
    companies,
    custom,
    existing: Contact | None,
) -> tuple:
    errors = _Errors()
    clean = _clean_contact_fields(fields or {}, errors)
    clean_emails = _clean_emails(list(emails), errors) if emails is not None else None
    clean_phones = _clean_phones(list(phones), errors) if phones is not None else None
    clean_addresses = (
        _clean_addresses(list(addresses), errors) if addresses is not None else None
    )
    clean_links = (
        _clean_company_links(list(companies), errors, actor=actor)
        if companies is not None
        else None
    )
    clean_custom = None
    if custom is not None or existing is None:
        try:
            clean_custom = clean_custom_values(
                entity=CustomFieldEntity.CONTACT,
                values=custom or {},
                existing=existing.custom if existing else None,
                user=actor,
                creating=existing is None,
            )
        except ValidationError as exc:
            errors.merge(exc)
    _check_external_id(
        Contact,
        clean.get("external_id"),
        exclude_pk=existing.pk if existing else None,
        errors=errors,
    )
    first = clean.get("first_name", existing.first_name if existing else "")
    last = clean.get("last_name", existing.last_name if existing else "")
    has_email = (
        bool(clean_emails)
        if clean_emails is not None
        else bool(existing and existing.emails.exists())
    )
    if not (first or last or has_email):
        errors.add("last_name", _("Enter a name or an email address."))
    errors.raise_if_any()
    return clean, clean_emails, clean_phones, clean_addresses, clean_links, clean_custom


@transaction.atomic
def contact_create(
    *,
    actor: User | None,
    fields: dict | None = None,
    emails: list[EmailData] = (),
    phones: list[PhoneData] = (),
    addresses: list[AddressData] = (),
    companies: list[CompanyLinkData] = (),
    tags: list[str] = (),
    custom: dict | None = None,
    source: str = ChangeSource.MANUAL,
) -> Contact:
    """Create a contact with its emails, phones, addresses, companies and tags."""
    require(actor, Permission.WRITE)
    clean, clean_emails, clean_phones, clean_addresses, clean_links, clean_custom = (
        _clean_contact_input(
            actor=actor,
            fields=fields,
            emails=emails,
            phones=phones,
            addresses=addresses,
            companies=companies,
            custom=custom,
            existing=None,
        )
    )
    if "owner" not in clean:
        clean["owner"] = actor
    if "team" not in clean:
        owner = clean.get("owner")
        clean["team"] = owner.team if owner is not None else None
    clean.setdefault("lifecycle_stage", LifecycleStage.LEAD)
    contact = Contact(**clean, custom=clean_custom or {}, created_by=actor)
    contact.sort_name = sort_name(contact.last_name, contact.first_name)
    contact.search_key = contact_key(
        first_name=contact.first_name,
        last_name=contact.last_name,
        emails=[e.email for e in clean_emails],
        phones=[p.number for p in clean_phones],
        company_names=[company.name for company, _link in clean_links],
        external_id=contact.external_id,
    )
    save_guarding_external_id(contact)
    _write_emails(contact, clean_emails, replace=False)
    _write_phones(contact, clean_phones, replace=False)
    _write_addresses(contact, clean_addresses, attr="contact", replace=False)
    _write_company_links(contact, clean_links, replace=False)
    if tags:
        contact.tags.add(*tags_get_or_create(tags))
    _record_stage_change(
        contact, old="", new=contact.lifecycle_stage, actor=actor, source=source
    )
    audit.audit_created(contact, actor=actor)
    emit("contact.created", contact, actor=actor, source=source)
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: User | None,
    contact: Contact,
    fields: dict | None = None,
    emails: list[EmailData] | None = None,
    phones: list[PhoneData] | None = None,
    addresses: list[AddressData] | None = None,
    companies: list[CompanyLinkData] | None = None,
    tags: list[str] | None = None,
    custom: dict | None = None,
    source: str = ChangeSource.MANUAL,
) -> Contact:
    """Change a contact. ``None`` leaves a part as it is; a list replaces it."""
    require(actor, Permission.WRITE)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    before = contact_snapshot(contact)
    clean, clean_emails, clean_phones, clean_addresses, clean_links, clean_custom = (
        _clean_contact_input(
            actor=actor,
            fields=fields,
            emails=emails,
            phones=phones,
            addresses=addresses,
            companies=companies,
            custom=custom,
            existing=contact,
        )
    )
    if "owner" in clean and "team" not in clean and clean["owner"] is not None:
        clean["team"] = clean["owner"].team
    old_stage = contact.lifecycle_stage
    for name, value in clean.items():
        setattr(contact, name, value)
    if clean_custom is not None:
        contact.custom = clean_custom
    contact.sort_name = sort_name(contact.last_name, contact.first_name)
    stage_changed = contact.lifecycle_stage != old_stage
    if stage_changed:
        contact.stage_changed_at = timezone.now()
    save_guarding_external_id(contact)
    if clean_emails is not None:
        _write_emails(contact, clean_emails)
    if clean_phones is not None:
        _write_phones(contact, clean_phones)
    if clean_addresses is not None:
        _write_addresses(contact, clean_addresses, attr="contact")
    if clean_links is not None:
        _write_company_links(contact, clean_links, actor=actor)
    if tags is not None:
        contact.tags.set(tags_get_or_create(tags))
    _refresh_contact_search_key(contact)
    if stage_changed:
        _record_stage_change(
            contact,
            old=old_stage,
            new=contact.lifecycle_stage,
            actor=actor,
            source=source,
        )
    changes = audit.audit_changes(
        contact, actor=actor, before=before, after=contact_snapshot(contact)
    )
    if changes:
        emit(
            "contact.updated",
            contact,
            actor=actor,
            fields=sorted({c.field for c in changes}),
            source=source,
        )
    return contact


@transaction.atomic
def contact_set_stage(
    *,
    actor: User | None,
    contact: Contact,
    stage: str,
    source: str = ChangeSource.MANUAL,
) -> Contact:
    """Move a contact to ``stage``, recording the change like any other."""
    return contact_update(
        actor=actor, contact=contact, fields={"lifecycle_stage": stage}, source=source
    )


@transaction.atomic
def contact_delete(*, actor: User | None, contact: Contact) -> None:
    require(actor, Permission.DELETE)
    audit.audit_deleted(contact, actor=actor)
    emit("contact.deleted", contact, actor=actor, name=str(contact.display_name))
    contact.delete()
