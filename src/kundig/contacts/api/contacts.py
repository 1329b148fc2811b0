"""Contacts in the JSON API: list, create, read, change, delete.

Writes go through ``contacts.services``, reads through ``contacts.selectors``,
so the API sees exactly what the web UI sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kundig.core.choices import CustomFieldEntity
from kundig.core.customfields import definitions_for

from .. import selectors, services
from ..choices import (
    AddressKind,
    ChangeSource,
    EmailKind,
    FormOfAddress,
    LifecycleStage,
    PhoneKind,
    Source,
)
from ..filters import CONTACT_SORTS, ContactFilter
from ..validation import normalize_phone
from .common import (
    DEFAULT_PAGE_SIZE,
    CursorParam,
    Input,
    Moment,
    PageSize,
    Params,
    RecordId,
    TeamKey,
    TeamOut,
    UserKey,
    UserOut,
    filter_or_400,
    keyset_page,
    plain,
    reject_unknown_params,
    remap_errors,
    team_out,
    user_out,
    visible_custom,
    web_url,
)

# Pages are cut by the sort key's values, so only sorts on non-null columns.
API_SORTS = {
    key: order
    for key, order in CONTACT_SORTS.items()
    if all(isinstance(part, str) for part in order)
}


# --- Schemas --------------------------------------------------------------------------


class Email(Input):
    email: str = Field(max_length=254)
    kind: EmailKind = EmailKind.PRIVATE
    is_primary: bool = False


class Phone(Input):
    number: str = Field(description="Any common spelling; stored as E.164.")
    kind: PhoneKind = PhoneKind.MOBILE
    is_primary: bool = False


class Address(Input):
    kind: AddressKind = AddressKind.BILLING
    recipient: str = ""
    street: str
    extra: str = ""
    postcode: str
    city: str
    country: str = Field("DE", description="ISO 3166 country code.")


class CompanyLinkIn(Input):
    company_id: RecordId
    role: str = Field("", description='For example "Managing director".')
    is_primary: bool = False


class CompanyLinkOut(Schema):
    company_id: int
    name: str
    role: str
    is_primary: bool


class ContactIn(Input):
    """A contact to create or the parts of one to change.

    Lists (``emails``, ``phones``, ``addresses``, ``companies``, ``tags``)
    replace what the contact has; ``custom`` changes only the keys it names.
    """

    salutation: str | None = Field(
        None, description="herr, frau, divers or none; Herr/Frau/Mr/Ms/neutral too."
    )
    title: str | None = Field(None, description='Academic title, e.g. "Dr."')
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = Field(
        None,
        max_length=254,
        description=(
            "Shortcut for the primary email address. With `emails` it is added in "
            "front of them; on update it replaces the primary address only."
        ),
    )
    phone: str | None = Field(
        None, description="Shortcut for the primary phone number, like `email`."
    )
    form_of_address: FormOfAddress | None = None
    language: str | None = Field(None, description="de, en, fr, it, nl, pl, es or tr.")
    birthday: date | None = None
    lifecycle_stage: LifecycleStage | None = None
    source: Source | None = None
    owner: UserKey = None
    team: TeamKey = None
    external_id: str | None = Field(
        None, description="Your system's id for this contact; unique."
    )
    emails: list[Email] | None = None
    phones: list[Phone] | None = None
    addresses: list[Address] | None = None
    companies: list[CompanyLinkIn] | None = None
    tags: list[str] | None = Field(None, description="Tag names; new ones are made.")
    custom: dict[str, Any] | None = Field(
        None, description="Custom field key → value; null removes a value."
    )


class _ContactBase(Schema):
    id: int
    salutation: str
    title: str
    first_name: str
    last_name: str
    display_name: str
    lifecycle_stage: str
    owner: UserOut | None
    team: TeamOut | None
    companies: list[CompanyLinkOut] = Field(
        description="Only the companies the caller may see."
    )
    tags: list[str]
    custom: dict[str, Any] = Field(
        description="Custom fields the caller's role may see. Numbers are strings."
    )
    external_id: str | None
    created_at: Moment
    updated_at: Moment
    url: str | None = Field(description="The contact's page in the web UI.")


class ContactListItem(_ContactBase):
    email: str | None = Field(description="The primary email address.")
    phone: str | None = Field(description="The primary phone number (E.164).")


class ContactOut(_ContactBase):
    form_of_address: str
    language: str
    birthday: date | None
    stage_changed_at: Moment
    source: str
    emails: list[Email]
    phones: list[Phone]
    addresses: list[Address]


class ContactPage(Schema):
    results: list[ContactListItem]
    next: str | None = Field(description="Cursor of the next page; null on the last.")


class ListParams(Params):
    q: str | None = Field(
        None, description="Search names, emails, phones, companies (typo-tolerant)."
    )
    owner: str | None = Field(None, description="`me`, `none` or a user id.")
    team: RecordId | None = Field(None, description="A team id.")
    tag: list[str] | None = Field(
        None, description="Tag name; repeat for several (any of them)."
    )
    created_after: date | None = None
    created_before: date | None = None
    cursor: CursorParam = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


class ContactListParams(ListParams):
    stage: list[str] | None = Field(
        None,
        description="Lifecycle stage; repeat for several: "
        + ", ".join(LifecycleStage.values),
    )
    source: str | None = Field(None, description=", ".join(Source.values))
    company: RecordId | None = Field(None, description="Contacts of this company id.")
    sort: str | None = Field(
        None,
        description="Order of the results, by id if left out: " + ", ".join(API_SORTS),
    )
    orders_min: int | None = Field(None, ge=0, description="At least this many orders.")
    orders_max: int | None = Field(None, ge=0, description="At most this many orders.")
    revenue_min: Decimal | None = Field(
        None, ge=0, description="Revenue at least this much."
    )
    no_order_days: int | None = Field(
        None, ge=1, description="Last order at least this many days ago."
    )


# --- Serialising ----------------------------------------------------------------------


def _link_out(link) -> dict:
    return {
        "company_id": link.company_id,
        "name": link.company.name,
        "role": link.role,
        "is_primary": link.is_primary,
    }


def _contact_base(contact, definitions) -> dict:
    return {
        "id": contact.pk,
        "salutation": contact.salutation,
        "title": contact.title,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "display_name": str(contact.display_name),
        "lifecycle_stage": contact.lifecycle_stage,
        "owner": user_out(contact.owner),
        "team": team_out(contact.team),
        "companies": [_link_out(link) for link in contact.visible_company_links],
        "tags": [tag.name for tag in contact.tags.all()],
        "custom": visible_custom(contact.custom, definitions),
        "external_id": contact.external_id,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "url": web_url(contact),
    }


def _contact_row(contact, definitions) -> dict:
    emails, phones = contact.primary_emails, contact.primary_phones
    return {
        **_contact_base(contact, definitions),
        "email": emails[0].email if emails else None,
        "phone": phones[0].number if phones else None,
    }


def _contact_detail(contact, user) -> dict:
    definitions = definitions_for(CustomFieldEntity.CONTACT, user=user)
    return {
        **_contact_base(contact, definitions),
        "form_of_address": contact.form_of_address,
        "language": contact.language,
        "birthday": contact.birthday,
        "stage_changed_at": contact.stage_changed_at,
        "source": contact.source,
        "emails": [
            {"email": e.email, "kind": e.kind, "is_primary": e.is_primary}
            for e in contact.emails.all()
        ],
        "phones": [
            {"number": p.number, "kind": p.kind, "is_primary": p.is_primary}
            for p in contact.phones.all()
        ],
        "addresses": [address_out(a) for a in contact.addresses.all()],
    }


def address_out(address) -> dict:
    return {
        "kind": address.kind,
        "recipient": address.recipient,
        "street": address.street,
        "extra": address.extra,
        "postcode": address.postcode,
        "city": address.city,
        "country": str(address.country.code or ""),
    }


def _contact_after_write(contact, user) -> dict:
    """Serialise a contact a service returned, even if the caller no longer sees it."""
    prefetch_related_objects(
        [contact],
        "owner",
        "team",
        "emails",
        "phones",
        "addresses",
        "tags",
        "company_links__company",
    )
    links = list(contact.company_links.all())
    visible = set(
        selectors.companies_visible_to(user)
        .filter(pk__in=[link.company_id for link in links])
        .values_list("pk", flat=True)
    )
    contact.visible_company_links = [
        link for link in links if link.company_id in visible
    ]
    return _contact_detail(contact, user)


# --- Reading input --------------------------------------------------------------------

_LISTED = re.compile(r"^(emails|phones|companies)\.(\d+)\.(\w+)$")


def _email(email, kind=None, is_primary=False) -> services.EmailData:
    return services.EmailData(email, plain(kind) or EmailKind.PRIVATE, is_primary)


def _phone(number, kind=None, is_primary=False) -> services.PhoneData:
    return services.PhoneData(number, plain(kind) or PhoneKind.MOBILE, is_primary)


def _phone_key(number: str) -> str:
    try:
        return normalize_phone(number)
    except ValueError:
        return number


def _entries(data: dict, *, shortcut: str, listed: str, make, key, current):
    """Return the service's list of emails or phones, and whether the shortcut leads it.

    None leaves the contact's list as it is. The shortcut (``email``,
    ``phone``) goes in front as the primary entry; the others come from the
    list sent with it or, on update, from the contact's ``current`` entries,
    ``(value, kind, is_primary)``, whose primary one it replaces.
    """
    if shortcut not in data:
        if listed not in data:
            return None, False
        return [make(**item) for item in data[listed] or []], False
    value = (data[shortcut] or "").strip()
    if listed in data:
        rest = [make(**item) for item in data[listed] or []]
    else:
        rest = [
            make(other, kind)
            for other, kind, primary in current or ()
            if not primary and other != key(value)
        ]
    if not value:
        return rest, False
    kind = next((kind for _v, kind, primary in current or () if primary), None)
    return [make(value, kind, True), *rest], True


def _contact_input(payload: ContactIn, *, contact=None) -> tuple[dict, Callable]:
    """Return the service's keyword arguments and the error-name translation."""
    data = payload.model_dump(exclude_unset=True)
    kwargs: dict = {
        "fields": {
            name: plain(data[name]) for name in services.CONTACT_FIELDS if name in data
        }
    }
    led_by_shortcut = {}
    for shortcut, listed, attribute, make, key in (
        ("email", "emails", "email", _email, str.lower),
        ("phone", "phones", "number", _phone, _phone_key),
    ):
        current = None
        if contact is not None and shortcut in data and listed not in data:
            current = [
                (getattr(item, attribute), item.kind, item.is_primary)
                for item in getattr(contact, listed).all()
            ]
        entries, led_by_shortcut[listed] = _entries(
            data, shortcut=shortcut, listed=listed, make=make, key=key, current=current
        )
        if entries is not None:
            kwargs[listed] = entries
    if "addresses" in data:
        kwargs["addresses"] = addresses_in(data["addresses"])
    if "companies" in data:
        kwargs["companies"] = [
            services.CompanyLinkData(**link) for link in data["companies"] or []
        ]
    if "tags" in data:
        kwargs["tags"] = data["tags"] or []
    if data.get("custom") is not None:
        kwargs["custom"] = data["custom"]

    def rename(name: str) -> str:
        match = _LISTED.match(name)
        if match is None:
            return name
        listed, index, part = match.group(1), int(match.group(2)), match.group(3)
        if listed == "companies":
            return f"companies.{index}.company_id" if part == "company" else name
        if not led_by_shortcut[listed]:
            return name
        if index == 0:
            return listed[:-1]  # "email" or "phone", as the client sent it
        return f"{listed}.{index - 1}.{part}" if listed in data else name

    return kwargs, rename


