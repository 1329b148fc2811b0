"""Writing a record's parts, and what search and the audit log read from it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kundig.core.models import Team, User
from kundig.core.text import search_key

from ..models import (
    Address,
    Company,
    Contact,
    ContactCompany,
    ContactEmail,
    ContactPhone,
)
from ..validation import (
    phone_search_digits,
)
from .inputs import COMPANY_FIELDS, CONTACT_FIELDS, AddressData, EmailData, PhoneData

# --- Search keys ----------------------------------------------------------------------


def contact_key(
    *, first_name: str, last_name: str, emails, phones, company_names, external_id
) -> str:
    """Return the search key of a contact from its parts."""
    digits = [d for number in phones for d in phone_search_digits(number)]
    return search_key(
        first_name, last_name, *emails, *digits, *company_names, external_id or ""
    )


def contact_search_key(contact: Contact) -> str:
    """Return the search key of a saved contact, reading its parts."""
    return contact_key(
        first_name=contact.first_name,
        last_name=contact.last_name,
        emails=[e.email for e in contact.emails.all()],
        phones=[p.number for p in contact.phones.all()],
        company_names=[
            link.company.name
            for link in contact.company_links.select_related("company")
        ],
        external_id=contact.external_id,
    )


def company_search_key(company: Company) -> str:
    cities = [a.city for a in company.addresses.all()]
    return search_key(
        company.name,
        company.vat_id,
        company.website.split("//")[-1] if company.website else "",
        company.email,
        *phone_search_digits(company.phone),
        *cities,
        company.external_id or "",
    )


def _refresh_contact_search_key(contact: Contact) -> None:
    key = contact_search_key(contact)
    if key != contact.search_key:
        contact.search_key = key
        Contact.objects.filter(pk=contact.pk).update(search_key=key)


# --- Snapshots for the audit log ------------------------------------------------------


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (User, Team)):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def contact_snapshot(contact: Contact) -> dict[str, str]:
    snap = {name: _display(getattr(contact, name)) for name in CONTACT_FIELDS}
    snap["emails"] = ", ".join(
        f"{e.email}{' *' if e.is_primary else ''}" for e in contact.emails.all()
    )
    snap["phones"] = ", ".join(
        f"{p.number}{' *' if p.is_primary else ''}" for p in contact.phones.all()
    )
    snap["addresses"] = " | ".join(
        f"{a.kind}: {a.street}, {a.postcode} {a.city}, {a.country}"
        for a in contact.addresses.all()
    )
    # One field per company, so the history can leave out companies the
    # viewer may not see.
    for link in contact.company_links.select_related("company"):
        role = f" ({link.role})" if link.role else ""
        main = " *" if link.is_primary else ""
        snap[f"companies.{link.company_id}"] = f"{link.company.name}{role}{main}"
    snap["tags"] = ", ".join(sorted(t.name for t in contact.tags.all()))
    for key, value in sorted((contact.custom or {}).items()):
        snap[f"custom.{key}"] = _display(value)
    return snap


def company_snapshot(company: Company) -> dict[str, str]:
    snap = {name: _display(getattr(company, name)) for name in COMPANY_FIELDS}
    snap["addresses"] = " | ".join(
        f"{a.kind}: {a.street}, {a.postcode} {a.city}, {a.country}"
        for a in company.addresses.all()
    )
    snap["tags"] = ", ".join(sorted(t.name for t in company.tags.all()))
    for key, value in sorted((company.custom or {}).items()):
        snap[f"custom.{key}"] = _display(value)
    return snap


def _write_emails(contact: Contact, emails: list[EmailData], *, replace=True) -> None:
    if replace:
        contact.emails.all().delete()
    ContactEmail.objects.bulk_create(
        [
            ContactEmail(
                contact=contact, email=e.email, kind=e.kind, is_primary=e.is_primary
            )
            for e in emails
        ]
    )


def _write_phones(contact: Contact, phones: list[PhoneData], *, replace=True) -> None:
    if replace:
        contact.phones.all().delete()
    ContactPhone.objects.bulk_create(
        [
            ContactPhone(
                contact=contact, number=p.number, kind=p.kind, is_primary=p.is_primary
            )
            for p in phones
        ]
    )


def _write_addresses(
    owner, addresses: list[AddressData], *, attr: str, replace=True
) -> None:
    if replace:
        owner.addresses.all().delete()
    Address.objects.bulk_create(
        [
            Address(
                **{attr: owner},
                kind=a.kind,
                street=a.street,
                extra=a.extra,
                recipient=a.recipient,
                postcode=a.postcode,
                city=a.city,
                country=a.country,
            )
            for a in addresses
        ]
    )


def _write_company_links(contact: Contact, links, *, replace=True, actor=None) -> None:
    """Write the contact's company links.

    Replacing keeps the links to companies ``actor`` cannot see: a user
    editing the contact never saw them, so must not lose them by saving.
    """
    if replace:
        existing = contact.company_links.all()
        if actor is not None:
            from ..selectors import companies_visible_to

            visible = companies_visible_to(actor).values("pk")
            existing.filter(company__in=visible).delete()
            if any(link.is_primary for _company, link in links):
                contact.company_links.update(is_primary=False)
        else:
            existing.delete()
    ContactCompany.objects.bulk_create(
        [
            ContactCompany(
                contact=contact,
                company=company,
                role=link.role,
                is_primary=link.is_primary,
            )
            for company, link in links
        ]
    )


def _refresh_company_search_key(company: Company) -> None:
    key = company_search_key(company)
    if key != company.search_key:
        company.search_key = key
        Company.objects.filter(pk=company.pk).update(search_key=key)


def save_guarding_external_id(record) -> None:
    """Save ``record``; a clash of its unique external ID becomes a field error."""
    if not record.external_id:
        record.save()
        return
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise ValidationError(
            {"external_id": [_("Another record has this external ID.")]}
        ) from None
