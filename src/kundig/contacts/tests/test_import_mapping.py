"""Guessing the mapping from headers, and exported files that import as they are."""

from __future__ import annotations

import datetime as dt

import pytest

from kundig.contacts.exporting import (
    company_columns,
    company_export_rows,
    contact_columns,
    contact_export_rows,
)
from kundig.contacts.importing.mapping import auto_map
from kundig.contacts.models import Company, Contact
from kundig.contacts.selectors import companies_visible_to, contacts_visible_to
from kundig.contacts.services import (
    AddressData,
    CompanyLinkData,
    EmailData,
    PhoneData,
    company_create,
    contact_create,
)
from kundig.core.exports import iter_csv, write_xlsx
from kundig.core.models import CustomFieldDefinition

from .importing import import_rows, run, speaks_english, upload


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(admin):
    return speaks_english(admin)


def test_it_maps_german_and_english_headers_and_synonyms(admin):
    headers = [
        "Anrede", "Titel", "Vorname", "Nachname", "E-Mail", "Telefon", "Mobil",
        "Straße", "Hausnummer", "PLZ", "Ort", "Land", "Firma", "Position", "Geburtstag",
        "Kundennummer", "Tags", "Notiz", "ID",
    ]  # fmt: skip
    assert auto_map("contact", headers, user=admin) == [
        "salutation", "title", "first_name", "last_name", "email", "phone",
        "other_phones", "street", "house_number", "postcode", "city", "country",
        "company", "company_role", "birthday", "external_id", "tags", "", "",
    ]  # fmt: skip
    english = [
        "First name",
        "Last name",
        "Email",
        "Phone",
        "Postcode",
        "City",
        "Company",
    ]
    assert auto_map("contact", english, user=admin) == [
        "first_name", "last_name", "email", "phone", "postcode", "city", "company",
    ]  # fmt: skip


def test_it_maps_company_headers(admin):
    headers = [
        "Firmenname",
        "Rechtsform",
        "USt-IdNr.",
        "Branche",
        "Webseite",
        "Kundennr.",
    ]
    assert auto_map("company", headers, user=admin) == [
        "name", "legal_form", "vat_id", "industry", "website", "external_id",
    ]  # fmt: skip


def test_it_maps_custom_fields_by_key_and_label_the_user_may_see(admin, marketing_user):
    CustomFieldDefinition.objects.create(
        entity="contact",
        key="kundennummer_alt",
        label="Kundennummer",
        field_type="text",
    )
    CustomFieldDefinition.objects.create(
        entity="contact", key="bonus", label="Bonus", field_type="number",
        visible_to_roles=["admin"],
    )  # fmt: skip
    headers = ["Kundennummer", "custom.bonus", "Bonus"]
    assert auto_map("contact", headers, user=admin) == [
        "custom.kundennummer_alt", "custom.bonus", "",
    ]  # fmt: skip
    assert auto_map("contact", headers, user=marketing_user) == [
        "custom.kundennummer_alt", "", "",
    ]  # fmt: skip


def _rich_data(admin, sales_nord):
    CustomFieldDefinition.objects.create(
        entity="contact", key="vip", label="VIP", field_type="boolean"
    )
    company = company_create(
        actor=admin, fields={"name": "Beispiel GmbH", "vat_id": "DE136695976"}
    )
    contact_create(
        actor=admin,
        fields={
            "salutation": "frau",
            "title": "Dr.",
            "first_name": "Änne",
            "last_name": "Größmann",
            "form_of_address": "informal",
            "language": "en",
            "birthday": dt.date(1980, 5, 17),
            "lifecycle_stage": "customer",
            "source": "trade_fair",
            "owner": sales_nord,
            "external_id": "K-4711",
        },
        emails=[
            EmailData("aenne@example.de", is_primary=True),
            EmailData("a.g@firma.de"),
        ],
        phones=[
            PhoneData("+49 151 12345678", is_primary=True),
            PhoneData("030 1234567", kind="landline"),
        ],
        addresses=[AddressData("Lößnitzstraße 1", "01097", "Dresden")],
        companies=[CompanyLinkData(company.pk, "Einkauf", True)],
        tags=["VIP", "Newsletter"],
        custom={"vip": True},
    )
    contact_create(
        actor=admin,
        fields={"last_name": "Ohne", "lifecycle_stage": "lead"},
        emails=[EmailData("ohne@example.de")],
    )


def _export(user, fmt: str) -> tuple[str, bytes]:
    columns = contact_columns(user)
    qs = contacts_visible_to(user).order_by("pk")
    rows = contact_export_rows(qs, columns, user=user)
    headers = [c.key for c in columns]
    if fmt == "xlsx":
        return "kontakte.xlsx", write_xlsx(headers, rows).read()
    return "kontakte.csv", b"".join(iter_csv(headers, rows, delimiter=";"))


