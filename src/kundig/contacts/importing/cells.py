"""Cell values as the services expect them: codes for choices, lists split.

Only spellings are translated here ("Stammkunde" → ``regular_customer``,
"Österreich" → ``AT``); whether a value is valid is left to the services.
"""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.utils import translation
from django_countries import countries

from ..choices import (
    CompanySize,
    FormOfAddress,
    LegalForm,
    LifecycleStage,
    PhoneKind,
    Source,
)
from ..models import CONTACT_LANGUAGES
from ..validation import normalize_phone
from .mapping import normalize_header

LIST_SPLIT = re.compile(r"[,;\n]+")
EMAIL_SPLIT = re.compile(r"[,;\s]+")

# Spellings seen in German files that the services' own aliases don't know.
SALUTATIONS = {
    "herrn": "herr",
    "männlich": "herr",
    "w": "frau",
    "weiblich": "frau",
    "frau dr": "frau",
    "herr dr": "herr",
}
ALIASES = {
    "form_of_address": {
        "sie": FormOfAddress.FORMAL,
        "förmlich": FormOfAddress.FORMAL,
        "formell": FormOfAddress.FORMAL,
        "du": FormOfAddress.INFORMAL,
        "informell": FormOfAddress.INFORMAL,
        "persönlich": FormOfAddress.INFORMAL,
    },
    "language": {
        "deutsch": "de",
        "englisch": "en",
        "französisch": "fr",
        "italienisch": "it",
        "niederländisch": "nl",
        "polnisch": "pl",
        "spanisch": "es",
        "türkisch": "tr",
    },
    "lifecycle_stage": {
        "abonnent": LifecycleStage.SUBSCRIBER,
        "interessent": LifecycleStage.LEAD,
        "kunde": LifecycleStage.CUSTOMER,
        "neukunde": LifecycleStage.CUSTOMER,
        "stammkunde": LifecycleStage.REGULAR_CUSTOMER,
        "gefährdet": LifecycleStage.AT_RISK,
        "inaktiv": LifecycleStage.INACTIVE,
    },
    "source": {
        "onlineshop": Source.WEB_SHOP,
        "webshop": Source.WEB_SHOP,
        "shop": Source.WEB_SHOP,
        "marktplatz": Source.MARKETPLACE,
        "laden": Source.STORE,
        "filiale": Source.STORE,
        "geschäft": Source.STORE,
        "telefon": Source.PHONE,
        "messe": Source.TRADE_FAIR,
        "empfehlung": Source.REFERRAL,
        "soziale medien": Source.SOCIAL,
        "sonstige": Source.OTHER,
        "andere": Source.OTHER,
    },
    "legal_form": {"einzelunternehmen": LegalForm.SOLE, "ug": LegalForm.UG},
    "size": {},
}
CHOICE_FIELDS = {
    "form_of_address": FormOfAddress.choices,
    "language": CONTACT_LANGUAGES,
    "lifecycle_stage": LifecycleStage.choices,
    "source": Source.choices,
    "legal_form": LegalForm.choices,
    "size": CompanySize.choices,
}
ADDRESS_PARTS = ("street", "house_number", "extra", "postcode", "city", "country")
# A country or an address line 2 alone makes no address to create.
ADDRESS_CORE = ("street", "postcode", "city")


def choice_lookup(key: str) -> dict[str, str]:
    """Return the codes of choice field ``key`` by code, German and English label."""
    table: dict[str, str] = {}
    for code, label in CHOICE_FIELDS[key]:
        table[normalize_header(code)] = code
        for language in ("de", "en"):
            with translation.override(language):
                table.setdefault(normalize_header(str(label)), code)
    for alias, code in ALIASES.get(key, {}).items():
        table.setdefault(normalize_header(alias), str(code))
    return table


def country_code(text: str) -> str:
    """Return the code of a country given by code or German or English name."""
    code = text.strip().upper()
    if len(code) == 2:
        return code
    for language in ("de", "en"):
        found = countries.by_name(text.strip(), language=language)
        if found:
            return found
    return text


def phone_kind(number: str) -> str:
    """Guess landline or mobile from the number itself."""
    try:
        parsed = phonenumbers.parse(number, settings.KUNDIG_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return PhoneKind.MOBILE
    kind = phonenumbers.number_type(parsed)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return PhoneKind.LANDLINE
    return PhoneKind.MOBILE


def phone_key(number: str) -> str:
    """Return ``number`` in E.164 to compare it; unchanged if it is no number."""
    try:
        return normalize_phone(number)
    except ValueError:
        return number.strip()


def collapse(value: str) -> str:
    """Return ``value`` with runs of whitespace made one space, as the services do."""
    return " ".join(value.split())


def street_of(values: dict[str, str]) -> str:
    """Return the street with the house number of a separate column appended."""
    street = values.get("street", "")
    if not street:
        return ""
    return (
        f"{street} {values['house_number']}" if values.get("house_number") else street
    )
