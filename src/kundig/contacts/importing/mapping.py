"""The fields a column can be imported into, and the guess from a column's header.

A header is recognised by (first match wins):

1. the column keys of our own export (``first_name``, ``custom.vip``), so an
   exported file maps itself;
2. a custom field's key or label;
3. the export's column labels in German and English, and common synonyms
   (Vorname, PLZ, USt-IdNr., Kundennummer, …).

Headers are compared without case, spaces and punctuation, with umlauts
folded (``E-Mail`` = ``email``, ``Straße`` = ``strasse``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kundig.core.choices import CustomFieldEntity
from kundig.core.customfields import definitions_for

from ..exporting import COMPANY_COLUMNS, CONTACT_COLUMNS
from .choices import ImportEntity

CUSTOM_PREFIX = "custom."


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    group: str
    synonyms: tuple[str, ...] = ()
    auto: bool = True


PERSON = _("Person")
DETAILS = _("Email and phone")
ADDRESS = _("Billing address")
COMPANY = _("Company")
CRM = _("CRM")
CUSTOM = _("Custom fields")
MATCHING = _("Matching")

_ADDRESS_TARGETS = [
    Target(
        "street",
        _("Street and number"),
        ADDRESS,
        (
            "straße",
            "strasse",
            "str",
            "anschrift",
            "adresse",
            "address",
            "street",
            "straße und hausnummer",
            "straße hausnummer",
            "straße nr",
            "address line 1",
            "adresszeile 1",
        ),
    ),
    Target(
        "house_number",
        _("House number (added to the street)"),
        ADDRESS,
        ("hausnummer", "hausnr", "hnr", "nr", "house number", "street number"),
    ),
    Target(
        "extra",
        _("Address line 2"),
        ADDRESS,
        ("adresszusatz", "zusatz", "address line 2", "adresszeile 2", "c/o"),
    ),
    Target(
        "postcode",
        _("Postcode"),
        ADDRESS,
        (
            "plz",
            "postleitzahl",
            "zip",
            "zip code",
            "zipcode",
            "postal code",
            "postcode",
        ),
    ),
    Target("city", _("City"), ADDRESS, ("ort", "stadt", "wohnort", "city", "town")),
    Target(
        "country", _("Country"), ADDRESS, ("land", "staat", "country", "länderkürzel")
    ),
]

_ASSIGNMENT_TARGETS = [
    Target(
        "owner",
        _("Owner (user's email)"),
        CRM,
        (
            "besitzer",
            "verantwortlich",
            "betreuer",
            "kundenbetreuer",
            "zuständig",
            "owner",
            "account owner",
            "sachbearbeiter",
        ),
    ),
    Target("team", _("Team (name)"), CRM, ("team", "vertriebsteam", "abteilung")),
    Target(
        "tags",
        _("Tags (comma-separated)"),
        CRM,
        (
            "tags",
            "tag",
            "schlagworte",
            "schlagwörter",
            "stichworte",
            "labels",
            "kategorien",
            "merkmale",
        ),
    ),
    Target(
        "external_id",
        _("External ID"),
        MATCHING,
        (
            "kundennummer",
            "kundennr",
            "kunden nr",
            "kd nr",
            "kdnr",
            "debitor",
            "debitorennummer",
            "customer number",
            "customer no",
            "customer id",
            "external id",
            "externe id",
            "fremd id",
        ),
    ),
    Target("id", _("Kundig ID (update only)"), MATCHING, auto=False),
]

CONTACT_TARGETS = [
    Target(
        "salutation",
        _("Salutation"),
        PERSON,
        ("anrede", "salutation", "briefanrede"),
    ),
    Target(
        "title", _("Academic title"), PERSON, ("titel", "title", "akademischer titel")
    ),
    Target(
        "first_name",
        _("First name"),
        PERSON,
        ("vorname", "rufname", "first name", "firstname", "given name", "forename"),
    ),
    Target(
        "last_name",
        _("Last name"),
        PERSON,
        (
            "nachname",
            "familienname",
            "zuname",
            "last name",
            "lastname",
            "surname",
            "family name",
        ),
    ),
    Target(
        "birthday",
        _("Birthday"),
        PERSON,
        (
            "geburtstag",
            "geburtsdatum",
            "geb",
            "birthday",
            "date of birth",
            "birth date",
            "dob",
        ),
    ),
    Target(
        "language",
        _("Language"),
        PERSON,
        ("sprache", "language", "korrespondenzsprache"),
    ),
    Target(
        "form_of_address",
        _("Form of address"),
        PERSON,
        ("anredeform", "ansprache", "du sie", "duzen", "form of address"),
    ),
    Target(
        "email",
        _("Email (main)"),
        DETAILS,
        (
            "e-mail",
            "email",
            "mail",
            "e-mail-adresse",
            "emailadresse",
            "email address",
            "e-mail 1",
            "email 1",
        ),
    ),
    Target(
        "other_emails",
        _("Other emails (comma-separated)"),
        DETAILS,
        (
            "weitere e-mails",
            "weitere e-mail-adressen",
            "other emails",
            "e-mail 2",
            "email 2",
        ),
    ),
    Target(
        "phone",
        _("Phone (main)"),
        DETAILS,
        (
            "telefon",
            "tel",
            "telefonnummer",
            "rufnummer",
            "phone",
            "phone number",
            "telephone",
            "mobil",
            "mobiltelefon",
            "mobilnummer",
            "handy",
            "handynummer",
            "mobile",
            "mobile phone",
            "cell",
            "festnetz",
            "telefon privat",
            "telefon geschäftlich",
        ),
    ),
    Target(
        "other_phones",
        _("Other phones (comma-separated)"),
        DETAILS,
        ("weitere telefonnummern", "other phones", "telefon 2", "phone 2"),
    ),
    *_ADDRESS_TARGETS,
    Target(
        "company",
        _("Company (name)"),
        COMPANY,
        (
            "firma",
            "firmenname",
            "unternehmen",
            "organisation",
            "arbeitgeber",
            "company",
            "company name",
            "organization",
            "account",
        ),
    ),
    Target(
        "company_role",
        _("Role at the company"),
        COMPANY,
        (
            "position",
            "rolle",
            "funktion",
            "jobtitel",
            "berufsbezeichnung",
            "role",
            "job title",
            "jobtitle",
        ),
    ),
    Target(
        "lifecycle_stage",
        _("Lifecycle stage"),
        CRM,
        ("phase", "lebenszyklus", "lebenszyklusphase", "lifecycle stage", "stage"),
    ),
    Target("source", _("Source"), CRM, ("quelle", "herkunft", "source", "lead source")),
    *_ASSIGNMENT_TARGETS,
]

COMPANY_TARGETS = [
    Target(
        "name",
        _("Name"),
        COMPANY,
        (
            "name",
            "firma",
            "firmenname",
            "unternehmen",
            "organisation",
            "company",
            "company name",
            "organization",
        ),
    ),
    Target("legal_form", _("Legal form"), COMPANY, ("rechtsform", "legal form")),
    Target(
        "vat_id",
        _("VAT ID"),
        COMPANY,
        (
            "ust-idnr",
            "ustidnr",
            "ust-id",
            "ust id",
            "ust-id-nr",
            "umsatzsteuer-id",
            "umsatzsteuer-identifikationsnummer",
            "vat",
            "vat id",
            "vat number",
            "vat no",
        ),
    ),
    Target(
        "industry", _("Industry"), COMPANY, ("branche", "industry", "sector", "sektor")
    ),
    Target(
        "size",
        _("Size"),
        COMPANY,
        (
            "größe",
            "unternehmensgröße",
            "firmengröße",
            "mitarbeiterzahl",
            "size",
            "company size",
            "employees",
        ),
    ),
    Target(
        "website",
        _("Website"),
        COMPANY,
        ("website", "webseite", "homepage", "internet", "internetseite", "url", "web"),
    ),
    Target("email", _("Email"), DETAILS, ("e-mail", "email", "mail", "e-mail-adresse")),
    Target(
        "phone",
        _("Phone"),
        DETAILS,
        (
            "telefon",
            "tel",
            "telefonnummer",
            "rufnummer",
            "zentrale",
            "phone",
            "phone number",
            "telephone",
        ),
    ),
    *_ADDRESS_TARGETS,
    *_ASSIGNMENT_TARGETS,
]

# When a second column maps to a field that is taken, it may go here instead.
_OVERFLOW = {"email": "other_emails", "phone": "other_phones"}


def normalize_header(text: str) -> str:
    """Return ``text`` without case, accents, spaces and punctuation."""
    text = str(text or "").casefold().replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "", text)


def _custom_entity(entity: str) -> str:
    return (
        CustomFieldEntity.CONTACT
        if entity == ImportEntity.CONTACT
        else CustomFieldEntity.COMPANY
    )


def custom_definitions(entity: str, *, user) -> list:
    return definitions_for(_custom_entity(entity), user=user)


def targets_for(entity: str, *, user) -> list[Target]:
    """Return every field ``user`` may import into for ``entity``."""
    base = CONTACT_TARGETS if entity == ImportEntity.CONTACT else COMPANY_TARGETS
    custom = [
        Target(f"{CUSTOM_PREFIX}{d.key}", d.label, CUSTOM, (d.key,))
        for d in custom_definitions(entity, user=user)
    ]
    return [*base, *custom]


def _labels(label) -> list[str]:
    names = []
    for language in ("de", "en"):
        with translation.override(language):
            names.append(str(label))
    return names


def _index(entity: str, targets: list[Target]) -> list[dict[str, str]]:
    """Return lookup tables from normalised header to target key, strongest first."""
    keys = {t.key for t in targets}
    columns = CONTACT_COLUMNS if entity == ImportEntity.CONTACT else COMPANY_COLUMNS
    exported = {}
    for column in columns:
        if column.key in keys and column.key != "id":
            exported[normalize_header(column.key)] = column.key
    custom: dict[str, str] = {}
    for target in targets:
        if target.key.startswith(CUSTOM_PREFIX):
            custom[normalize_header(target.key)] = target.key
            for name in (*target.synonyms, *_labels(target.label)):
                custom.setdefault(normalize_header(name), target.key)
    labels: dict[str, str] = {}
    for column in columns:
        if column.key in keys and column.key != "id":
            for name in _labels(column.label):
                labels.setdefault(normalize_header(name), column.key)
    for target in targets:
        if not target.auto or target.key.startswith(CUSTOM_PREFIX):
            continue
        for name in (target.key, *target.synonyms, *_labels(target.label)):
            labels.setdefault(normalize_header(name), target.key)
    return [exported, custom, labels]


def auto_map(entity: str, headers: list[str], *, user) -> list[str]:
    """Guess the target field of each column from its header ('' = ignore)."""
    targets = targets_for(entity, user=user)
    tables = _index(entity, targets)
    used: set[str] = set()
    mapping = []
    for header in headers:
        normal = normalize_header(header)
        found = ""
        for table in tables:
            if normal in table:
                found = table[normal]
                break
        if found in used:
            found = _OVERFLOW.get(found, "")
            if found in used:
                found = ""
        if found:
            used.add(found)
        mapping.append(found)
    return mapping


def check_mapping(entity: str, mapping: list[str], *, user) -> list[str]:
    """Return what is wrong with a mapping as messages for the user (empty: fine)."""
    allowed = {t.key: t for t in targets_for(entity, user=user)}
    problems = []
    seen: set[str] = set()
    for key in mapping:
        if not key:
            continue
        if key not in allowed:
            problems.append(str(_("Unknown field %(key)s.") % {"key": key}))
        elif key in seen:
            problems.append(
                str(
                    _("%(field)s is chosen for more than one column.")
                    % {"field": allowed[key].label}
                )
            )
        seen.add(key)
    if not seen:
        problems.append(str(_("Choose a field for at least one column.")))
    return problems
