"""Normalising and validating phone numbers, VAT IDs and names."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from .choices import SALUTATION_ALIASES, Salutation


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return ``raw`` as an E.164 number; raise ValueError if it is not a valid one."""
    text = (raw or "").strip()
    if not text:
        raise ValueError(_("Enter a phone number."))
    try:
        number = phonenumbers.parse(text, region or settings.KUNDIG_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(
            _("%(value)s is not a phone number.") % {"value": text}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("%(value)s is not a valid phone number.") % {"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Return an E.164 number as people write it: national at home, else with +."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == settings.KUNDIG_PHONE_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def phone_search_digits(e164: str) -> list[str]:
    """Return the digit strings a user may type to find ``e164``: 49151…, 0151…."""
    if not e164:
        return []
    digits = [e164.lstrip("+")]
    try:
        number = phonenumbers.parse(e164, None)
        national = str(number.national_number)
        prefix = phonenumbers.country_code_for_region(settings.KUNDIG_PHONE_REGION)
        if number.country_code == prefix:
            digits.append("0" + national)
    except phonenumbers.NumberParseException:
        pass
    return digits


_VAT_MODULES = {"GB": "gb", "CH": "ch", "NO": "no"}


def normalize_vat_id(raw: str) -> str:
    """Return the compact form of a VAT ID; raise ValueError if it is not valid."""
    text = (raw or "").strip().upper().replace(" ", "")
    if not text:
        return ""
    country = text[:2]
    try:
        if country in _VAT_MODULES:
            compact = get_cc_module(_VAT_MODULES[country], "vat").validate(text)
            return compact if compact.startswith(country) else country + compact
        return eu_vat.validate(text)
    except StdnumError:
        raise ValueError(
            _("%(value)s is not a valid VAT ID (e.g. DE123456789).") % {"value": raw}
        ) from None


def normalize_salutation(raw) -> str:
    """Return the salutation code for ``raw`` ("Frau", "Mr", "divers", …)."""
    key = str(raw or "").strip().lower()
    if key in Salutation.values:
        return key
    if key in SALUTATION_ALIASES:
        return SALUTATION_ALIASES[key].value
    raise ValueError(
        _("Unknown salutation %(value)s; use Herr, Frau, divers or none.")
        % {"value": raw}
    )
