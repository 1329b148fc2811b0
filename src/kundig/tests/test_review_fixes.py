"""Visibility and robustness: each test reproduces a bug found in review."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kundig.activity.models import Task, TimelineEntry
from kundig.activity.services import task_create, timeline_add
from kundig.contacts.models import Contact, ContactCompany
from kundig.contacts.services import (
    CompanyLinkData,
    company_delete,
    contact_create,
    contact_update,
)
from kundig.core.models import CustomFieldDefinition

pytestmark = pytest.mark.django_db


@pytest.fixture
def commuter(admin, sales_nord, sales_sued, make_company):
    """A Nord contact who also works for a company only team Süd may see."""
    secret = make_company(admin, name="Geheim Süd AG", owner=sales_sued)
    ours = make_company(admin, name="Nord GmbH", owner=sales_nord)
    contact = contact_create(
        actor=admin,
        fields={"first_name": "Paul", "last_name": "Pendler", "owner": sales_nord},
        companies=[CompanyLinkData(secret.pk, "Berater"), CompanyLinkData(ours.pk)],
    )
    return contact, secret, ours


def test_editing_a_contact_keeps_links_to_companies_the_editor_cannot_see(
    sales_nord, commuter, client_for
):
    contact, secret, ours = commuter

    contact_update(
        actor=sales_nord,
        contact=contact,
        companies=[CompanyLinkData(ours.pk, "Einkauf", is_primary=True)],
    )

    links = {link.company_id: link for link in ContactCompany.objects.all()}
    assert set(links) == {secret.pk, ours.pk}
    assert links[ours.pk].role == "Einkauf"
    assert [pk for pk, link in links.items() if link.is_primary] == [ours.pk]


def test_the_history_leaves_out_restricted_fields_and_invisible_companies(
    admin, sales_nord, commuter, client_for
):
    contact, _secret, _ours = commuter
    CustomFieldDefinition.objects.create(
        entity="contact",
        key="bonitaet",
        label="Bonität",
        field_type="text",
        visible_to_roles=["manager"],
    )
    contact_update(
        actor=admin, contact=contact, custom={"bonitaet": "98765"}, companies=[]
    )
    contact_update(actor=admin, contact=contact, fields={"lifecycle_stage": "customer"})
    sales_nord.language = "en"
    sales_nord.save()

    page = client_for(sales_nord).get(
        reverse("contacts:contact_history", args=[contact.pk])
    )

    html = page.content.decode()
    assert "98765" not in html
    assert "Geheim Süd" not in html
    assert "Nord GmbH" in html  # the company this user may see
    assert "Customer" in html  # a label, not the code "customer"
    assert "lifecycle_stage" not in html


def test_the_company_page_hides_tasks_about_contacts_the_viewer_cannot_see(
    admin, sales_nord, sales_sued, make_company, client_for, tomorrow
):
    company = make_company(admin, owner=sales_nord)
    hidden = contact_create(
        actor=admin, fields={"last_name": "Süd", "owner": sales_sued}
    )
    task_create(
        actor=admin,
        title="Geheimer Rückruf",
        due_at=tomorrow,
        contact=hidden,
        company=company,
        assignee=admin,
    )

    page = client_for(sales_nord).get(
        reverse("activity:company_detail", args=[company.pk])
    )

    assert "Geheimer Rückruf" not in page.content.decode()
    assert page.context["figures"].open_tasks == 0


def test_deleting_a_company_keeps_what_belongs_to_its_contacts(
    admin, manager_nord, sales_sued, make_company, tomorrow
):
    company = make_company(admin, owner=manager_nord)
    person = contact_create(
        actor=admin, fields={"last_name": "Süd", "owner": sales_sued}
    )
    kept_entry = timeline_add(
        actor=admin, kind="order", contact=person, company=company, summary="Auftrag"
    )
    kept_task = task_create(
        actor=admin, title="Liefern", due_at=tomorrow, contact=person, company=company
    )
    timeline_add(actor=admin, kind="meeting", company=company, summary="Firmentermin")
    task_create(actor=admin, title="Firma anrufen", due_at=tomorrow, company=company)

    company_delete(actor=manager_nord, company=company)

    assert list(TimelineEntry.objects.values_list("pk", "company")) == [
        (kept_entry.pk, None)
    ]
    assert list(Task.objects.values_list("pk", "company")) == [(kept_task.pk, None)]


def test_control_characters_are_refused_naming_the_field(sales_nord):
    with pytest.raises(ValidationError) as caught:
        contact_create(actor=sales_nord, fields={"last_name": "Mül\x01ler"})

    assert "last_name" in caught.value.message_dict


def test_xlsx_export_survives_control_characters_in_old_data(
    sales_nord, make_contact, client_for
):
    contact = make_contact(sales_nord, last_name="Müller")
    Contact.objects.filter(pk=contact.pk).update(last_name="Mül\x01ler\x1b")

    response = client_for(sales_nord).get(
        reverse("contacts:contact_export"), {"format": "xlsx"}
    )

    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in book.active[2]][5] == "Müller"


@pytest.mark.parametrize(
    "before", ["9999-12-31T23:59:59-12:00_5", "0001-01-01T00:00:00+14:00_5", "x_1"]
)
def test_an_out_of_range_timeline_cursor_is_a_400(
    sales_nord, make_contact, client_for, before
):
    contact = make_contact(sales_nord)

    response = client_for(sales_nord).get(
        reverse("activity:contact_timeline", args=[contact.pk]), {"before": before}
    )

    assert response.status_code == 400


@pytest.mark.parametrize("value", ["1e5000000", "1e999999", "-1e40"])
def test_absurd_custom_numbers_are_refused(sales_nord, value):
    CustomFieldDefinition.objects.create(
        entity="contact", key="wert", label="Wert", field_type="number"
    )

    with pytest.raises(ValidationError) as caught:
        contact_create(
            actor=sales_nord, fields={"last_name": "X"}, custom={"wert": value}
        )

    assert "custom.wert" in caught.value.message_dict


def test_an_email_longer_than_the_column_is_a_field_error(sales_nord):
    from kundig.contacts.services import EmailData

    local = "a" * 64
    address = f"{local}@{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 20}.de"
    assert len(address) > 254

    with pytest.raises(ValidationError) as caught:
        contact_create(
            actor=sales_nord, fields={"last_name": "X"}, emails=[EmailData(address)]
        )

    assert "emails.0.email" in caught.value.message_dict


def test_saving_a_contact_away_to_another_team_lands_on_the_list(
    sales_nord, sales_sued, make_contact, client_for
):
    contact = make_contact(sales_nord, last_name="Weg")
    client = client_for(sales_nord)
    form = client.get(reverse("contacts:contact_edit", args=[contact.pk])).context
    data = {
        **{k: v for k, v in form["form"].initial.items() if v is not None},
        "owner": sales_sued.pk,
        "team": sales_sued.team_id,
        "tags": "",
    }
    for prefix, formset in form["formsets"].items():
        data[f"{prefix}-TOTAL_FORMS"] = len(formset.initial or [])
        data[f"{prefix}-INITIAL_FORMS"] = len(formset.initial or [])
        for i, row in enumerate(formset.initial or []):
            for key, value in row.items():
                if value not in (None, False):
                    data[f"{prefix}-{i}-{key}"] = value

    response = client.post(reverse("contacts:contact_edit", args=[contact.pk]), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:contact_list")
    assert Contact.objects.get(pk=contact.pk).owner == sales_sued


def test_an_import_row_with_a_nul_byte_is_cleaned(admin):
    from kundig.contacts.tests.importing import import_rows, speaks_english

    speaks_english(admin)
    job = import_rows(
        admin,
        [
            ["Vorname", "Nachname", "E-Mail"],
            ["Anna", "Null\x00wert", "anna@example.de"],
        ],
    )

    assert job.created_count == 1
    assert Contact.objects.get().last_name == "Nullwert"


def test_old_dates_are_kept_in_key_figures(sales_nord, make_contact):
    from kundig.activity.selectors import contact_key_figures

    contact = make_contact(sales_nord)
    timeline_add(
        actor=sales_nord,
        kind="call",
        contact=contact,
        summary="früher",
        occurred_at=dt.datetime(2001, 1, 1, 12, 0),
    )

    assert contact_key_figures(contact=contact).interactions == 1
