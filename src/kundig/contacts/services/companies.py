"""Create, change and delete companies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from kundig.core import audit
from kundig.core.choices import CustomFieldEntity, Permission
from kundig.core.customfields import clean_custom_values
from kundig.core.events import emit
from kundig.core.models import User
from kundig.core.permissions import require
from kundig.core.services import tags_get_or_create

from ..choices import (
    CompanySize,
    LegalForm,
)
from ..models import (
    Company,
    Contact,
)
from ..validation import (
    normalize_phone,
    normalize_vat_id,
)
from .inputs import (
    COMPANY_FIELDS,
    AddressData,
    _check_external_id,
    _choice,
    _clean_addresses,
    _Errors,
    _resolve_team,
    _resolve_user,
    _text,
)
from .records import (
    _refresh_company_search_key,
    _refresh_contact_search_key,
    _write_addresses,
    company_snapshot,
    save_guarding_external_id,
)

# --- Companies ------------------------------------------------------------------------


def _clean_company_fields(data: dict, errors: _Errors) -> dict:
    unknown = set(data) - set(COMPANY_FIELDS)
    for name in sorted(unknown):
        errors.add(name, _("Unknown field."))
    clean: dict = {}
    for name, value in data.items():
        if name == "name":
            clean[name] = _text(value, name, errors, max_length=200)
        elif name == "industry":
            clean[name] = _text(value, name, errors, max_length=100)
        elif name == "legal_form":
            clean[name] = _choice(value, LegalForm.choices, name, errors)
        elif name == "size":
            clean[name] = _choice(value, CompanySize.choices, name, errors)
        elif name == "vat_id":
            try:
                clean[name] = normalize_vat_id(value)
            except ValueError as exc:
                errors.add(name, str(exc))
        elif name == "website":
            text = str(value or "").strip()
            if text and "://" not in text:
                text = "https://" + text
            if len(text) > 200:
                errors.add(name, _("At most %(n)d characters.") % {"n": 200})
            elif text:
                try:
                    URLValidator(schemes=["http", "https"])(text)
                except ValidationError:
                    errors.add(name, _("Enter a valid web address."))
            clean[name] = text
        elif name == "email":
            text = str(value or "").strip().lower()
            if text:
                try:
                    validate_email(text)
                except ValidationError:
                    errors.add(
                        name,
                        _("%(value)s is not a valid email address.") % {"value": value},
                    )
            clean[name] = text
        elif name == "phone":
            text = str(value or "").strip()
            if text:
                try:
                    text = normalize_phone(text)
                except ValueError as exc:
                    errors.add(name, str(exc))
            clean[name] = text
        elif name == "owner":
            clean[name] = _resolve_user(value, name, errors)
        elif name == "team":
            clean[name] = _resolve_team(value, name, errors)
        elif name == "external_id":
            text = str(value or "").strip()
            if len(text) > 100:
                errors.add(name, _("At most %(n)d characters.") % {"n": 100})
            clean[name] = text or None
    return clean


def _clean_company_input(*, actor, fields, addresses, custom, existing: Company | None):
    errors = _Errors()
    clean = _clean_company_fields(fields or {}, errors)
    if (existing is None and not clean.get("name")) or (
        "name" in clean and not clean["name"]
    ):
        errors.add("name", _("A company needs a name."))
    clean_addresses = (
        _clean_addresses(list(addresses), errors) if addresses is not None else None
    )
    clean_custom = None
    if custom is not None or existing is None:
        try:
            clean_custom = clean_custom_values(
                entity=CustomFieldEntity.COMPANY,
                values=custom or {},
                existing=existing.custom if existing else None,
                user=actor,
                creating=existing is None,
            )
        except ValidationError as exc:
            errors.merge(exc)
    _check_external_id(
        Company,
        clean.get("external_id"),
        exclude_pk=existing.pk if existing else None,
        errors=errors,
    )
    errors.raise_if_any()
    return clean, clean_addresses, clean_custom


@transaction.atomic
def company_create(
    *,
    actor: User | None,
    fields: dict | None = None,
    addresses: list[AddressData] = (),
    tags: list[str] = (),
    custom: dict | None = None,
) -> Company:
    require(actor, Permission.WRITE)
    clean, clean_addresses, clean_custom = _clean_company_input(
        actor=actor, fields=fields, addresses=addresses, custom=custom, existing=None
    )
    if "owner" not in clean:
        clean["owner"] = actor
    if "team" not in clean:
        owner = clean.get("owner")
        clean["team"] = owner.team if owner is not None else None
    company = Company(**clean, custom=clean_custom or {}, created_by=actor)
    save_guarding_external_id(company)
    _write_addresses(company, clean_addresses, attr="company", replace=False)
    if tags:
        company.tags.add(*tags_get_or_create(tags))
    _refresh_company_search_key(company)
    audit.audit_created(company, actor=actor)
    emit("company.created", company, actor=actor)
    return company


@transaction.atomic
def company_update(
    *,
    actor: User | None,
    company: Company,
    fields: dict | None = None,
    addresses: list[AddressData] | None = None,
    tags: list[str] | None = None,
    custom: dict | None = None,
) -> Company:
    require(actor, Permission.WRITE)
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = company_snapshot(company)
    old_name = company.name
    clean, clean_addresses, clean_custom = _clean_company_input(
        actor=actor, fields=fields, addresses=addresses, custom=custom, existing=company
    )
    if "owner" in clean and "team" not in clean and clean["owner"] is not None:
        clean["team"] = clean["owner"].team
    for name, value in clean.items():
        setattr(company, name, value)
    if clean_custom is not None:
        company.custom = clean_custom
    save_guarding_external_id(company)
    if clean_addresses is not None:
        _write_addresses(company, clean_addresses, attr="company")
    if tags is not None:
        company.tags.set(tags_get_or_create(tags))
    _refresh_company_search_key(company)
    if company.name != old_name:
        # Contacts are found by their company's name too.
        for contact in Contact.objects.filter(company_links__company=company).iterator(
            chunk_size=500
        ):
            _refresh_contact_search_key(contact)
    changes = audit.audit_changes(
        company, actor=actor, before=before, after=company_snapshot(company)
    )
    if changes:
        emit(
            "company.updated",
            company,
            actor=actor,
            fields=sorted({c.field for c in changes}),
        )
    return company


@transaction.atomic
def company_delete(*, actor: User | None, company: Company) -> None:
    require(actor, Permission.DELETE)
    contact_ids = list(company.contact_links.values_list("contact_id", flat=True))
    audit.audit_deleted(company, actor=actor)
    emit("company.deleted", company, actor=actor, name=company.name)
    company.delete()
    for contact in Contact.objects.filter(pk__in=contact_ids).iterator(chunk_size=500):
        _refresh_contact_search_key(contact)
