"""Tasks over the API: create, read, list, change, complete, reopen, delete."""

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def api(sales_nord, api_as):
    return api_as(sales_nord)


@pytest.fixture
def contact(sales_nord, make_contact):
    return make_contact(sales_nord)


def test_it_creates_a_task_for_the_caller(api, contact):
    response = api.post(
        "/tasks",
        {
            "title": "Angebot nachfassen",
            "description": "Preis klären",
            "due_at": "2030-03-01T10:00:00+01:00",
            "priority": "high",
            "contact_id": contact.pk,
        },
    )

    assert response.status_code == 201
    task = response.json()
    assert task["title"] == "Angebot nachfassen"
    assert task["description"] == "<p>Preis klären</p>"
    assert task["due_at"] == "2030-03-01T09:00:00Z"
    assert task["remind_at"] == task["due_at"]
    assert task["priority"] == "high"
    assert task["status"] == "open"
    assert task["assignee"]["email"] == "nora@kundig.test"
    assert task["contact"]["id"] == contact.pk
    assert api.get(f"/tasks/{task['id']}").json() == task


def test_it_assigns_a_task_by_email_and_notifies_the_assignee(
    api, manager_nord, contact
):
    response = api.post(
        "/tasks",
        {
            "title": "Bitte prüfen",
            "due_at": "2030-03-01T10:00:00Z",
            "assignee": "MIA@kundig.test",
            "contact_id": contact.pk,
        },
    )

    assert response.status_code == 201
    assert response.json()["assignee"]["email"] == "mia@kundig.test"
    assert manager_nord.notifications.count() == 1


def test_an_assignee_who_cannot_see_the_contact_is_refused(api, sales_sued, contact):
    response = api.post(
        "/tasks",
        {
            "title": "T",
            "due_at": "2030-03-01T10:00:00Z",
            "assignee": sales_sued.pk,
            "contact_id": contact.pk,
        },
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_at": "2030-03-01T10:00:00Z"}, "title"),
        ({"title": "T"}, "due_at"),
        ({"title": "T", "due_at": "bald"}, "due_at"),
        ({"title": " ", "due_at": "2030-03-01T10:00:00Z"}, "title"),
        ({"title": "T", "due_at": "2030-03-01T10:00:00Z", "priority": "meh"},
         "priority"),
        ({"title": "T", "due_at": "2030-03-01T10:00:00Z", "assignee": "x@y.z"},
         "assignee"),
        ({"title": "T", "due_at": "2030-03-01T10:00:00Z", "company_id": 999999},
         "company_id"),
        ({"title": "T", "due_at": "2030-03-01T10:00:00Z", "status": "done"},
         "status"),
    ],
)  # fmt: skip
def test_bad_tasks_are_refused_naming_the_field(api, body, field):
    response = api.post("/tasks", body)

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_it_changes_only_the_fields_sent(api, contact):
    task = api.post(
        "/tasks",
        {"title": "T", "due_at": "2030-03-01T10:00:00Z", "contact_id": contact.pk},
    ).json()

    changed = api.patch(
        f"/tasks/{task['id']}", {"title": "Neu", "due_at": "2030-04-01T10:00:00Z"}
    )

    assert changed.status_code == 200
    assert changed.json()["title"] == "Neu"
    assert changed.json()["due_at"] == "2030-04-01T10:00:00Z"
    assert changed.json()["remind_at"] == "2030-04-01T10:00:00Z"
    assert changed.json()["contact"]["id"] == contact.pk


def test_a_task_can_be_unlinked_from_its_contact(api, contact):
    task = api.post(
        "/tasks",
        {"title": "T", "due_at": "2030-03-01T10:00:00Z", "contact_id": contact.pk},
    ).json()

    changed = api.patch(f"/tasks/{task['id']}", {"contact_id": None}).json()

    assert changed["contact"] is None


def test_it_completes_and_reopens_a_task(api, contact):
    task = api.post(
        "/tasks",
        {
            "title": "Rückruf",
            "due_at": "2030-03-01T10:00:00Z",
            "contact_id": contact.pk,
        },
    ).json()

    done = api.patch(f"/tasks/{task['id']}", {"status": "done"}).json()
    timeline = api.get(f"/contacts/{contact.pk}/timeline").json()["results"]
    reopened = api.patch(f"/tasks/{task['id']}", {"status": "open"}).json()

    assert done["status"] == "done"
    assert done["completed_at"] is not None
    assert done["completed_by"]["email"] == "nora@kundig.test"
    assert [(e["kind"], e["summary"]) for e in timeline] == [
        ("task_completed", "Rückruf")
    ]
    assert reopened["status"] == "open"
    assert reopened["completed_at"] is None


def test_a_change_and_completion_in_one_request_happen_together_or_not_at_all(
    api, contact
):
    task = api.post("/tasks", {"title": "T", "due_at": "2030-03-01T10:00:00Z"}).json()

    response = api.patch(f"/tasks/{task['id']}", {"title": "", "status": "done"})

    assert response.status_code == 400
    assert api.get(f"/tasks/{task['id']}").json()["status"] == "open"


def test_it_deletes_a_task(api):
    task = api.post("/tasks", {"title": "T", "due_at": "2030-03-01T10:00:00Z"}).json()

    response = api.delete(f"/tasks/{task['id']}")

    assert response.status_code == 204
    assert api.get(f"/tasks/{task['id']}").status_code == 404


def test_the_task_list_filters(api, sales_nord, manager_nord, contact, make_company):
    company = make_company(sales_nord)
    now = timezone.now()

    def create(title, days, **extra):
        body = {"title": title, "due_at": (now + dt.timedelta(days=days)).isoformat()}
        response = api.post("/tasks", {**body, **extra})
        assert response.status_code == 201, response.json()
        return response.json()["id"]

    mine = create("Meins", 1, contact_id=contact.pk)
    hers = create("Ihrs", 5, assignee=manager_nord.pk, company_id=company.pk)
    done = create("Erledigt", 10)
    api.patch(f"/tasks/{done}", {"status": "done"})

    def ids(params):
        response = api.get("/tasks", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids({}) == [mine, hers, done]
    assert ids({"status": "open"}) == [mine, hers]
    assert ids({"status": "done"}) == [done]
    assert ids({"assignee": "me"}) == [mine, done]
    assert ids({"assignee": str(manager_nord.pk)}) == [hers]
    assert ids({"contact": contact.pk}) == [mine]
    assert ids({"company": company.pk}) == [hers]
    assert ids({"due_before": (now + dt.timedelta(days=3)).isoformat()}) == [mine]
    assert ids({"due_after": (now + dt.timedelta(days=3)).isoformat()}) == [hers, done]
    assert ids({"q": "meins"}) == [mine]
    assert ids({"sort": "-due"}) == [done, hers, mine]
