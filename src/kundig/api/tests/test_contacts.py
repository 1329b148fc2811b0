"""Contacts over the API: create, read, list, change, delete."""

import pytest

from kundig.core.models import CustomFieldDefinition
from kundig.core.services import custom_field_save


@pytest.fixture
def vip_field(admin):
    return custom_field_save(
        definition=CustomFieldDefinition(
            entity="contact", key="vip", label="VIP", field_type="boolean"
        ),
        actor=admin,
    )


@pytest.fixture
def customer_number_field(admin):
    return custom_field_save(
        definition=CustomFieldDefinition(
            entity="contact", key="customer_number", label="No.", field_type="number"
        ),
        actor=admin,
    )


def test_it_creates_a_contact_from_the_shortcut_fields(sales_nord, api_as):
    api = api_as(sales_nord)

    response = api.post(
        "/contacts",
        {
            "salutation": "Frau",
            "first_name": "Anna",
            "last_name": "Müller",
            "email": "Anna.Mueller@Example.de",
            "phone": "0151 23456789",
        },
    )

    assert response.status_code == 201
    contact = response.json()
    assert isinstance(contact["id"], int)
    assert contact["salutation"] == "frau"
    assert contact["display_name"] == "Anna Müller"
    assert contact["emails"] == [
        {"email": "anna.mueller@example.de", "kind": "private", "is_primary": True}
    ]
    assert contact["phones"] == [
        {"number": "+4915123456789", "kind": "mobile", "is_primary": True}
    ]
    assert contact["owner"]["email"] == "nora@kundig.test"
    assert contact["team"]["name"] == "Nord"
    assert contact["lifecycle_stage"] == "lead"


def test_a_created_contact_is_found_by_searching_the_list(sales_nord, api_as):
    api = api_as(sales_nord)
    created = api.post(
        "/contacts",
        {"first_name": "Jürgen", "last_name": "Schäfer", "email": "js@x.de"},
    ).json()

    found = api.get("/contacts", {"q": "schaefer"}).json()["results"]

    assert [row["id"] for row in found] == [created["id"]]
    assert found[0]["email"] == "js@x.de"


def test_a_created_contact_can_be_read_back_whole(sales_nord, api_as, make_company):
    api = api_as(sales_nord)
    company = make_company(sales_nord, name="Beispiel GmbH")

    created = api.post(
        "/contacts",
        {
            "salutation": "herr",
            "title": "Dr.",
            "first_name": "Bernd",
            "last_name": "Brot",
            "form_of_address": "informal",
            "language": "en",
            "birthday": "1970-05-01",
            "lifecycle_stage": "customer",
            "source": "store",
            "external_id": "shop-4711",
            "emails": [
                {"email": "bernd@privat.de"},
                {"email": "b.brot@firma.de", "kind": "work", "is_primary": True},
            ],
            "phones": [{"number": "+49 30 1234567", "kind": "landline"}],
            "addresses": [
                {"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin"}
            ],
            "companies": [{"company_id": company.pk, "role": "Einkauf"}],
            "tags": ["Stammkunde", "Newsletter"],
        },
    ).json()
    read = api.get(f"/contacts/{created['id']}").json()

    assert read == created
    assert read["display_name"] == "Dr. Bernd Brot"
    assert read["birthday"] == "1970-05-01"
    assert read["emails"][0] == {
        "email": "b.brot@firma.de",
        "kind": "work",
        "is_primary": True,
    }
    assert read["addresses"] == [
        {
            "kind": "billing",
            "recipient": "",
            "street": "Hauptstr. 1",
            "extra": "",
            "postcode": "10115",
            "city": "Berlin",
            "country": "DE",
        }
    ]
    assert read["companies"] == [
        {
            "company_id": company.pk,
            "name": "Beispiel GmbH",
            "role": "Einkauf",
            "is_primary": True,
        }
    ]
    assert sorted(read["tags"]) == ["Newsletter", "Stammkunde"]
    assert read["external_id"] == "shop-4711"
    assert str(read["id"]) in read["url"]


