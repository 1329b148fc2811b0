"""Input shapes of the contact services and the cleaning of each field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django_countries import countries

from kundig.core.models import Team, User
from kundig.core.text import has_control_characters

from ..choices import (
    AddressKind,
    EmailKind,
    FormOfAddress,
    LifecycleStage,
    PhoneKind,
    Source,
)
from ..models import (
    CONTACT_LANGUAGES,
    Company,
)
from ..validation import (
    normalize_phone,
    normalize_salutation,
)

# --- Input shapes ---------------------------------------------------------------------


@dataclass
class EmailData:
    email: str
    kind: str = EmailKind.PRIVATE
    is_primary: bool = False


@dataclass
class PhoneData:
    number: str
    kind: str = PhoneKind.MOBILE
    is_primary: bool = False


@dataclass
class AddressData:
    street: str
    postcode: str
    city: str
    country: str = "DE"
    kind: str = AddressKind.BILLING
    extra: str = ""
    recipient: str = ""


@dataclass
class CompanyLinkData:
    company_id: int
    role: str = ""
    is_primary: bool = False


@dataclass
class _Errors:
    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(str(message))

    def merge(self, exc: ValidationError, prefix: str = "") -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                for message in errors:
                    self.add(f"{prefix}{name}", message)
        else:
            for message in exc.messages:
                self.add(prefix.rstrip(".") or "__all__", message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


CONTACT_FIELDS = (
    "salutation",
    "title",
    "first_name",
    "last_name",
    "form_of_address",
    "language",
    "birthday",
    "lifecycle_stage",
    "source",
    "owner",
    "team",
    "external_id",
)
COMPANY_FIELDS = (
    "name",
    "legal_form",
    "vat_id",
    "industry",
    "size",
    "website",
    "email",
    "phone",
    "owner",
    "team",
    "external_id",
)


# --- Field cleaning -------------------------------------------------------------------


def _choice(value, choices, name: str, errors: _Errors, *, blank_ok: bool = True):
    value = "" if value is None else str(value).strip()
    if value == "" and blank_ok:
        return ""
    if value not in dict(choices):
        errors.add(
            name,
            _("%(value)s is not one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(str(k) for k, _v in choices)},
        )
    return value


def _resolve_user(value, name: str, errors: _Errors) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    try:
        user = User.objects.filter(pk=int(value), is_active=True).first()
    except (TypeError, ValueError):
        user = User.objects.filter(
            email__iexact=str(value).strip(), is_active=True
        ).first()
    if user is None:
        errors.add(name, _("There is no active user %(value)s.") % {"value": value})
    return user


def _resolve_team(value, name: str, errors: _Errors) -> Team | None:
    if value in (None, ""):
        return None
    if isinstance(value, Team):
        return value
    try:
        team = Team.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        team = Team.objects.filter(name__iexact=str(value).strip()).first()
    if team is None:
        errors.add(name, _("There is no team %(value)s.") % {"value": value})
    return team


def _text(value, name: str, errors: _Errors, *, max_length: int) -> str:
    text = " ".join(str(value or "").split())
    if has_control_characters(text):
        errors.add(name, _("Remove the invisible control characters."))
    if len(text) > max_length:
        errors.add(name, _("At most %(n)d characters.") % {"n": max_length})
    return text


def _clean_contact_fields(data: dict, errors: _Errors) -> dict:
    unknown = set(data) - set(CONTACT_FIELDS)
    for name in sorted(unknown):
        errors.add(name, _("Unknown field."))
    clean: dict = {}
    for name, value in data.items():
        if name in ("title", "first_name", "last_name"):
            clean[name] = _text(
                value, name, errors, max_length=100 if name != "title" else 50
            )
        elif name == "salutation":
            try:
                clean[name] = normalize_salutation(value)
            except ValueError as exc:
                errors.add(name, str(exc))
        elif name == "form_of_address":
            clean[name] = _choice(
                value, FormOfAddress.choices, name, errors, blank_ok=False
            )
        elif name == "language":
            clean[name] = _choice(
                value, CONTACT_LANGUAGES, name, errors, blank_ok=False
            )
        elif name == "lifecycle_stage":
            clean[name] = _choice(
                value, LifecycleStage.choices, name, errors, blank_ok=False
            )
        elif name == "source":
            clean[name] = _choice(value, Source.choices, name, errors)
        elif name == "birthday":
            clean[name] = _date(value, name, errors)
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


def _date(value, name: str, errors: _Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        parsed = value
    else:
        text = str(value).strip()
        parsed = None
        try:
            parsed = parse_date(text)
        except ValueError:
            parsed = None
        if parsed is None:
            try:
                parsed = dt.datetime.strptime(text, "%d.%m.%Y").date()
            except ValueError:
                errors.add(name, _("Enter a date as YYYY-MM-DD or DD.MM.YYYY."))
                return None
    if parsed > timezone.localdate() or parsed.year < 1900:
        errors.add(name, _("Enter a date between 1900 and today."))
    return parsed


def _clean_emails(emails: list[EmailData], errors: _Errors) -> list[EmailData]:
    cleaned: list[EmailData] = []
    seen: set[str] = set()
    primaries = 0
    for i, item in enumerate(emails):
        address = (item.email or "").strip().lower()
        try:
            if len(address) > 254:  # what the column holds (RFC 5321's path limit)
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            errors.add(
                f"emails.{i}.email",
                _("%(value)s is not a valid email address.") % {"value": item.email},
            )
            continue
        if address in seen:
            errors.add(f"emails.{i}.email", _("This address is listed twice."))
            continue
        seen.add(address)
        kind = _choice(
            item.kind or EmailKind.PRIVATE,
            EmailKind.choices,
            f"emails.{i}.kind",
            errors,
        )
        if item.is_primary:
            primaries += 1
            if primaries > 1:
                errors.add(
                    f"emails.{i}.is_primary",
                    _("Only one email address can be the primary one."),
                )
        cleaned.append(
            EmailData(address, kind or EmailKind.PRIVATE, bool(item.is_primary))
        )
    if cleaned and primaries == 0:
        cleaned[0].is_primary = True
    return cleaned


def _clean_phones(phones: list[PhoneData], errors: _Errors) -> list[PhoneData]:
    cleaned: list[PhoneData] = []
    seen: set[str] = set()
    primaries = 0
    for i, item in enumerate(phones):
        try:
            number = normalize_phone(item.number)
        except ValueError as exc:
            errors.add(f"phones.{i}.number", str(exc))
            continue
        if number in seen:
            errors.add(f"phones.{i}.number", _("This number is listed twice."))
            continue
        seen.add(number)
        kind = _choice(
            item.kind or PhoneKind.MOBILE, PhoneKind.choices, f"phones.{i}.kind", errors
        )
        if item.is_primary:
            primaries += 1
            if primaries > 1:
                errors.add(
                    f"phones.{i}.is_primary",
                    _("Only one phone number can be the primary one."),
                )
        cleaned.append(
            PhoneData(number, kind or PhoneKind.MOBILE, bool(item.is_primary))
        )
    if cleaned and primaries == 0:
        cleaned[0].is_primary = True
    return cleaned


def _clean_addresses(
    addresses: list[AddressData], errors: _Errors
) -> list[AddressData]:
    cleaned = []
    for i, item in enumerate(addresses):
        street = _text(item.street, f"addresses.{i}.street", errors, max_length=200)
        postcode = _text(
            item.postcode, f"addresses.{i}.postcode", errors, max_length=12
        )
        city = _text(item.city, f"addresses.{i}.city", errors, max_length=100)
        country = str(item.country or "DE").strip().upper()
        for name, value in (("street", street), ("postcode", postcode), ("city", city)):
            if not value:
                errors.add(f"addresses.{i}.{name}", _("This field is required."))
        if country not in dict(countries):
            errors.add(
                f"addresses.{i}.country",
                _("Unknown country code %(c)s.") % {"c": country},
            )
        elif (
            country == "DE"
            and postcode
            and not (postcode.isdigit() and len(postcode) == 5)
        ):
            errors.add(
                f"addresses.{i}.postcode", _("A German postcode has five digits.")
            )
        kind = _choice(
            item.kind or AddressKind.BILLING,
            AddressKind.choices,
            f"addresses.{i}.kind",
            errors,
        )
        cleaned.append(
            AddressData(
                street=street,
                postcode=postcode,
                city=city,
                country=country,
                kind=kind or AddressKind.BILLING,
                extra=_text(item.extra, f"addresses.{i}.extra", errors, max_length=200),
                recipient=_text(
                    item.recipient, f"addresses.{i}.recipient", errors, max_length=200
                ),
            )
        )
    return cleaned


def _clean_company_links(
    links: list[CompanyLinkData], errors: _Errors, *, actor: User | None
) -> list[tuple[Company, CompanyLinkData]]:
    from ..selectors import companies_visible_to

    ids = []
    for i, link in enumerate(links):
        try:
            ids.append(int(link.company_id))
        except (TypeError, ValueError):
            errors.add(f"companies.{i}.company", _("Choose a company."))
    visible = Company.objects.all() if actor is None else companies_visible_to(actor)
    found = visible.in_bulk(ids)
    cleaned = []
    seen = set()
    primaries = 0
    for i, link in enumerate(links):
        try:
            company = found.get(int(link.company_id))
        except (TypeError, ValueError):
            continue
        if company is None:
            errors.add(
                f"companies.{i}.company",
                _("There is no company %(id)s.") % {"id": link.company_id},
            )
            continue
        if company.pk in seen:
            errors.add(f"companies.{i}.company", _("This company is listed twice."))
            continue
        seen.add(company.pk)
        primaries += bool(link.is_primary)
        if primaries > 1 and link.is_primary:
            errors.add(
                f"companies.{i}.is_primary", _("Only one company can be the main one.")
            )
        role = _text(link.role, f"companies.{i}.role", errors, max_length=100)
        cleaned.append(
            (company, CompanyLinkData(company.pk, role, bool(link.is_primary)))
        )
    if cleaned and primaries == 0:
        cleaned[0][1].is_primary = True
    return cleaned


def _check_external_id(model, value, *, exclude_pk, errors: _Errors) -> None:
    if (
        value
        and model.objects.filter(external_id=value).exclude(pk=exclude_pk).exists()
    ):
        errors.add("external_id", _("Another record has this external ID."))
