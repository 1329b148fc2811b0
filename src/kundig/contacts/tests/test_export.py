"""CSV and XLSX export: visible rows and fields only, safe in Excel, zeros kept."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from kundig.contacts.services import AddressData, contact_update
from kundig.core.models import CustomFieldDefinition

pytestmark = pytest.mark.django_db

URL = reverse("contacts:contact_export")


def read_csv(response) -> list[dict]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def dresden(sales_nord, make_contact):
    contact = make_contact(
        sales_nord,
        first_name="Jürgen",
        last_name='=HYPERLINK("evil")',
        phone="0151 23456789",
    )
    contact_update(
        actor=sales_nord,
        contact=contact,
        addresses=[AddressData(street="Straße 1", postcode="01067", city="Dresden")],
    )
    return contact


def test_csv_export_keeps_umlauts_and_zeros_and_neutralises_formulas(
    sales_nord, dresden, client_for
):
    response = client_for(sales_nord).get(URL, {"format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    (row,) = read_csv(response)
    assert row["first_name"] == "Jürgen"
    assert row["postcode"] == "01067"
    assert row["last_name"] == '\'=HYPERLINK("evil")'
    assert row["phone"] == "'+4915123456789"


def test_english_users_get_commas(sales_nord, dresden, client_for):
    sales_nord.language = "en"
    sales_nord.save()

    raw = b"".join(client_for(sales_nord).get(URL, {"format": "csv"}).streaming_content)

    header = raw.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("id,external_id,")


def test_xlsx_export_writes_text_cells_that_excel_never_evaluates(
    sales_nord, dresden, client_for
):
    response = client_for(sales_nord).get(URL, {"format": "xlsx"})

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["postcode"].value == "01067"
    assert row["last_name"].value == '=HYPERLINK("evil")'
    assert row["last_name"].data_type == "s"
    assert row["last_name"].quotePrefix
    assert row["first_name"].value == "Jürgen"


def test_export_contains_only_visible_contacts_and_respects_filters(
    sales_nord, sales_sued, make_contact, client_for
):
    make_contact(sales_nord, last_name="Meins", lifecycle_stage="customer")
    make_contact(sales_nord, last_name="Lead", lifecycle_stage="lead")
    make_contact(sales_sued, last_name="Fremd", lifecycle_stage="customer")

    rows = read_csv(
        client_for(sales_nord).get(URL, {"format": "csv", "stage": "customer"})
    )

    assert [r["last_name"] for r in rows] == ["Meins"]


def test_export_leaves_out_custom_fields_the_role_may_not_see(
    sales_nord, admin, make_contact, client_for
):
    CustomFieldDefinition.objects.create(
        entity="contact",
        key="bonitaet",
        label="Bonität",
        field_type="text",
        visible_to_roles=["manager"],
    )
    CustomFieldDefinition.objects.create(
        entity="contact", key="kundennummer", label="Kundennummer", field_type="text"
    )
    from kundig.contacts.services import contact_create

    contact_create(
        actor=admin,
        fields={"last_name": "Kunde", "owner": sales_nord},
        custom={"bonitaet": "schlecht", "kundennummer": "K-7"},
    )

    (sales_row,) = read_csv(client_for(sales_nord).get(URL, {"format": "csv"}))
    (admin_row,) = read_csv(client_for(admin).get(URL, {"format": "csv"}))

    assert "custom.bonitaet" not in sales_row
    assert sales_row["custom.kundennummer"] == "K-7"
    assert admin_row["custom.bonitaet"] == "schlecht"


def test_read_only_users_may_not_export(read_only_nord, client_for):
    assert client_for(read_only_nord).get(URL).status_code == 403


def test_a_selection_exports_only_the_chosen_contacts(
    sales_nord, make_contact, client_for
):
    a = make_contact(sales_nord, last_name="A")
    make_contact(sales_nord, last_name="B")

    rows = read_csv(
        client_for(sales_nord).get(URL, {"format": "csv", "ids": str(a.pk)})
    )

    assert [r["last_name"] for r in rows] == ["A"]