def _comparable(user) -> list[list]:
    columns = contact_columns(user)
    skip = {"id", "created_at"}
    rows = contact_export_rows(
        contacts_visible_to(user).order_by("external_id", "last_name"),
        columns,
        user=user,
    )
    return [
        [str(v) for c, v in zip(columns, row, strict=True) if c.key not in skip]
        for row in rows
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_again_into_identical_data(admin, sales_nord, fmt):
    # given an export of rich contacts
    _rich_data(admin, sales_nord)
    before = _comparable(admin)
    name, content = _export(admin, fmt)
    # when the contacts are deleted and the export is imported
    Contact.objects.all().delete()
    Company.objects.all().delete()
    from kundig.contacts.importing.services import import_job_create

    job = import_job_create(actor=admin, entity="contact", upload=upload(name, content))
    assert "" in job.mapping  # id and created_at are not imported
    job = run(job)
    # then every exported value is back
    assert (job.created_count, job.failed_count) == (2, 0)
    assert _comparable(admin) == before


def test_an_export_imported_into_the_same_data_changes_nothing(admin, sales_nord):
    _rich_data(admin, sales_nord)
    name, content = _export(admin, "csv")
    from kundig.contacts.importing.services import import_job_create

    job = run(
        import_job_create(actor=admin, entity="contact", upload=upload(name, content))
    )
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    assert Contact.objects.count() == 2
    assert Company.objects.count() == 1


def test_a_company_export_imports_again_and_matches_by_vat_id(admin):
    company_create(
        actor=admin,
        fields={"name": "Beispiel GmbH", "vat_id": "DE136695976", "legal_form": "gmbh",
                "website": "https://example.de", "size": "10-49", "external_id": "F-1"},
        addresses=[AddressData("Hauptstr. 1", "01067", "Dresden")],
        tags=["Lieferant"],
    )  # fmt: skip
    columns = company_columns(admin)
    rows = company_export_rows(companies_visible_to(admin).order_by("pk"), columns)
    content = b"".join(iter_csv([c.key for c in columns], rows, delimiter=","))
    from kundig.contacts.importing.services import import_job_create

    job = run(
        import_job_create(
            actor=admin, entity="company", upload=upload("f.csv", content)
        )
    )
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 1)
    # The VAT ID finds the company even under another name and without external ID.
    job = import_rows(
        admin,
        [
            ["Firma", "USt-IdNr.", "Ort"],
            ["Beispiel Handels GmbH", "DE 136 695 976", "Leipzig"],
        ],
        entity="company",
    )
    assert job.updated_count == 1
    company = Company.objects.get()
    assert (company.name, company.addresses.get().city) == (
        "Beispiel Handels GmbH",
        "Leipzig",
    )
    assert company.addresses.get().street == "Hauptstr. 1"


def test_companies_match_by_name_unless_their_vat_id_differs(admin):
    company_create(actor=admin, fields={"name": "Muster AG", "vat_id": "DE136695976"})
    job = import_rows(
        admin,
        [
            ["Name", "Branche", "USt-IdNr."],
            ["muster ag", "Handel", ""],
            ["Muster AG", "", "ATU13585627"],
        ],
        entity="company",
    )
    assert (job.updated_count, job.created_count) == (1, 1)
    assert Company.objects.get(vat_id="DE136695976").industry == "Handel"


def test_an_xlsx_file_with_numbers_and_dates_imports(admin):
    rows = [
        ["Nachname", "PLZ", "Straße", "Ort", "Geburtstag", "Kundennummer"],
        ["Muster", 1067, "Weg 1", "Dresden", dt.datetime(1980, 5, 17), 4711],
    ]
    job = import_rows(admin, rows, name="k.xlsx")
    assert job.failed_count == 0
    contact = Contact.objects.get()
    assert (
        contact.addresses.get().postcode,
        str(contact.birthday),
        contact.external_id,
    ) == (
        "01067",
        "1980-05-17",
        "4711",
    )


def test_it_accepts_german_labels_for_choices(admin):
    rows = [
        ["Nachname", "Phase", "Sprache", "Anredeform", "Land", "Quelle"],
        ["Muster", "Stammkunde", "Englisch", "du", "Österreich", "Messe"],
    ]
    import_rows(admin, rows)
    contact = Contact.objects.get()
    assert (
        contact.lifecycle_stage,
        contact.language,
        contact.form_of_address,
        contact.source,
    ) == (
        "regular_customer",
        "en",
        "informal",
        "trade_fair",
    )