@pytest.mark.parametrize(
    ("spelling", "code"),
    [("Herr", "herr"), ("Mr", "herr"), ("Ms", "frau"), ("divers", "divers"),
     ("neutral", "divers"), ("none", "none"), ("frau", "frau")],
)  # fmt: skip
def test_it_accepts_common_spellings_of_the_salutation(
    sales_nord, api_as, spelling, code
):
    response = api_as(sales_nord).post(
        "/contacts", {"last_name": "Beispiel", "salutation": spelling}
    )

    assert response.status_code == 201
    assert response.json()["salutation"] == code


def test_it_stores_custom_fields_in_their_type(sales_nord, api_as, vip_field):
    response = api_as(sales_nord).post(
        "/contacts", {"last_name": "Wichtig", "custom": {"vip": "ja"}}
    )

    assert response.status_code == 201
    assert response.json()["custom"] == {"vip": True}


def test_custom_fields_hidden_from_a_role_are_left_out(
    sales_nord, service_agent, api_as, admin
):
    # given a field only managers may see, and a contact that has it
    custom_field_save(
        definition=CustomFieldDefinition(
            entity="contact",
            key="credit_limit",
            label="Credit limit",
            field_type="number",
            visible_to_roles=["manager"],
        ),
        actor=admin,
    )
    contact = (
        api_as(admin)
        .post(
            "/contacts",
            {
                "last_name": "Geheim",
                "owner": sales_nord.pk,
                "custom": {"credit_limit": 500},
            },
        )
        .json()
    )
    assert contact["custom"] == {"credit_limit": "500"}

    # when a sales rep and a service agent read it, in detail and in the list
    for user in (sales_nord, service_agent):
        api = api_as(user)
        detail = api.get(f"/contacts/{contact['id']}").json()
        rows = api.get("/contacts").json()["results"]

        # then the field is not there at all
        assert detail["custom"] == {}
        assert [row["custom"] for row in rows] == [{}]

    # and they cannot write it either
    response = api_as(sales_nord).patch(
        f"/contacts/{contact['id']}", {"custom": {"credit_limit": 1}}
    )
    assert response.status_code == 400
    assert "custom.credit_limit" in response.json()["fields"]


def test_it_changes_only_the_fields_sent(sales_nord, api_as, vip_field):
    api = api_as(sales_nord)
    contact = api.post(
        "/contacts",
        {
            "first_name": "Carla",
            "last_name": "Clever",
            "email": "carla@x.de",
            "tags": ["A"],
            "custom": {"vip": True},
        },
    ).json()

    response = api.patch(
        f"/contacts/{contact['id']}",
        {"last_name": "Klug", "lifecycle_stage": "customer"},
    )

    assert response.status_code == 200
    changed = response.json()
    assert changed["first_name"] == "Carla"
    assert changed["last_name"] == "Klug"
    assert changed["lifecycle_stage"] == "customer"
    assert changed["emails"] == contact["emails"]
    assert changed["tags"] == ["A"]
    assert changed["custom"] == {"vip": True}
    assert changed["stage_changed_at"] >= contact["stage_changed_at"]


def test_the_email_shortcut_replaces_only_the_primary_address(sales_nord, api_as):
    api = api_as(sales_nord)
    contact = api.post(
        "/contacts",
        {
            "last_name": "Doppel",
            "emails": [
                {"email": "alt@x.de", "kind": "work", "is_primary": True},
                {"email": "zweit@x.de"},
            ],
        },
    ).json()

    changed = api.patch(f"/contacts/{contact['id']}", {"email": "neu@x.de"}).json()

    assert changed["emails"] == [
        {"email": "neu@x.de", "kind": "work", "is_primary": True},
        {"email": "zweit@x.de", "kind": "private", "is_primary": False},
    ]


