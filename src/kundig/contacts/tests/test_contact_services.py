"""contact_create, contact_update, contact_delete: validation, history, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kundig.contacts.models import Contact, ContactEmail, LifecycleChange
from kundig.contacts.services import (
    AddressData,
    CompanyLinkData,
    EmailData,
    PhoneData,
    company_update,
    contact_create,
    contact_delete,
    contact_update,
)
from kundig.core.models import AuditEntry, CustomFieldDefinition, DomainEvent

pytestmark = pytest.mark.django_db


def test_it_creates_a_contact_with_normalised_details(sales_nord):
    contact = contact_create(
        actor=sales_nord,
        fields={"salutation": "Frau", "first_name": "Jürgen", "last_name": "Weiß"},
        emails=[EmailData(" Juergen.Weiss@Example.DE ")],
        phones=[PhoneData("0151 2345 6789")],
        addresses=[
            AddressData(street="Hauptstraße 1", postcode="01067", city="Dresden")
        ],
    )

    assert contact.salutation == "frau"
    assert contact.owner == sales_nord
    assert contact.team == sales_nord.team
    assert [e.email for e in contact.emails.all()] == ["juergen.weiss@example.de"]
    assert contact.emails.get().is_primary
    assert contact.phones.get().number == "+4915123456789"
    assert contact.addresses.get().postcode == "01067"
    assert "weiss" in contact.search_key and "weiß" not in contact.search_key


def test_it_refuses_bad_input_naming_each_field_and_saves_nothing(sales_nord):
    with pytest.raises(ValidationError) as caught:
        contact_create(
            actor=sales_nord,
            fields={"last_name": "X", "owner": 999_999, "salutation": "Dr"},
            emails=[
                EmailData("anna@"),
                EmailData("a@example.de", is_primary=True),
                EmailData("b@example.de", is_primary=True),
            ],
            phones=[PhoneData("12")],
            addresses=[AddressData(street="", postcode="1067", city="Dresden")],
            custom={"vip": True},
        )

    errors = caught.value.message_dict
    assert set(errors) >= {
        "owner",
        "salutation",
        "emails.0.email",
        "emails.2.is_primary",
        "phones.0.number",
        "addresses.0.street",
        "addresses.0.postcode",
        "custom.vip",
    }
    assert Contact.objects.count() == 0
    assert ContactEmail.objects.count() == 0


def test_a_custom_field_value_of_the_wrong_type_is_refused(sales_nord):
    CustomFieldDefinition.objects.create(
        entity="contact", key="kundenwert", label="Kundenwert", field_type="number"
    )
    CustomFieldDefinition.objects.create(
        entity="contact", key="seit", label="Kunde seit", field_type="date"
    )

    with pytest.raises(ValidationError) as caught:
        contact_create(
            actor=sales_nord,
            fields={"last_name": "Meier"},
            custom={"kundenwert": "viel", "seit": "gestern"},
        )

    assert set(caught.value.message_dict) == {"custom.kundenwert", "custom.seit"}
    contact = contact_create(
        actor=sales_nord,
        fields={"last_name": "Meier"},
        custom={"kundenwert": "1.234,50", "seit": "01.02.2020"},
    )
    assert contact.custom == {"kundenwert": "1234.5", "seit": "2020-02-01"}


def test_every_stage_change_is_kept_with_who_and_when(sales_nord, manager_nord):
    contact = contact_create(actor=sales_nord, fields={"last_name": "Schäfer"})

    contact_update(
        actor=manager_nord, contact=contact, fields={"lifecycle_stage": "customer"}
    )
    contact_update(actor=sales_nord, contact=contact, fields={"first_name": "Eva"})
    contact_update(
        actor=sales_nord,
        contact=contact,
        fields={"lifecycle_stage": "regular_customer"},
    )

    changes = list(
        LifecycleChange.objects.filter(contact=contact)
        .order_by("changed_at", "id")
        .values_list("from_stage", "to_stage", "actor")
    )
    assert changes == [
        ("", "lead", sales_nord.pk),
        ("lead", "customer", manager_nord.pk),
        ("customer", "regular_customer", sales_nord.pk),
    ]
    assert DomainEvent.objects.filter(name="contact.stage_changed").count() == 2


def test_the_audit_log_records_each_changed_field_with_old_and_new_value(sales_nord):
    contact = contact_create(
        actor=sales_nord,
        fields={"first_name": "Eva", "last_name": "Schäfer"},
        emails=[EmailData("eva@example.de")],
    )

    contact_update(
        actor=sales_nord,
        contact=contact,
        fields={"first_name": "Evelyn"},
        emails=[EmailData("eva@example.de"), EmailData("evelyn@example.de")],
        tags=["VIP"],
    )

    entries = {
        e.field: (e.old_value, e.new_value)
        for e in AuditEntry.objects.filter(
            object_type="contacts.contact", action="update"
        )
    }
    assert entries["first_name"] == ("Eva", "Evelyn")
    assert entries["emails"] == (
        "eva@example.de *",
        "eva@example.de *, evelyn@example.de",
    )
    assert entries["tags"] == ("", "VIP")
    assert "last_name" not in entries


def test_an_update_with_nothing_changed_writes_no_audit_entry(sales_nord):
    contact = contact_create(actor=sales_nord, fields={"last_name": "Schäfer"})

    contact_update(actor=sales_nord, contact=contact, fields={"last_name": "Schäfer"})

    assert not AuditEntry.objects.filter(action="update").exists()


def test_a_read_only_user_cannot_create_or_change(read_only_nord, sales_nord):
    with pytest.raises(PermissionDenied):
        contact_create(actor=read_only_nord, fields={"last_name": "X"})
    contact = contact_create(actor=sales_nord, fields={"last_name": "X"})
    with pytest.raises(PermissionDenied):
        contact_update(actor=read_only_nord, contact=contact, fields={"last_name": "Y"})


def test_only_roles_that_may_delete_can_delete(sales_nord, manager_nord):
    contact = contact_create(actor=sales_nord, fields={"last_name": "X"})
    with pytest.raises(PermissionDenied):
        contact_delete(actor=sales_nord, contact=contact)

    contact_id = contact.pk
    contact_delete(actor=manager_nord, contact=contact)

    assert not Contact.objects.exists()
    assert AuditEntry.objects.filter(action="delete", object_id=contact_id).exists()


def test_a_company_link_to_a_company_the_user_cannot_see_is_refused(
    sales_nord, sales_sued, make_company
):
    hidden = make_company(sales_sued)

    with pytest.raises(ValidationError) as caught:
        contact_create(
            actor=sales_nord,
            fields={"last_name": "X"},
            companies=[CompanyLinkData(hidden.pk, "Einkauf")],
        )

    assert "companies.0.company" in caught.value.message_dict


def test_renaming_a_company_updates_how_its_contacts_are_found(
    sales_nord, make_company
):
    company = make_company(sales_nord, name="Alte Firma GmbH")
    contact = contact_create(
        actor=sales_nord,
        fields={"last_name": "Kunde"},
        companies=[CompanyLinkData(company.pk)],
    )

    company_update(actor=sales_nord, company=company, fields={"name": "Bäckerei Neu"})

    contact.refresh_from_db()
    assert "baeckerei" in contact.search_key
    assert "alte" not in contact.search_key


def test_a_second_record_with_the_same_external_id_is_refused(sales_nord):
    contact_create(actor=sales_nord, fields={"last_name": "A", "external_id": "K-1"})

    with pytest.raises(ValidationError) as caught:
        contact_create(
            actor=sales_nord, fields={"last_name": "B", "external_id": "K-1"}
        )

    assert "external_id" in caught.value.message_dict


def test_a_company_with_an_invalid_vat_id_is_refused(sales_nord, make_company):
    from kundig.contacts.services import company_create

    with pytest.raises(ValidationError) as caught:
        company_create(actor=sales_nord, fields={"name": "X", "vat_id": "DE123"})
    assert "vat_id" in caught.value.message_dict

    company = company_create(
        actor=sales_nord, fields={"name": "X", "vat_id": "de 136 695 976"}
    )
    assert company.vat_id == "DE136695976"
