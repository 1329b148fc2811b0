"""Roles: a read-only user reads, and every write answers 403."""

import pytest

from kundig.activity.services import task_create


@pytest.fixture
def contact(sales_nord, make_contact):
    return make_contact(sales_nord)


def assert_forbidden(response):
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["message"]


def test_a_read_only_user_reads_their_teams_contacts(read_only_nord, api_as, contact):
    api = api_as(read_only_nord)

    assert api.get(f"/contacts/{contact.pk}").status_code == 200
    assert [row["id"] for row in api.get("/contacts").json()["results"]] == [contact.pk]


def test_a_read_only_user_may_not_write_anything(
    read_only_nord, sales_nord, api_as, contact, make_company, tomorrow
):
    api = api_as(read_only_nord)
    company = make_company(sales_nord)
    task = task_create(actor=sales_nord, title="T", due_at=tomorrow, contact=contact)

    assert_forbidden(api.post("/contacts", {"last_name": "Neu"}))
    assert_forbidden(api.patch(f"/contacts/{contact.pk}", {"last_name": "Neu"}))
    assert_forbidden(api.delete(f"/contacts/{contact.pk}"))
    assert_forbidden(api.post("/companies", {"name": "Neu GmbH"}))
    assert_forbidden(api.patch(f"/companies/{company.pk}", {"name": "Neu"}))
    assert_forbidden(api.delete(f"/companies/{company.pk}"))
    assert_forbidden(
        api.post(f"/contacts/{contact.pk}/timeline", {"kind": "note", "body": "x"})
    )
    assert_forbidden(api.post(f"/companies/{company.pk}/timeline", {"kind": "call"}))
    assert_forbidden(api.post("/tasks", {"title": "T", "due_at": tomorrow}))
    assert_forbidden(api.patch(f"/tasks/{task.pk}", {"status": "done"}))
    assert_forbidden(api.delete(f"/tasks/{task.pk}"))


def test_nothing_was_written_by_the_refused_requests(read_only_nord, api_as, contact):
    api = api_as(read_only_nord)

    api.patch(f"/contacts/{contact.pk}", {"last_name": "Neu"})

    assert api.get(f"/contacts/{contact.pk}").json()["last_name"] == contact.last_name


def test_only_the_author_changes_a_note(sales_nord, manager_nord, api_as, contact):
    note = (
        api_as(manager_nord)
        .post(f"/contacts/{contact.pk}/timeline", {"kind": "note", "body": "Von Mia"})
        .json()
    )

    response = api_as(sales_nord).patch(f"/timeline/{note['id']}", {"body": "Von Nora"})

    assert_forbidden(response)


def test_a_task_is_deleted_only_by_its_creator_or_assignee(
    sales_nord, manager_nord, api_as, contact, tomorrow
):
    # given a task the manager made for herself about a contact Nora sees
    task = task_create(actor=manager_nord, title="T", due_at=tomorrow, contact=contact)

    # then Nora may not delete it, the manager may
    assert_forbidden(api_as(sales_nord).delete(f"/tasks/{task.pk}"))
    assert api_as(manager_nord).delete(f"/tasks/{task.pk}").status_code == 204