def addresses_in(items) -> list:
    return [
        services.AddressData(**{k: plain(v) for k, v in item.items()})
        for item in items or []
    ]


# --- Contacts -------------------------------------------------------------------------

contacts_router = Router(tags=["Contacts"])


@contacts_router.get(
    "",
    response=ContactPage,
    summary="List contacts",
    operation_id="list_contacts",
)
def list_contacts(request, params: Query[ContactListParams]):
    """Return the contacts the caller may see, a page at a time.

    The filters are the contact list's in the web UI. Without `sort` the
    results come in the order they were created (by id). Follow `next`
    until it is null to walk all of them.
    """
    reject_unknown_params(request, ContactListParams.model_fields)
    user = request.auth
    filterset = filter_or_400(
        ContactFilter, request, selectors.contacts_visible_to(user)
    )
    sort = filterset.form.cleaned_data.get("sort")
    if sort and sort not in API_SORTS:
        raise ValidationError(
            {"sort": [_("Use one of: %(sorts)s.") % {"sorts": ", ".join(API_SORTS)}]}
        )
    order = API_SORTS[sort] if sort else ("id",)
    rows, next_cursor = keyset_page(
        selectors.contact_list_prefetch(filterset.qs, user=user),
        order=order,
        cursor=params.cursor,
        size=params.page_size,
    )
    definitions = definitions_for(CustomFieldEntity.CONTACT, user=user)
    return {
        "results": [_contact_row(contact, definitions) for contact in rows],
        "next": next_cursor,
    }


