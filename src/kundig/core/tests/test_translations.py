"""The German catalogue: complete, compiled, and what the pages actually show.

The catalogue is ``locale/de/LC_MESSAGES/django.po``; the compiled
``django.mo`` next to it is committed, so a machine without GNU gettext can run
Kundig. How to update both is in docs/development.md ("Translations").
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"
PO = CATALOGUE / "django.po"
MO = CATALOGUE / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return repr(
            self.msgid if self.msgctxt is None else f"{self.msgctxt}|{self.msgid}"
        )


def read_po(path: Path) -> list[Entry]:
    """Parse a PO file as gettext writes it: entries separated by blank lines.

    Reads msgctxt, msgid, msgid_plural, msgstr and msgstr[n], each possibly
    continued over several lines, and the ``#,`` flags. Obsolete entries
    (``#~``) are left out. The header (empty msgid) is the first entry.
    """
    entries = []
    text = path.read_text(encoding="utf-8")
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        entry, target = Entry(), None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            elif line.startswith("#"):
                continue
            elif match := re.fullmatch(
                r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")', line
            ):
                keyword, index, value = match.groups()
                target = (
                    ("msgstr", int(index or 0))
                    if index or keyword == "msgstr"
                    else keyword
                )
                _store(entry, target, ast.literal_eval(value))
            elif line.startswith('"') and target is not None:
                _store(entry, target, ast.literal_eval(line), append=True)
            else:
                raise AssertionError(f"{path.name}: cannot read {line!r}")
        if target is not None:  # a block of only comments or obsolete entries has none
            entries.append(entry)
    return entries


def _store(entry: Entry, target, value: str, *, append: bool = False) -> None:
    if isinstance(target, tuple):
        index = target[1]
        entry.msgstr[index] = (entry.msgstr.get(index, "") if append else "") + value
    else:
        setattr(
            entry, target, ((getattr(entry, target) or "") if append else "") + value
        )


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    found = read_po(PO)
    assert found, "the catalogue is empty"
    assert found[0].msgid == "", "the catalogue has no header"
    return found[1:]


def test_the_catalogue_declares_german_plurals():
    header = read_po(PO)[0]
    assert "fuzzy" not in header.flags
    assert "Language: de\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]


def test_every_string_is_translated_and_none_is_fuzzy(entries):
    fuzzy = [e.label for e in entries if "fuzzy" in e.flags]
    forms = 2
    untranslated = [
        e.label
        for e in entries
        if (e.msgid_plural is None and not e.msgstr.get(0))
        or (
            e.msgid_plural is not None
            and not all(e.msgstr.get(i) for i in range(forms))
        )
    ]
    assert len(entries) > 500  # the whole UI, not a stub
    assert not fuzzy, f"fuzzy entries in {PO.name}: {fuzzy}"
    assert not untranslated, f"untranslated entries in {PO.name}: {untranslated}"


def test_placeholders_and_tags_survive_translation(entries):
    broken = []
    for e in entries:
        sources = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
        wanted_placeholders = set().union(*(PLACEHOLDER.findall(s) for s in sources))
        wanted_tags = sorted(TAG.findall(sources[-1]))
        for translated in e.msgstr.values():
            if set(PLACEHOLDER.findall(translated)) - wanted_placeholders:
                broken.append((e.label, "unknown placeholder", translated))
            if (
                e.msgid_plural is None
                and set(PLACEHOLDER.findall(translated)) != wanted_placeholders
            ):
                broken.append((e.label, "placeholders differ", translated))
            if sorted(TAG.findall(translated)) != wanted_tags:
                broken.append((e.label, "HTML tags differ", translated))
    assert not broken, broken


def test_translations_add_no_ascii_quotes(entries):
    """Some strings sit in JavaScript ('…') or HTML attributes ("…").

    A straight quote the English text does not have would end the string
    there; German text uses typographic quotes instead.
    """
    bad = [
        (e.label, translated)
        for e in entries
        for translated in e.msgstr.values()
        for quote in ("'", '"')
        if quote in translated and quote not in e.msgid
    ]
    assert not bad, bad


def test_the_committed_mo_file_is_the_compiled_po_file(entries):
    """django.mo holds exactly the translations of django.po, none stale, none missing.

    If this fails, compile again (docs/development.md, "Translations").
    """
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    expected: dict = {}
    for e in entries:
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            expected[key] = e.msgstr[0]
        else:
            for index, text in e.msgstr.items():
                expected[(key, index)] = text
    actual = {k: v for k, v in compiled._catalog.items() if k != ""}
    stale = sorted(str(k) for k in actual.keys() - expected.keys())
    missing = sorted(str(k) for k in expected.keys() - actual.keys())
    changed = sorted(
        str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k]
    )
    assert not stale, f"only in django.mo: {stale}"
    assert not missing, f"not in django.mo: {missing}"
    assert not changed, f"different in django.mo: {changed}"


def test_django_uses_the_catalogue_for_plurals():
    template = Template(
        "{% load i18n %}{% blocktranslate count n=n %}{{ n }} minute"
        "{% plural %}{{ n }} minutes{% endblocktranslate %}"
    )
    with translation.override("de"):
        assert template.render(Context({"n": 1})) == "1 Minute"
        assert template.render(Context({"n": 5})) == "5 Minuten"
        assert (
            translation.ngettext("%(n)s member", "%(n)s members", 1) == "%(n)s Mitglied"
        )
    with translation.override("en"):
        assert template.render(Context({"n": 5})) == "5 minutes"


# --- What users see -------------------------------------------------------------------

MENU = re.compile(r'<span class="nav-link-title">([^<]+)</span>')
QUICK_TABS = re.compile(r'<i class="ti ti-[a-z]+ me-1"></i>([^<]+)</button></li>')
QUICK_WHEN = re.compile(r'<label class="btn" for="when-[^"]+">([^<]+)</label>')


@pytest.mark.django_db
def test_the_start_page_speaks_german_and_english(admin, client_for):
    client = client_for(admin)

    page = client.get(reverse("activity:home")).content.decode()
    assert MENU.findall(page) == [
        "Start",
        "Kontakte",
        "Firmen",
        "Aufgaben",
        "Tickets",
        "Import",
        "Nachrichten",
        "Shop-Webhooks",
        "Ausgehende Webhooks",
        "Social Media",
        "Ticket-Warteschlangen",
        "Einstellungen",
    ]
    assert "Meine Aufgaben" in page
    assert "Abmelden" in page

    client.post(reverse("core:set_language"), {"language": "en"})
    page = client.get(reverse("activity:home")).content.decode()
    assert MENU.findall(page) == [
        "Start",
        "Contacts",
        "Companies",
        "Tasks",
        "Tickets",
        "Import",
        "Messaging",
        "Shop webhooks",
        "Outgoing webhooks",
        "Social media",
        "Ticket queues",
        "Settings",
    ]
    assert "My tasks" in page
    assert "Sign out" in page


@pytest.mark.django_db
def test_the_360_page_speaks_german_and_english(sales_nord, client_for, make_contact):
    contact = make_contact(
        sales_nord,
        first_name="Jürgen",
        last_name="Müller",
        lifecycle_stage="regular_customer",
    )
    client = client_for(sales_nord)

    page = client.get(contact.get_absolute_url()).content.decode()
    assert QUICK_TABS.findall(page) == ["Notiz", "Anruf", "Termin", "Brief", "Aufgabe"]
    assert QUICK_WHEN.findall(page) == [
        "Morgen",
        "In 3 Tagen",
        "Nächste Woche",
        "Datum wählen",
    ]
    for label in ("Zeitleiste", "Aufgabe hinzufügen", "Stammkunde", "Änderungsverlauf"):
        assert label in page, label

    client.post(reverse("core:set_language"), {"language": "en"})
    page = client.get(contact.get_absolute_url()).content.decode()
    assert QUICK_TABS.findall(page) == ["Note", "Call", "Meeting", "Letter", "Task"]
    assert QUICK_WHEN.findall(page) == [
        "Tomorrow",
        "In 3 days",
        "Next week",
        "Pick a date",
    ]
    for label in ("Timeline", "Add task", "Regular customer", "History of changes"):
        assert label in page, label


@pytest.mark.django_db
def test_the_sign_in_pages_say_sie(client, admin):
    """allauth's German says "du"; Kundig's catalogue overrides it.

    The overridden texts are in core/allauth_texts.py.
    """
    page = client.get(reverse("account_login")).content.decode()
    assert "Anmelden</h1>" in page
    assert reverse("account_signup") not in page  # there is no public sign-up
    page = client.get(reverse("account_reset_password")).content.decode()
    assert "Geben Sie unten Ihre E-Mail-Adresse ein" in page

    client.force_login(admin)
    page = client.get(reverse("account_logout")).content.decode()
    assert "Möchten Sie sich wirklich abmelden?" in page
    page = client.get(reverse("mfa_index")).content.decode()
    assert "Zwei-Faktor-Anmeldung" in page