def test_a_list_replaces_the_contacts_list(sales_nord, api_as):
    api = api_as(sales_nord)
    contact = api.post(
        "/contacts", {"last_name": "Liste", "email": "a@x.de", "tags": ["A", "B"]}
    ).json()

    changed = api.patch(
        f"/contacts/{contact['id']}",
        {"emails": [{"email": "b@x.de"}, {"email": "c@x.de"}], "tags": []},
    ).json()

    assert [e["email"] for e in changed["emails"]] == ["b@x.de", "c@x.de"]
    assert changed["emails"][0]["is_primary"] is True
    assert changed["tags"] == []


def test_custom_values_change_by_key_and_null_removes_one(
    sales_nord, api_as, vip_field, customer_number_field
):
    api = api_as(sales_nord)
    contact = api.post(
        "/contacts",
        {"last_name": "Feld", "custom": {"vip": True, "customer_number": "12,50"}},
    ).json()
    assert contact["custom"] == {"vip": True, "customer_number": "12.5"}

    changed = api.patch(f"/contacts/{contact['id']}", {"custom": {"vip": None}}).json()

    assert changed["custom"] == {"customer_number": "12.5"}


def test_a_manager_deletes_a_contact(manager_nord, api_as, make_contact):
    contact = make_contact(manager_nord)
    api = api_as(manager_nord)

    response = api.delete(f"/contacts/{contact.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/contacts/{contact.pk}").status_code == 404


def test_a_sales_rep_may_not_delete_contacts(sales_nord, api_as, make_contact):
    contact = make_contact(sales_nord)

    response = api_as(sales_nord).delete(f"/contacts/{contact.pk}")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_the_list_filters_like_the_web_ui(sales_nord, api_as, make_contact):
    api = api_as(sales_nord)
    lead = make_contact(sales_nord, last_name="Lead")
    customer = make_contact(sales_nord, last_name="Kunde", lifecycle_stage="customer")
    api.patch(f"/contacts/{customer.pk}", {"tags": ["VIP"]})

    def ids(params):
        response = api.get("/contacts", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids({"stage": "customer"}) == [customer.pk]
    assert ids({"stage": ["customer", "lead"]}) == [lead.pk, customer.pk]
    assert ids({"tag": "VIP"}) == [customer.pk]
    assert ids({"owner": "me"}) == [lead.pk, customer.pk]
    assert ids({"owner": "none"}) == []
    assert ids({"sort": "name"}) == [customer.pk, lead.pk]
    assert ids({"sort": "-created"}) == [customer.pk, lead.pk]


def test_the_list_filters_by_company(sales_nord, api_as, make_contact, make_company):
    api = api_as(sales_nord)
    company = make_company(sales_nord)
    make_contact(sales_nord)
    employee = api.post(
        "/contacts",
        {"last_name": "Angestellt", "companies": [{"company_id": company.pk}]},
    ).json()

    rows = api.get("/contacts", {"company": company.pk}).json()["results"]

    assert [row["id"] for row in rows] == [employee["id"]]
    assert rows[0]["companies"][0]["name"] == company.name


def test_the_phone_shortcut_replaces_only_the_primary_number(sales_nord, api_as):
    api = api_as(sales_nord)
    contact = api.post(
        "/contacts",
        {
            "last_name": "Telefon",
            "phone": "0151 11111111",
            "phones": [{"number": "030 1234567", "kind": "landline"}],
        },
    ).json()
    assert [p["number"] for p in contact["phones"]] == [
        "+4915111111111",
        "+49301234567",
    ]

    changed = api.patch(
        f"/contacts/{contact['id']}", {"phone": "+49 151 22222222"}
    ).json()

    assert changed["phones"] == [
        {"number": "+4915122222222", "kind": "mobile", "is_primary": True},
        {"number": "+49301234567", "kind": "landline", "is_primary": False},
    ]


def test_an_empty_email_shortcut_removes_the_primary_address(sales_nord, api_as):
    api = api_as(sales_nord)
    contact = api.post(
        "/contacts",
        {"last_name": "Weg", "email": "a@x.de", "emails": [{"email": "b@x.de"}]},
    ).json()

    changed = api.patch(f"/contacts/{contact['id']}", {"email": None}).json()

    assert changed["emails"] == [
        {"email": "b@x.de", "kind": "private", "is_primary": True}
    ]