@contacts_router.post(
    "",
    response={201: ContactOut},
    summary="Create a contact",
    operation_id="create_contact",
)
def create_contact(request, payload: ContactIn):
    """Create a contact with its emails, phones, addresses, companies and tags.

    `email` and `phone` are shortcuts for the primary address and number. A
    contact needs a name or an email address. The owner defaults to the
    caller. Answers the full contact, including its `id`.
    """
    kwargs, rename = _contact_input(payload)
    try:
        contact = services.contact_create(
            actor=request.auth, source=ChangeSource.API, **kwargs
        )
    except ValidationError as exc:
        raise remap_errors(exc, rename) from None
    return Status(201, _contact_after_write(contact, request.auth))


@contacts_router.get(
    "/{int:contact_id}",
    response=ContactOut,
    summary="Get a contact",
    operation_id="get_contact",
)
def get_contact(request, contact_id: int):
    """Return one contact; 404 if it does not exist or the caller may not see it."""
    contact = selectors.contact_profile(user=request.auth, pk=contact_id)
    return _contact_detail(contact, request.auth)


@contacts_router.patch(
    "/{int:contact_id}",
    response=ContactOut,
    summary="Change a contact",
    operation_id="update_contact",
)
def update_contact(request, contact_id: int, payload: ContactIn):
    """Change the fields sent; leave the others as they are.

    A list replaces the contact's list; `custom` changes only the keys it
    names (null removes one). `email`/`phone` replace only the primary entry.
    """
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    kwargs, rename = _contact_input(payload, contact=contact)
    try:
        contact = services.contact_update(
            actor=request.auth, contact=contact, source=ChangeSource.API, **kwargs
        )
    except ValidationError as exc:
        raise remap_errors(exc, rename) from None
    return _contact_after_write(contact, request.auth)


@contacts_router.delete(
    "/{int:contact_id}",
    response={204: None},
    summary="Delete a contact",
    operation_id="delete_contact",
)
def delete_contact(request, contact_id: int):
    """Delete a contact with its timeline and tasks. Needs the delete permission."""
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    services.contact_delete(actor=request.auth, contact=contact)
    return Status(204, None)
