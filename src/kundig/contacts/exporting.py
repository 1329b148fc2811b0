"""What a contact or company export contains, column by column.

The column keys double as import headers, so an exported file can be edited
and imported again. Custom fields appear as ``custom.<key>`` columns, but
only those the exporting user's role may see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from kundig.core.choices import CustomFieldEntity
from kundig.core.customfields import definitions_for
from kundig.core.visibility import visible_q

from .models import Address, ContactCompany


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    get: Callable


def _first(items, attr: str, default=""):
    return getattr(items[0], attr) if items else default


def _billing(record) -> Address | None:
    addresses = list(record.addresses.all())
    for address in addresses:
        if address.kind == "billing":
            return address
    return addresses[0] if addresses else None


def _address_part(part: str):
    def get(record):
        address = _billing(record)
        if address is None:
            return ""
        value = getattr(address, part)
        return value.code if part == "country" and value else value

    return get


def _primary_email(contact) -> str:
    emails = list(contact.emails.all())
    primary = [e.email for e in emails if e.is_primary]
    return primary[0] if primary else _first(emails, "email")


def _other_emails(contact) -> str:
    return ", ".join(e.email for e in contact.emails.all() if not e.is_primary)


def _primary_phone(contact) -> str:
    phones = list(contact.phones.all())
    primary = [p.number for p in phones if p.is_primary]
    return primary[0] if primary else _first(phones, "number")


def _other_phones(contact) -> str:
    return ", ".join(p.number for p in contact.phones.all() if not p.is_primary)


def _main_link(contact):
    links = list(contact.export_company_links)
    main = [link for link in links if link.is_primary]
    return (main or links or [None])[0]


CONTACT_COLUMNS = [
    Column("id", _("ID"), lambda c: c.pk),
    Column("external_id", _("External ID"), lambda c: c.external_id or ""),
    Column("salutation", _("Salutation"), lambda c: c.salutation),
    Column("title", _("Academic title"), lambda c: c.title),
    Column("first_name", _("First name"), lambda c: c.first_name),
    Column("last_name", _("Last name"), lambda c: c.last_name),
    Column("email", _("Email"), _primary_email),
    Column("other_emails", _("Other emails"), _other_emails),
    Column("phone", _("Phone"), _primary_phone),
    Column("other_phones", _("Other phones"), _other_phones),
    Column(
        "company", _("Company"), lambda c: getattr(_main_link(c), "company", "") or ""
    ),
    Column(
        "company_role", _("Role"), lambda c: getattr(_main_link(c), "role", "") or ""
    ),
    Column("street", _("Street and number"), _address_part("street")),
    Column("postcode", _("Postcode"), _address_part("postcode")),
    Column("city", _("City"), _address_part("city")),
    Column("country", _("Country"), _address_part("country")),
    Column("lifecycle_stage", _("Lifecycle stage"), lambda c: c.lifecycle_stage),
    Column("source", _("Source"), lambda c: c.source),
    Column("language", _("Language"), lambda c: c.language),
    Column("form_of_address", _("Form of address"), lambda c: c.form_of_address),
    Column("birthday", _("Birthday"), lambda c: c.birthday),
    Column("owner", _("Owner"), lambda c: c.owner.email if c.owner_id else ""),
    Column("team", _("Team"), lambda c: c.team.name if c.team_id else ""),
    Column("tags", _("Tags"), lambda c: ", ".join(t.name for t in c.tags.all())),
    Column("created_at", _("Created"), lambda c: c.created_at),
]

COMPANY_COLUMNS = [
    Column("id", _("ID"), lambda c: c.pk),
    Column("external_id", _("External ID"), lambda c: c.external_id or ""),
    Column("name", _("Name"), lambda c: c.name),
    Column("legal_form", _("Legal form"), lambda c: c.legal_form),
    Column("vat_id", _("VAT ID"), lambda c: c.vat_id),
    Column("industry", _("Industry"), lambda c: c.industry),
    Column("size", _("Size"), lambda c: c.size),
    Column("website", _("Website"), lambda c: c.website),
    Column("email", _("Email"), lambda c: c.email),
    Column("phone", _("Phone"), lambda c: c.phone),
    Column("street", _("Street and number"), _address_part("street")),
    Column("postcode", _("Postcode"), _address_part("postcode")),
    Column("city", _("City"), _address_part("city")),
    Column("country", _("Country"), _address_part("country")),
    Column("owner", _("Owner"), lambda c: c.owner.email if c.owner_id else ""),
    Column("team", _("Team"), lambda c: c.team.name if c.team_id else ""),
    Column("tags", _("Tags"), lambda c: ", ".join(t.name for t in c.tags.all())),
    Column("created_at", _("Created"), lambda c: c.created_at),
]


def _custom_columns(entity: str, user) -> list[Column]:
    return [
        Column(
            f"custom.{d.key}",
            d.label,
            lambda record, key=d.key: (record.custom or {}).get(key, ""),
        )
        for d in definitions_for(entity, user=user)
    ]


def contact_columns(user) -> list[Column]:
    return CONTACT_COLUMNS + _custom_columns(CustomFieldEntity.CONTACT, user)


def company_columns(user) -> list[Column]:
    return COMPANY_COLUMNS + _custom_columns(CustomFieldEntity.COMPANY, user)


def _contact_export_qs(qs: QuerySet, *, user) -> QuerySet:
    # The visibility rule on the joined company, not ``company__in=<subquery>``:
    # SQLite plans the subquery badly (over a second per 1,000 contacts).
    links = ContactCompany.objects.select_related("company").filter(
        visible_q(user, owner="company__owner", team="company__team")
    )
    return qs.select_related("owner", "team").prefetch_related(
        "emails",
        "phones",
        "addresses",
        "tags",
        Prefetch("company_links", queryset=links, to_attr="export_company_links"),
    )


def _company_export_qs(qs: QuerySet) -> QuerySet:
    return qs.select_related("owner", "team").prefetch_related("addresses", "tags")


def contact_export_rows(qs: QuerySet, columns: list[Column], *, user) -> Iterator[list]:
    for contact in _contact_export_qs(qs, user=user).iterator(chunk_size=2000):
        yield [column.get(contact) for column in columns]


def company_export_rows(qs: QuerySet, columns: list[Column]) -> Iterator[list]:
    for company in _company_export_qs(qs).iterator(chunk_size=2000):
        yield [column.get(company) for column in columns]


def _in_order(records, ids: list[int], columns: list[Column]) -> list[list]:
    found = {record.pk: record for record in records}
    return [[c.get(found[pk]) for c in columns] for pk in ids if pk in found]


def contact_export_chunk(
    qs: QuerySet, ids: list[int], columns: list[Column], *, user
) -> list[list]:
    """Return the rows of the contacts ``ids`` that ``qs`` holds, in that order."""
    return _in_order(_contact_export_qs(qs.filter(pk__in=ids), user=user), ids, columns)


def company_export_chunk(
    qs: QuerySet, ids: list[int], columns: list[Column], *, user
) -> list[list]:
    """Return the rows of the companies ``ids`` that ``qs`` holds, in that order."""
    return _in_order(_company_export_qs(qs.filter(pk__in=ids)), ids, columns)


def columns_by_keys(columns: list[Column], keys: list[str]) -> list[Column]:
    """Return the columns named ``keys``; a column that is gone stays empty.

    A long export keeps the columns it started with, even if a custom field is
    added meanwhile, or is no longer shown to the exporting user's role.
    """
    by_key = {column.key: column for column in columns}
    return [by_key.get(key) or Column(key, key, lambda record: "") for key in keys]
