"""Visibility: the API shows each user exactly what the web UI shows them.

A record outside the caller's visibility behaves as if it did not exist.
"""

import pytest

from kundig.activity.services import task_create, timeline_add


@pytest.fixture
def nord_contact(sales_nord, make_contact):
    contact = make_contact(sales_nord, first_name="Nina", last_name="Nordlicht")
    timeline_add(actor=sales_nord, kind="note", contact=contact, body="Geheim")
    return contact


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def test_another_team_cannot_read_change_or_delete_a_contact(
    sales_sued, api_as, nord_contact
):
    api = api_as(sales_sued)
    path = f"/contacts/{nord_contact.pk}"

    assert_not_found(api.get(path))
    assert_not_found(api.patch(path, {"last_name": "Gestohlen"}))
    assert_not_found(api.delete(path))
    assert_not_found(api.get(f"{path}/timeline"))
    assert_not_found(api.post(f"{path}/timeline", {"kind": "note", "body": "x"}))


def test_the_answer_is_the_same_as_for_a_contact_that_does_not_exist(
    sales_sued, api_as, nord_contact
):
    api = api_as(sales_sued)

    hidden = api.get(f"/contacts/{nord_contact.pk}")
    missing = api.get(f"/contacts/{nord_contact.pk + 1000}")

    assert hidden.json() == missing.json()


def test_another_team_does_not_find_the_contact_in_lists_or_search(
    sales_sued, sales_nord, api_as, nord_contact, make_contact
):
    own = make_contact(sales_sued, last_name="Berger")
    api = api_as(sales_sued)

    listed = api.get("/contacts").json()["results"]
    searched = api.get("/contacts", {"q": "Nordlicht"}).json()["results"]
    by_id = api.get("/contacts", {"owner": str(sales_nord.pk)}).json()["results"]

    assert [row["id"] for row in listed] == [own.pk]
    assert searched == []
    assert by_id == []


def test_another_team_does_not_see_the_contacts_timeline_entries(
    sales_sued, api_as, nord_contact
):
    api = api_as(sales_sued)
    entry_id = nord_contact.timeline_entries.get().pk

    assert api.get("/timeline").json()["results"] == []
    assert api.get("/timeline", {"contact": nord_contact.pk}).json()["results"] == []
    assert_not_found(api.get(f"/timeline/{entry_id}"))
    assert_not_found(api.patch(f"/timeline/{entry_id}", {"body": "x"}))
    assert_not_found(api.delete(f"/timeline/{entry_id}"))


def test_the_owners_team_sees_everything(
    sales_nord, manager_nord, api_as, nord_contact
):
    for user in (sales_nord, manager_nord):
        api = api_as(user)
        assert api.get(f"/contacts/{nord_contact.pk}").status_code == 200
        assert (
            len(api.get(f"/contacts/{nord_contact.pk}/timeline").json()["results"]) == 1
        )


def test_a_task_cannot_be_linked_to_an_invisible_contact(
    sales_sued, api_as, nord_contact, tomorrow
):
    response = api_as(sales_sued).post(
        "/tasks",
        {"title": "Anrufen", "due_at": tomorrow, "contact_id": nord_contact.pk},
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"contact_id"}


def test_a_timeline_entry_cannot_be_added_to_an_invisible_record(
    sales_sued, api_as, nord_contact
):
    response = api_as(sales_sued).post(
        "/timeline", {"kind": "note", "body": "x", "contact_id": nord_contact.pk}
    )

    assert response.status_code == 400
    assert "contact_id" in response.json()["fields"]


def test_a_contact_cannot_be_linked_to_an_invisible_company(
    sales_sued, sales_nord, api_as, make_company
):
    company = make_company(sales_nord)

    response = api_as(sales_sued).post(
        "/contacts", {"last_name": "X", "companies": [{"company_id": company.pk}]}
    )

    assert response.status_code == 400
    assert "companies.0.company_id" in response.json()["fields"]


def test_companies_of_another_team_are_hidden_on_a_visible_contact(
    sales_sued, sales_nord, api_as, make_company, admin
):
    # given a Süd contact working for a Nord company
    company = make_company(sales_nord, name="Nord GmbH")
    contact = (
        api_as(admin)
        .post(
            "/contacts",
            {
                "last_name": "Pendler",
                "owner": sales_sued.pk,
                "companies": [{"company_id": company.pk}],
            },
        )
        .json()
    )
    assert [c["name"] for c in contact["companies"]] == ["Nord GmbH"]

    # when Süd reads the contact
    api = api_as(sales_sued)
    detail = api.get(f"/contacts/{contact['id']}").json()
    row = api.get("/contacts").json()["results"][0]

    # then the company is not named anywhere
    assert detail["companies"] == []
    assert row["companies"] == []
    assert api.get(f"/companies/{company.pk}").status_code == 404


def test_another_team_cannot_see_or_touch_a_task_about_a_hidden_contact(
    sales_sued, sales_nord, api_as, nord_contact, tomorrow
):
    task = task_create(
        actor=sales_nord, title="Rückruf", due_at=tomorrow, contact=nord_contact
    )
    api = api_as(sales_sued)

    assert api.get("/tasks").json()["results"] == []
    assert_not_found(api.get(f"/tasks/{task.pk}"))
    assert_not_found(api.patch(f"/tasks/{task.pk}", {"status": "done"}))
    assert_not_found(api.delete(f"/tasks/{task.pk}"))


def test_a_contact_given_away_is_still_answered_to_its_creator(
    sales_nord, sales_sued, api_as
):
    # Handing a new contact to another team is allowed; the creator still
    # gets the record they just wrote, and from then on a 404.
    api = api_as(sales_nord)

    response = api.post("/contacts", {"last_name": "Abgabe", "owner": sales_sued.pk})

    assert response.status_code == 201
    assert response.json()["team"]["name"] == "Süd"
    assert api.get(f"/contacts/{response.json()['id']}").status_code == 404
