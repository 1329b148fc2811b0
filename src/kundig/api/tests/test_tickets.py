"""Tickets over the API: open, list, read, change, answer, note."""

import pytest

from kundig.messaging.models import Message
from kundig.messaging.tests.conftest import mailbox, smtp  # noqa: F401
from kundig.service.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(service_agent, api_as):
    return api_as(service_agent)


@pytest.fixture
def anna(sales_nord, make_contact):
    return make_contact(sales_nord, first_name="Anna", email="anna@example.de")


def open_ticket(api, contact, **extra):
    return api.post(
        "/tickets",
        {"contact_id": contact.pk, "subject": "Rückfrage zur Lieferung",
         "text": "Wann kommt meine Bestellung?", **extra},
    )  # fmt: skip


def test_a_shop_form_opens_a_ticket_once_per_key(api, anna):
    first = open_ticket(api, anna, key="form-17", category="question")
    again = open_ticket(api, anna, key="form-17", category="question")

    assert first.status_code == 201, first.json()
    ticket = first.json()
    assert again.json()["id"] == ticket["id"]
    assert Ticket.objects.count() == 1
    assert (ticket["status"], ticket["channel"], ticket["number"]) == (
        "new", "web", f"#{ticket['id']}",
    )  # fmt: skip
    assert ticket["contact"]["id"] == anna.pk
    [entry] = ticket["entries"]
    assert (entry["kind"], entry["text"]) == (
        "customer",
        "Wann kommt meine Bestellung?",
    )
    assert api.get(f"/tickets/{ticket['id']}").json() == ticket


def test_bad_input_names_the_field(api, anna):
    response = api.post(
        "/tickets", {"contact_id": anna.pk, "subject": " ", "category": "anger"}
    )
    assert response.status_code == 400
    assert "category" in response.json()["fields"]

    response = open_ticket(api, anna, queue_id=999, order_id=888)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"order_id"}

    response = api.post("/tickets", {"contact_id": anna.pk, "subject": " "})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"subject"}
    assert not Ticket.objects.exists()


def test_the_list_shows_only_visible_tickets_and_filters(
    api, api_as, anna, sales_sued, make_contact, service_agent
):
    other = make_contact(sales_sued, email="sued@example.de")
    open_ticket(api, anna)
    theirs = open_ticket(api, other).json()

    mine = api_as(sales_sued).get("/tickets").json()["results"]
    assert [t["id"] for t in mine] == [theirs["id"]]
    assert len(api.get("/tickets", {"status": "open"}).json()["results"]) == 2
    assert api.get("/tickets", {"status": "solved"}).json()["results"] == []
    assert (
        api.get("/tickets", {"contact": other.pk}).json()["results"][0]["id"]
        == (theirs["id"])
    )
    assert api.get("/tickets", {"status": "lost"}).status_code == 400
    assert api.get("/tickets", {"colour": "red"}).status_code == 400
    assert api_as(sales_sued).get(f"/tickets/{theirs['id'] - 1}").status_code == 404


def test_a_ticket_is_changed_and_assigned_by_email(api, anna, sales_nord):
    ticket = open_ticket(api, anna).json()

    response = api.patch(
        f"/tickets/{ticket['id']}",
        {"status": "open", "priority": "urgent", "assignee": sales_nord.email},
    )

    assert response.status_code == 200, response.json()
    changed = response.json()
    assert (changed["status"], changed["priority"]) == ("open", "urgent")
    assert changed["assignee"]["email"] == sales_nord.email
    refused = api.patch(f"/tickets/{ticket['id']}", {"assignee": "nobody@x.de"})
    assert refused.status_code == 400 and "assignee" in refused.json()["fields"]


@pytest.mark.usefixtures("mailbox", "smtp")
def test_an_answer_is_mailed_once_per_key_and_a_note_stays_inside(api, anna):
    ticket = open_ticket(api, anna).json()
    key = "0123456789abcdef0123456789abcdef"

    first = api.post(
        f"/tickets/{ticket['id']}/replies", {"text": "Morgen.", "key": key}
    )
    again = api.post(
        f"/tickets/{ticket['id']}/replies", {"text": "Morgen.", "key": key}
    )
    note = api.post(f"/tickets/{ticket['id']}/notes", {"text": "Lager gefragt."})

    assert first.status_code == again.status_code == 201
    assert Message.objects.count() == 1
    kinds = [entry["kind"] for entry in note.json()["entries"]]
    assert kinds == ["customer", "reply", "note"]
    assert note.json()["status"] == "waiting_customer"
    assert (
        api.post(
            f"/tickets/{ticket['id']}/replies", {"text": "x", "key": "short"}
        ).status_code
        == 400
    )


def test_read_only_users_may_read_but_not_write(api, api_as, anna, read_only_nord):
    ticket = open_ticket(api, anna).json()
    reader = api_as(read_only_nord)

    assert reader.get(f"/tickets/{ticket['id']}").status_code == 200
    assert open_ticket(reader, anna).status_code == 403
    assert (
        reader.post(f"/tickets/{ticket['id']}/notes", {"text": "x"}).status_code == 403
    )
    assert reader.patch(
        f"/tickets/{ticket['id']}", {"status": "solved"}
    ).status_code == (403)
