"""Bad input answers 400 with the JSON error naming each field, never a 500."""

import pytest

from kundig.core.models import CustomFieldDefinition
from kundig.core.services import custom_field_save, user_set_language


def assert_invalid(response, *fields):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"]
    for name in fields:
        assert name in body["fields"], body["fields"]
        assert all(isinstance(m, str) and m for m in body["fields"][name])
    return body["fields"]


@pytest.fixture
def api(sales_nord, api_as):
    return api_as(sales_nord)


def test_a_bad_email_shortcut_is_reported_as_email(api):
    fields = assert_invalid(
        api.post("/contacts", {"last_name": "X", "email": "not-an-address"}), "email"
    )

    assert set(fields) == {"email"}


def test_a_bad_phone_shortcut_is_reported_as_phone(api):
    assert_invalid(api.post("/contacts", {"last_name": "X", "phone": "12"}), "phone")


def test_a_bad_address_in_the_list_is_reported_by_its_index(api):
    response = api.post(
        "/contacts",
        {"last_name": "X", "emails": [{"email": "ok@x.de"}, {"email": "kaputt"}]},
    )

    assert_invalid(response, "emails.1.email")


def test_the_shortcut_shifts_no_index_of_the_list(api):
    response = api.post(
        "/contacts",
        {
            "last_name": "X",
            "email": "erst@x.de",
            "emails": [{"email": "ok@x.de"}, {"email": "kaputt"}],
        },
    )

    fields = assert_invalid(response, "emails.1.email")
    assert "email" not in fields


def test_a_second_primary_email_is_refused(api):
    response = api.post(
        "/contacts",
        {
            "last_name": "X",
            "emails": [
                {"email": "a@x.de", "is_primary": True},
                {"email": "b@x.de", "is_primary": True},
            ],
        },
    )

    assert_invalid(response, "emails.1.is_primary")


def test_the_email_shortcut_and_a_primary_in_the_list_conflict(api):
    response = api.post(
        "/contacts",
        {"last_name": "X", "email": "a@x.de", "emails": [
            {"email": "b@x.de", "is_primary": True}
        ]},
    )  # fmt: skip

    assert_invalid(response, "emails.0.is_primary")


def test_a_bad_phone_in_the_list_is_reported_by_its_index(api):
    response = api.post("/contacts", {"last_name": "X", "phones": [{"number": "abc"}]})

    assert_invalid(response, "phones.0.number")


def test_an_unknown_owner_is_refused(api):
    assert_invalid(
        api.post("/contacts", {"last_name": "X", "owner": "nobody@x.de"}), "owner"
    )
    assert_invalid(api.post("/contacts", {"last_name": "X", "owner": 99999}), "owner")


def test_an_unknown_team_is_refused(api):
    assert_invalid(api.post("/contacts", {"last_name": "X", "team": "Ost"}), "team")


def test_a_custom_field_of_the_wrong_type_is_refused(api, admin):
    custom_field_save(
        definition=CustomFieldDefinition(
            entity="contact", key="vip", label="VIP", field_type="boolean"
        ),
        actor=admin,
    )

    response = api.post(
        "/contacts", {"last_name": "X", "custom": {"vip": "vielleicht"}}
    )

    assert_invalid(response, "custom.vip")


def test_an_unknown_custom_field_is_refused(api):
    assert_invalid(
        api.post("/contacts", {"last_name": "X", "custom": {"nope": 1}}), "custom.nope"
    )


def test_a_contact_needs_a_name_or_an_email(api):
    assert_invalid(api.post("/contacts", {"first_name": ""}), "last_name")


def test_an_unknown_salutation_is_refused(api):
    assert_invalid(
        api.post("/contacts", {"last_name": "X", "salutation": "Majestät"}),
        "salutation",
    )


def test_a_future_birthday_is_refused(api):
    assert_invalid(
        api.post("/contacts", {"last_name": "X", "birthday": "2999-01-01"}), "birthday"
    )


