"""Importing contacts: creating, matching, merging, and rows that fail alone."""

from __future__ import annotations

import pytest

from kundig.contacts.importing.models import ImportRowError
from kundig.contacts.models import Company, Contact, ContactEmail
from kundig.core.models import AuditEntry, DomainEvent

from .importing import import_rows, new_job, run, speaks_english

HEADER = [
    "Anrede",
    "Vorname",
    "Nachname",
    "E-Mail",
    "Telefon",
    "Straße",
    "PLZ",
    "Ort",
    "Firma",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def marketing_user(marketing_user):
    return speaks_english(marketing_user)


@pytest.fixture
def manager_nord(manager_nord):
    return speaks_english(manager_nord)


def test_it_creates_contacts_with_everything_they_hold(marketing_user):
    # given
    rows = [
        HEADER,
        [
            "Frau",
            "Anna",
            "Müller",
            "Anna@Example.de",
            "030 1234567",
            "Hauptstr. 5",
            "1067",
            "Dresden",
            "Müller GmbH",
        ],
    ]
    # when
    job = import_rows(marketing_user, rows)
    # then
    assert (job.status, job.created_count, job.failed_count) == ("done", 1, 0)
    contact = Contact.objects.get()
    assert (contact.salutation, contact.first_name, contact.last_name) == (
        "frau",
        "Anna",
        "Müller",
    )
    assert [e.email for e in contact.emails.all()] == ["anna@example.de"]
    assert [(p.number, p.kind) for p in contact.phones.all()] == [
        ("+49301234567", "landline")
    ]
    address = contact.addresses.get()
    assert (address.street, address.postcode, address.city, address.country.code) == (
        "Hauptstr. 5",
        "01067",
        "Dresden",
        "DE",
    )
    assert contact.company_links.get().company.name == "Müller GmbH"
    assert (contact.owner, contact.source) == (marketing_user, "import")
    assert DomainEvent.objects.filter(
        name="contact.created", subject_id=contact.pk
    ).exists()
    assert AuditEntry.objects.filter(object_id=contact.pk, action="create").exists()


def test_a_row_with_a_bad_phone_leaves_nothing_behind_while_others_import(
    marketing_user,
):
    rows = [
        HEADER,
        [
            "Frau",
            "Anna",
            "Muster",
            "anna@example.de",
            "0151 12345678",
            "",
            "",
            "",
            "Neu AG",
        ],
        [
            "Herr",
            "Bernd",
            "Fehler",
            "bernd@example.de",
            "12",
            "Weg 1",
            "10115",
            "Berlin",
            "Nur Bernd GmbH",
        ],
        ["Herr", "Carl", "Muster", "carl@example.de", "", "", "", "", ""],
    ]
    job = import_rows(marketing_user, rows)
    assert (job.created_count, job.failed_count) == (2, 1)
    assert not Contact.objects.filter(last_name="Fehler").exists()
    assert not ContactEmail.objects.filter(email="bernd@example.de").exists()
    assert not Company.objects.filter(name="Nur Bernd GmbH").exists()
    error = ImportRowError.objects.get(job=job)
    assert error.row_number == 3
    assert error.errors == [["Telefon", "12 is not a valid phone number."]]
    assert error.values[:3] == ["Herr", "Bernd", "Fehler"]


def test_a_dry_run_reports_every_bad_row_and_writes_nothing(marketing_user):
    rows = [
        HEADER,
        ["Frau", "Anna", "Muster", "anna@", "", "", "", "", "Neu AG"],
        ["Herr", "Bernd", "Gut", "bernd@example.de", "", "", "", "", ""],
        [
            "Quatsch",
            "Carl",
            "Muster",
            "carl@example.de",
            "",
            "Weg 1",
            "123",
            "Berlin",
            "",
        ],
    ]
    events_before = DomainEvent.objects.count()
    job = import_rows(marketing_user, rows, phase="dry_run")
    assert job.status == "checked"
    assert job.dry_run_summary["created"] == 1
    assert job.dry_run_summary["failed"] == 2
    assert Contact.objects.count() == 0
    assert Company.objects.count() == 0
    assert DomainEvent.objects.count() == events_before
    reports = {e.row_number: e.errors for e in job.row_errors.filter(phase="dry_run")}
    assert reports[2] == [["E-Mail", "anna@ is not a valid email address."]]
    assert [
        "Anrede",
        "Unknown salutation Quatsch; use Herr, Frau, divers or none.",
    ] in reports[4]
    assert ["PLZ", "A German postcode has five digits."] in reports[4]


def test_the_dry_run_and_the_import_agree(marketing_user):
    rows = [
        HEADER,
        ["Frau", "Anna", "Muster", "anna@", "", "", "", "", ""],
        ["Herr", "Bernd", "Gut", "bernd@example.de", "", "", "", "", ""],
    ]
    job = new_job(marketing_user, rows)
    run(job, "dry_run")
    run(job, "import")
    dry = list(
        job.row_errors.filter(phase="dry_run").values_list("row_number", "errors")
    )
    real = list(
        job.row_errors.filter(phase="import").values_list("row_number", "errors")
    )
    assert dry == real
    assert job.created_count == job.dry_run_summary["created"] == 1


def test_importing_the_same_file_twice_updates_instead_of_duplicating(marketing_user):
    rows = [
        ["Kundennummer", "Vorname", "Nachname", "E-Mail", "Telefon", "Tags"],
        [
            "K-1",
            "Anna",
            "Muster",
            "anna@example.de",
            "0151 12345678",
            "VIP, Newsletter",
        ],
        ["", "Bernd", "Beispiel", "bernd@example.de", "", ""],
    ]
    first = import_rows(marketing_user, rows)
    second = import_rows(marketing_user, rows)
    assert (first.created_count, first.updated_count) == (2, 0)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (
        0,
        0,
        2,
    )
    assert Contact.objects.count() == 2
    assert sorted(
        t.name for t in Contact.objects.get(external_id="K-1").tags.all()
    ) == [
        "Newsletter",
        "VIP",
    ]


def test_an_update_changes_only_what_the_row_has_a_value_for(
    marketing_user, make_contact
):
    # given a contact with an address, two phones and a birthday
    from kundig.contacts.services import AddressData, PhoneData, contact_update

    contact = make_contact(
        marketing_user, email="anna@example.de", phone="0151 11111111"
    )
    contact_update(
        actor=marketing_user,
        contact=contact,
        fields={"birthday": "1980-05-17"},
        phones=[
            PhoneData("0151 11111111", is_primary=True),
            PhoneData("030 2222222", kind="landline"),
        ],
        addresses=[AddressData("Alte Str. 1", "10115", "Berlin")],
    )
    # when a file with only email, a new phone and an empty birthday is imported
    rows = [
        ["E-Mail", "Telefon", "Geburtstag"],
        ["ANNA@example.de", "0170 3333333", ""],
    ]
    job = import_rows(marketing_user, rows)
    # then the number is added as the main one and nothing else is lost
    assert job.updated_count == 1
    contact.refresh_from_db()
    assert [(p.number, p.is_primary) for p in contact.phones.all()] == [
        ("+491703333333", True),
        ("+4915111111111", False),
        ("+49302222222", False),
    ]
    assert contact.addresses.get().street == "Alte Str. 1"
    assert str(contact.birthday) == "1980-05-17"
    assert contact.emails.count() == 1


def test_it_reports_an_email_shared_by_several_contacts_as_ambiguous(
    marketing_user, make_contact
):
    make_contact(marketing_user, last_name="Eins", email="familie@example.de")
    second = make_contact(marketing_user, last_name="Zwei", email="zwei@example.de")
    from kundig.contacts.services import EmailData, contact_update

    contact_update(
        actor=marketing_user,
        contact=second,
        emails=[
            EmailData("zwei@example.de", is_primary=True),
            EmailData("familie@example.de"),
        ],
    )
    job = import_rows(
        marketing_user, [["E-Mail", "Vorname"], ["familie@example.de", "Wer"]]
    )
    assert (job.failed_count, job.updated_count, job.created_count) == (1, 0, 0)
    error = job.row_errors.get()
    assert error.errors[0][0] == "E-Mail"
    assert "2 of your contacts have this email address" in error.errors[0][1]


def test_a_contact_with_another_external_id_is_another_person(
    marketing_user, make_contact
):
    make_contact(marketing_user, email="familie@example.de", external_id="K-1")
    rows = [
        ["Kundennummer", "E-Mail", "Vorname"],
        ["K-2", "familie@example.de", "Kind"],
    ]
    job = import_rows(marketing_user, rows)
    assert job.created_count == 1
    assert Contact.objects.filter(emails__email="familie@example.de").count() == 2


def test_a_user_cannot_update_a_contact_they_cannot_see(manager_nord, make_contact):
    """Invisible records count as not existing: the row creates a new contact.

    Managers see their team's records; Nord's manager imports the email of a
    contact of team Süd, which stays untouched.
    """
    from kundig.core.services import user_create

    sued_manager = user_create(
        email="susi@kundig.test",
        password="x",
        role="manager",
        team_name="Süd",
        check_password=False,
    )
    theirs = make_contact(sued_manager, first_name="Geheim", email="kunde@example.de")
    job = import_rows(
        manager_nord, [["E-Mail", "Vorname"], ["kunde@example.de", "Neu"]]
    )
    assert (job.created_count, job.updated_count) == (1, 0)
    theirs.refresh_from_db()
    assert theirs.first_name == "Geheim"
    mine = Contact.objects.exclude(pk=theirs.pk).get()
    assert (mine.owner, mine.first_name) == (manager_nord, "Neu")


def test_an_unknown_owner_is_a_row_error_naming_the_column(marketing_user):
    rows = [["Nachname", "Betreuer"], ["Muster", "niemand@example.de"]]
    job = import_rows(marketing_user, rows)
    assert job.row_errors.get().errors == [
        ["Betreuer", "There is no active user niemand@example.de."]
    ]


def test_owner_and_team_come_from_the_file_when_mapped(marketing_user, sales_nord):
    rows = [["Nachname", "Besitzer"], ["Muster", "NORA@kundig.test"]]
    import_rows(marketing_user, rows)
    contact = Contact.objects.get()
    assert (contact.owner, contact.team.name) == (sales_nord, "Nord")


def test_it_links_an_existing_company_by_name_and_sets_the_role(
    marketing_user, make_company
):
    company = make_company(marketing_user, name="Beispiel GmbH")
    rows = [["Nachname", "Firma", "Position"], ["Muster", "beispiel gmbh", "Einkauf"]]
    import_rows(marketing_user, rows)
    link = Contact.objects.get().company_links.get()
    assert (link.company, link.role, link.is_primary) == (company, "Einkauf", True)
    assert Company.objects.count() == 1


def test_it_creates_a_company_once_for_several_rows(marketing_user):
    rows = [["Nachname", "Firma"], ["Eins", "Neu GmbH"], ["Zwei", "Neu GmbH"]]
    import_rows(marketing_user, rows)
    assert Company.objects.get().contacts.count() == 2


def test_custom_fields_are_imported_by_key_or_label(marketing_user, admin):
    from kundig.core.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(
        entity="contact", key="vip", label="VIP-Kunde", field_type="boolean"
    )
    CustomFieldDefinition.objects.create(
        entity="contact", key="umsatz", label="Umsatz", field_type="number"
    )
    rows = [
        ["Nachname", "VIP-Kunde", "custom.umsatz"],
        ["Muster", "ja", "1.234,50"],
        ["Fehler", "vielleicht", ""],
    ]
    job = import_rows(marketing_user, rows)
    assert Contact.objects.get().custom == {"vip": True, "umsatz": "1234.5"}
    assert job.row_errors.get().errors == [["VIP-Kunde", "Enter yes or no."]]


def test_it_reads_a_cp1252_semicolon_file_as_german_excel_saves_it(marketing_user):
    rows = [
        ["Vorname", "Nachname", "Straße", "PLZ", "Ort"],
        ["Jürgen", "Größmann", "Lößnitzstraße 1", "01097", "Dresden"],
    ]
    job = import_rows(marketing_user, rows, encoding="cp1252")
    assert job.encoding == "cp1252"
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("Jürgen", "Größmann")
    assert contact.addresses.get().street == "Lößnitzstraße 1"