def test_a_duplicate_external_id_is_refused(api):
    assert (
        api.post("/contacts", {"last_name": "X", "external_id": "e1"}).status_code
        == 201
    )

    assert_invalid(
        api.post("/contacts", {"last_name": "Y", "external_id": "e1"}), "external_id"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"last_name": 42}, "last_name"),
        ({"last_name": "X", "emails": "a@x.de"}, "emails"),
        ({"last_name": "X", "emails": [{"email": "a@x.de", "kind": "fax"}]},
         "emails.0.kind"),
        ({"last_name": "X", "birthday": "gestern"}, "birthday"),
        ({"last_name": "X", "lifecycle_stage": "happy"}, "lifecycle_stage"),
        ({"last_name": "X", "tags": "VIP"}, "tags"),
        ({"last_name": "X", "owner": ["a"]}, "owner"),
        ({"last_name": "X", "custom": []}, "custom"),
        ({"last_name": "X", "companies": [{"role": "Chef"}]}, "companies.0.company_id"),
        ({"last_name": "X", "addresses": [{"street": "A 1"}]}, "addresses.0.city"),
        ({"last_name": "X", "colour": "blue"}, "colour"),
    ],
)  # fmt: skip
def test_wrong_types_and_unknown_fields_are_refused(api, body, field):
    assert_invalid(api.post("/contacts", body), field)


@pytest.mark.parametrize("raw", ["{bad json", "", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_a_json_object_is_refused(api, raw):
    assert_invalid(api.post("/contacts", raw=raw), "body")


def test_an_address_with_a_bad_postcode_is_refused(api):
    response = api.post(
        "/contacts",
        {
            "last_name": "X",
            "addresses": [{"street": "A 1", "postcode": "123", "city": "Berlin"}],
        },
    )

    assert_invalid(response, "addresses.0.postcode")


def test_a_company_with_a_bad_vat_id_is_refused(api):
    response = api.post("/companies", {"name": "Firma", "vat_id": "DE123"})

    assert_invalid(response, "vat_id")


def test_a_company_needs_a_name(api):
    assert_invalid(api.post("/companies", {"industry": "Handel"}), "name")


def test_a_company_with_a_bad_email_and_phone_is_refused(api):
    response = api.post(
        "/companies", {"name": "Firma", "email": "kaputt", "phone": "000"}
    )

    assert_invalid(response, "email", "phone")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stage": "happy"}, "stage"),
        ({"sort": "shoe_size"}, "sort"),
        ({"owner": "someone"}, "owner"),
        ({"tag": "no-such-tag"}, "tag"),
        ({"team": "Nord"}, "team"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"colour": "blue"}, "colour"),
        ({"page_size": 201}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_unknown_filters_and_filter_values_are_refused(api, params, field):
    assert_invalid(api.get("/contacts", params), field)


def test_an_unknown_kind_or_channel_filter_is_refused(api, make_contact, sales_nord):
    contact = make_contact(sales_nord)

    assert_invalid(api.get(f"/contacts/{contact.pk}/timeline", {"kind": "x"}), "kind")
    assert_invalid(api.get("/timeline", {"channel": "pigeon"}), "channel")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"assignee": "you"}, "assignee"),
        ({"due_before": "soon"}, "due_before"),
        ({"sort": "title"}, "sort"),
    ],
)
def test_unknown_task_filter_values_are_refused(api, params, field):
    assert_invalid(api.get("/tasks", params), field)


def test_a_wrong_method_answers_405_as_json(api, make_contact, sales_nord):
    contact = make_contact(sales_nord)

    response = api.put(f"/contacts/{contact.pk}", {"last_name": "X"})

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "PATCH" in response["Allow"]


@pytest.mark.parametrize(
    "path",
    ["/nowhere", "/contacts/abc", "/contacts/1/nothing", "/contacts/", "/"],
)
def test_an_unknown_path_answers_404_as_json(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_id_beyond_the_database_range_is_simply_not_found(api):
    huge = 10**30

    assert api.get(f"/contacts/{huge}").status_code == 404
    assert api.get(f"/tasks/{huge}").status_code == 404
    assert_invalid(
        api.post("/contacts", {"last_name": "X", "companies": [{"company_id": huge}]}),
        "companies.0.company_id",
    )
    assert_invalid(
        api.post(
            "/tasks",
            {"title": "T", "due_at": "2030-01-01T10:00:00Z", "contact_id": huge},
        ),
        "contact_id",
    )


# A forged cursor: {"o": "last_name,first_name,id", "v": ["\u0000", "", 1]}
NUL_CURSOR = "eyJvIjoibGFzdF9uYW1lLGZpcnN0X25hbWUsaWQiLCJ2IjpbIlx1MDAwMCIsIiIsMV19"
LONG_EMAIL = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "de"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/contacts", {"last_name": "a\x00b"}, "last_name"),
        ("/contacts", {"last_name": "X", "owner": "a\x00@x.de"}, "owner"),
        ("/contacts", {"last_name": "X", "custom": {"vip": "\x00"}}, "custom"),
        ("/contacts", {"last_name": "X", "tags": ["a\x00"]}, "tags"),
        ("/contacts", {"last_name": "X", "email": LONG_EMAIL}, "email"),
        ("/contacts", {"last_name": "X", "emails": [{"email": LONG_EMAIL}]},
         "emails.0.email"),
        ("/companies", {"name": "F", "email": LONG_EMAIL}, "email"),
        ("/companies", {"name": "F", "website": "x.de/" + "a" * 195}, "website"),
        ("/tasks", {"title": "\x00", "due_at": "2030-01-01T10:00:00Z"}, "title"),
        ("/timeline", {"kind": "note", "body": "\x00", "contact_id": 1}, "body"),
    ],
)  # fmt: skip
def test_input_the_database_cannot_store_is_refused_not_a_crash(api, path, body, field):
    # PostgreSQL refuses NUL characters and over-long values with an error
    assert_invalid(api.post(path, body), field)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/contacts", {"q": "a\x00"}, "q"),
        ("/timeline", {"q": "a\x00"}, "q"),
        ("/tasks", {"q": "a\x00"}, "q"),
        ("/contacts", {"tag": "a\x00"}, "tag"),
        ("/contacts", {"sort": "name", "cursor": NUL_CURSOR}, "cursor"),
    ],
)  # fmt: skip
def test_null_characters_in_query_parameters_are_refused(api, path, params, field):
    assert_invalid(api.get(path, params), field)


def test_a_null_character_in_the_token_is_just_a_bad_token(db, anonymous_api):
    response = anonymous_api.client.get(
        "/api/v1/contacts", headers={"Authorization": "Bearer kdg_\x00_x"}
    )

    assert response.status_code == 401


def test_a_body_over_the_upload_limit_answers_413(api):
    body = '{"last_name": "' + "x" * (11 * 1024 * 1024) + '"}'

    response = api.post("/contacts", raw=body)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_form_encoded_body_is_refused_as_not_json(api):
    response = api.client.post(
        "/api/v1/contacts", {"last_name": "X"}, headers=api._headers()
    )

    assert_invalid(response, "body")


def test_messages_follow_accept_language_else_the_users_language(sales_nord, api_as):
    def stage_error(headers=None):
        response = api.client.get(
            "/api/v1/contacts",
            {"stage": "happy"},
            headers={**api._headers(), **headers},
        )
        return response.json()["fields"]["stage"][0]

    # given Nora, who set her language to English
    user_set_language(user=sales_nord, language="en")
    api = api_as(sales_nord)

    assert stage_error({}).startswith("Select a valid choice")
    assert stage_error({"Accept-Language": "de"}).startswith("Bitte")
