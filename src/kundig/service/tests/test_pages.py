"""The service desk's pages: the list, a ticket, new tickets, queues, the 360° card."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.core.models import AuditEntry
from kundig.messaging import services as messaging
from kundig.messaging.models import Message
from kundig.service import services
from kundig.service.models import Queue, ServiceSettings, Ticket
from kundig.service.tests.test_tickets import mail_in

pytestmark = pytest.mark.django_db

# session, user, the user's team (menu), unread notifications, the page's
# count and ids, its tickets with customer, queue and assignee, the queues
# and the users of the filters
TICKET_LIST = 9


@pytest.fixture
def ticket(agent, anna):
    return services.ticket_open(
        actor=agent, contact=anna, subject="Rechnung doppelt", channel="phone",
        body="Die Rechnung kam zweimal.", category="complaint",
    )  # fmt: skip


def open_ticket(contact, subject="Frage", **fields):
    """A ticket as the system opens it (no agent, so no assignee)."""
    return services.ticket_open(
        actor=None, contact=contact, subject=subject, channel="web", **fields
    )


def listed(response) -> list[str]:
    return [t.subject for t in response.context["page"].object_list]


# --- every page -----------------------------------------------------------------------


def test_every_page_renders_for_a_service_agent(agent, anna, ticket, client_for):
    client = client_for(agent)

    for url in (
        reverse("service:ticket_list"),
        ticket.get_absolute_url(),
        reverse("service:ticket_create"),
        reverse("service:ticket_create") + f"?contact={anna.pk}",
        reverse("service:contact_tickets", args=[anna.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_the_queue_pages_render_for_an_admin(admin, client_for):
    client = client_for(admin)
    queue = Queue.objects.get()

    for url in (
        reverse("service:queue_list"),
        reverse("service:queue_create"),
        reverse("service:queue_edit", args=[queue.pk]),
    ):
        assert client.get(url).status_code == 200, url


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_only_the_tickets_one_may_see(
    anna, sales_nord, sales_sued, make_contact, client_for
):
    bernd = make_contact(sales_sued, first_name="Bernd", last_name="Süd")
    open_ticket(anna, "Annas Frage")
    open_ticket(bernd, "Bernds Frage")

    assert listed(client_for(sales_nord).get(reverse("service:ticket_list"))) == [
        "Annas Frage"
    ]
    assert listed(client_for(sales_sued).get(reverse("service:ticket_list"))) == [
        "Bernds Frage"
    ]


def test_the_list_filters_and_sorts(agent, anna, sales_nord, make_contact, client_for):
    erik = make_contact(
        sales_nord, first_name="Erik", last_name="Sommer", email="erik@sommer.example"
    )
    first = open_ticket(anna, "Lampe kaputt", priority="low", category="warranty")
    second = open_ticket(erik, "Paket fehlt", priority="urgent")
    third = open_ticket(anna, "Rechnung", category="complaint")
    services.ticket_update(actor=agent, ticket=third, assignee=agent)
    solved = open_ticket(anna, "Erledigt")
    services.ticket_update(actor=agent, ticket=solved, status="solved")
    client = client_for(agent)

    def subjects(**query):
        return listed(client.get(reverse("service:ticket_list"), query))

    assert subjects() == ["Rechnung", "Paket fehlt", "Lampe kaputt"]  # open ones
    assert subjects(status="all") == [
        "Erledigt", "Rechnung", "Paket fehlt", "Lampe kaputt",
    ]  # fmt: skip
    assert subjects(status="solved") == ["Erledigt"]
    assert subjects(status="nonsense") == subjects()
    assert subjects(assignee="mine") == ["Rechnung"]
    assert subjects(assignee="none") == ["Paket fehlt", "Lampe kaputt"]
    assert subjects(assignee=str(agent.pk)) == ["Rechnung"]
    assert subjects(priority="urgent") == ["Paket fehlt"]
    assert subjects(category="warranty") == ["Lampe kaputt"]
    assert subjects(channel="web") == subjects()
    assert subjects(channel="phone") == []
    assert subjects(queue=str(first.queue_id)) == subjects()
    assert subjects(q="paket") == ["Paket fehlt"]
    assert subjects(q="sommer") == ["Paket fehlt"]  # the customer's name
    assert subjects(q="erik@sommer.example") == ["Paket fehlt"]  # their address
    assert subjects(q="weber lampe") == ["Lampe kaputt"]
    assert subjects(q=f"#{second.pk}") == ["Paket fehlt"]
    assert subjects(contact=str(erik.pk)) == ["Paket fehlt"]
    assert subjects(sort="oldest") == ["Lampe kaputt", "Paket fehlt", "Rechnung"]
    assert subjects(sort="priority") == ["Paket fehlt", "Rechnung", "Lampe kaputt"]
    services.ticket_note(actor=agent, ticket=first, text="Lager fragen")
    services.ticket_update(actor=agent, ticket=first, priority="normal")
    assert subjects(sort="changed")[0] == "Lampe kaputt"


def test_an_htmx_request_gets_the_results_only(agent, anna, client_for):
    open_ticket(anna, "Lampe kaputt")

    response = client_for(agent).get(
        reverse("service:ticket_list"),
        {"q": "lampe"},
        headers={"HX-Request": "true", "HX-Target": "ticket-results"},
    )

    page = response.content.decode()
    assert "Lampe kaputt" in page
    assert "<html" not in page and 'id="ticket-filters"' not in page


def test_the_list_says_when_nothing_is_open_or_nothing_matches(agent, client_for):
    client = client_for(agent)

    nothing = client.get(reverse("service:ticket_list")).content.decode()
    no_match = client.get(reverse("service:ticket_list"), {"q": "xyz"})

    assert "No open tickets." in nothing
    assert reverse("service:ticket_create") in nothing
    assert "No tickets match these filters." in no_match.content.decode()


def test_the_list_makes_as_many_queries_for_30_tickets_as_for_3(
    agent, sales_nord, make_contact, client_for, django_assert_num_queries
):
    client = client_for(agent)
    client.get(reverse("service:ticket_list"))  # the session's first request writes
    customers = [make_contact(sales_nord) for _ in range(3)]

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("service:ticket_list")).status_code == 200
        return len(queries)

    for i in range(3):
        open_ticket(customers[i], f"T{i}", assignee=sales_nord)
    few = count_queries()
    for i in range(27):
        open_ticket(customers[i % 3], f"U{i}", assignee=sales_nord)
    with django_assert_num_queries(TICKET_LIST):
        client.get(reverse("service:ticket_list"), {"sort": "priority"})

    assert few == count_queries() == TICKET_LIST


# --- a ticket -------------------------------------------------------------------------


def test_a_ticket_one_may_not_see_is_a_404(ticket, sales_sued, client_for):
    response = client_for(sales_sued).get(ticket.get_absolute_url())

    assert response.status_code == 404


def test_the_ticket_page_shows_the_conversation_and_the_customer(
    agent, anna, ticket, client_for
):
    other = open_ticket(anna, "Früher: Lieferzeit")

    response = client_for(agent).get(ticket.get_absolute_url())

    page = response.content.decode()
    assert "Die Rechnung kam zweimal." in page
    assert "anna@example.de" in page
    assert other.get_absolute_url() in page  # the customer's other tickets
    assert f"Ticket #{ticket.pk} opened" in page  # the customer's timeline
    assert anna.get_absolute_url() in page
    assert response.context["reply_form"].initial["key"]


def test_a_reader_sees_the_ticket_without_its_forms(ticket, read_only_nord, client_for):
    response = client_for(read_only_nord).get(ticket.get_absolute_url())

    assert response.status_code == 200
    assert "reply_form" not in response.context
    assert reverse("service:ticket_reply", args=[ticket.pk]) not in (
        response.content.decode()
    )


def test_an_assignee_who_may_not_see_the_customer_gets_the_conversation_only(
    agent, ticket, sales_sued, client_for
):
    services.ticket_update(actor=agent, ticket=ticket, assignee=sales_sued)

    response = client_for(sales_sued).get(ticket.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "Die Rechnung kam zweimal." in page
    assert response.context["customer"] is None
    assert ticket.contact.get_absolute_url() not in page
    assert reverse("service:ticket_reply", args=[ticket.pk]) not in page
    assert reverse("service:ticket_note", args=[ticket.pk]) in page


def test_mail_entries_link_to_the_mail_pages_one_may_open(
    mailbox, agent, admin, anna, client_for
):
    mail = mail_in(mailbox)
    ticket = Ticket.objects.get()
    services.ticket_reply(
        actor=agent, ticket=ticket, text="Kommt morgen.", key=services.new_form_key()
    )
    sent = ticket.entries.get(kind="reply").message
    inbound_url = reverse("messaging:inbound_detail", args=[mail.pk])
    outbox_url = reverse("messaging:message_detail", args=[sent.pk])

    for_agent = client_for(agent).get(ticket.get_absolute_url()).content.decode()
    for_admin = client_for(admin).get(ticket.get_absolute_url()).content.decode()

    assert inbound_url in for_agent and outbox_url not in for_agent  # no outbox
    assert inbound_url in for_admin and outbox_url in for_admin


@pytest.mark.parametrize("who", ["read_only_nord", "marketing_user"])
def test_readers_and_marketing_may_post_nothing(who, request, ticket, client_for):
    client = client_for(request.getfixturevalue(who))
    queue = Queue.objects.get()

    for name, args in (
        ("service:ticket_reply", [ticket.pk]),
        ("service:ticket_note", [ticket.pk]),
        ("service:ticket_change", [ticket.pk]),
        ("service:ticket_create", []),
        ("service:queue_list", []),
        ("service:queue_create", []),
        ("service:queue_edit", [queue.pk]),
    ):
        response = client.post(reverse(name, args=args), {"text": "x"})
        assert response.status_code == 403, name
    assert ticket.entries.count() == 1


def test_a_reply_posted_twice_sends_one_mail_and_sets_the_status(
    mailbox, smtp, agent, ticket, client_for
):
    client = client_for(agent)
    key = client.get(ticket.get_absolute_url()).context["reply_form"].initial["key"]
    url = reverse("service:ticket_reply", args=[ticket.pk])
    data = {"text": "Wir schreiben die Rechnung neu.", "status": "solved", "key": key}

    first = client.post(url, data)
    again = client.post(url, data)  # a double click

    assert first.status_code == again.status_code == 302
    assert first["Location"] == ticket.get_absolute_url()
    assert Message.objects.count() == 1
    assert messaging.outbox_send_due() == 1
    assert len(smtp.messages) == 1
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert ticket.entries.filter(kind="reply").count() == 1
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Wir schreiben die Rechnung neu." in page


def test_a_reply_to_a_customer_without_an_address_is_refused_on_the_page(
    mailbox, agent, make_contact, client_for
):
    nobody = make_contact(agent)
    nobody.emails.all().delete()
    ticket = services.ticket_open(
        actor=agent, contact=nobody, subject="Anruf", channel="phone"
    )
    client = client_for(agent)

    page = client.get(ticket.get_absolute_url()).content.decode()
    response = client.post(
        reverse("service:ticket_reply", args=[ticket.pk]),
        {"text": "Hallo", "status": "waiting_customer", "key": "a" * 32},
    )

    assert "The customer has no email address" in page
    assert response.status_code == 422
    assert response.context["reply_form"].non_field_errors()
    assert not Message.objects.exists()


def test_an_empty_reply_is_refused_naming_the_text(agent, ticket, client_for):
    response = client_for(agent).post(
        reverse("service:ticket_reply", args=[ticket.pk]),
        {"text": "", "status": "waiting_customer", "key": "b" * 32},
    )

    assert response.status_code == 422
    assert "text" in response.context["reply_form"].errors


def test_a_note_is_saved_and_shown_as_internal(agent, ticket, client_for):
    client = client_for(agent)

    response = client.post(
        reverse("service:ticket_note", args=[ticket.pk]),
        {"text": "Buchhaltung fragen."},
    )
    refused = client.post(reverse("service:ticket_note", args=[ticket.pk]), {})

    assert response.status_code == 302
    note = ticket.entries.get(kind="note")
    assert (note.body, note.author) == ("Buchhaltung fragen.", agent)
    assert not Message.objects.exists()
    page = client.get(ticket.get_absolute_url()).content.decode()
    entry = page.split(f'id="entry-{note.pk}"')[0].rsplit("<div", 1)[1]
    assert "bg-yellow-lt" in entry
    assert "Internal note" in page
    assert refused.status_code == 422
    assert "text" in refused.context["note_form"].errors


def test_the_change_form_updates_the_ticket(agent, ticket, sales_nord, client_for):
    returns = Queue.objects.create(name="Retouren")

    response = client_for(agent).post(
        reverse("service:ticket_change", args=[ticket.pk]),
        {
            "status": "waiting_third",
            "priority": "high",
            "category": "return",
            "queue": returns.pk,
            "assignee": sales_nord.pk,
        },
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.category) == (
        "waiting_third", "high", "return",
    )  # fmt: skip
    assert (ticket.queue, ticket.assignee) == (returns, sales_nord)


def test_the_change_form_refuses_a_bad_value_naming_the_field(
    agent, ticket, client_for
):
    response = client_for(agent).post(
        reverse("service:ticket_change", args=[ticket.pk]),
        {
            "status": "lost",
            "priority": "normal",
            "category": "complaint",
            "queue": ticket.queue_id,
            "assignee": "",
        },
    )

    assert response.status_code == 422
    assert list(response.context["change_form"].errors) == ["status"]
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.assignee == ticket.created_by


# --- a new ticket ---------------------------------------------------------------------


def new_ticket(contact, **fields):
    return {
        "contact": contact.pk,
        "contact_label": str(contact),
        "channel": "letter",
        "category": "warranty",
        "priority": "high",
        "queue": Queue.objects.get().pk,
        "assignee": "",
        "subject": "Brief: Garantie für die Lampe",
        "body": "Die Lampe flackert nach drei Monaten.",
        "order": "",
        **fields,
    }


def test_a_new_ticket_is_opened_from_the_form(agent, anna, client_for):
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("5001", email="anna@example.de")
    ).order
    assert placed.contact == anna
    client = client_for(agent)

    page = client.get(reverse("service:ticket_create"), {"contact": anna.pk})
    response = client.post(
        reverse("service:ticket_create"), new_ticket(anna, order="SW5001")
    )

    assert page.context["form"].initial["contact"] == anna.pk
    assert "SW5001" in page.content.decode()  # offered among her recent orders
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    assert (ticket.contact, ticket.channel, ticket.category, ticket.priority) == (
        anna, "letter", "warranty", "high",
    )  # fmt: skip
    assert ticket.assignee == agent  # a letter is who logged it's
    assert ticket.order == placed
    assert ticket.entries.get().body == "Die Lampe flackert nach drei Monaten."
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert placed.get_absolute_url() in page


def test_a_new_ticket_without_a_subject_is_refused_naming_the_field(
    agent, anna, client_for
):
    response = client_for(agent).post(
        reverse("service:ticket_create"), new_ticket(anna, subject="  ")
    )

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["subject"]
    assert not Ticket.objects.exists()


def test_a_new_ticket_is_refused_for_a_customer_one_may_not_see(
    sales_sued, anna, client_for
):
    response = client_for(sales_sued).post(
        reverse("service:ticket_create"), new_ticket(anna)
    )

    assert response.status_code == 422
    assert "contact" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_an_order_of_another_customer_is_refused(agent, anna, client_for):
    commerce.order_record(actor=None, source="shop-1", data=order("5002"))

    response = client_for(agent).post(
        reverse("service:ticket_create"), new_ticket(anna, order="SW5002")
    )

    assert response.status_code == 422
    assert "order" in response.context["form"].errors


# --- queues ---------------------------------------------------------------------------


def test_only_admins_manage_queues(agent, manager_nord, client_for):
    for user in (agent, manager_nord):
        response = client_for(user).get(reverse("service:queue_list"))
        assert response.status_code == 403


def test_an_admin_creates_and_edits_queues_with_one_default(
    admin, agent, mailbox, client_for
):
    client = client_for(admin)
    service = Queue.objects.get()

    created = client.post(
        reverse("service:queue_create"),
        {
            "name": "Retouren",
            "mailbox": mailbox.pk,
            "escalation_owner": agent.pk,
            "is_default": "on",
        },
    )
    returns = Queue.objects.get(name="Retouren")
    edited = client.post(
        reverse("service:queue_edit", args=[returns.pk]),
        {  # the default unticked
            "name": "Rücksendungen",
            "mailbox": mailbox.pk,
            "escalation_owner": agent.pk,
        },
    )

    assert created.status_code == edited.status_code == 302
    returns.refresh_from_db()
    service.refresh_from_db()
    assert returns.name == "Rücksendungen"
    assert (returns.mailbox, returns.escalation_owner) == (mailbox, agent)
    # the only default stays one: a queue must take what has no queue
    assert returns.is_default and not service.is_default
    assert Queue.objects.filter(is_default=True).count() == 1
    assert AuditEntry.objects.filter(
        object_type="service.queue", object_id=str(returns.pk)
    ).exists()
    page = client.get(reverse("service:queue_list")).content.decode()
    assert "Rücksendungen" in page and mailbox.email in page


def test_a_queue_name_is_unique(admin, client_for):
    response = client_for(admin).post(
        reverse("service:queue_create"), {"name": "Service"}
    )

    assert response.status_code == 422
    assert "name" in response.context["form"].errors
    assert Queue.objects.count() == 1


def test_an_admin_switches_tickets_from_shop_events(admin, client_for):
    response = client_for(admin).post(
        reverse("service:queue_list"), {"open_on_unavailable": "on"}
    )

    assert response.status_code == 302
    wanted = ServiceSettings.current()
    assert (wanted.open_on_late_shipment, wanted.open_on_unavailable) == (False, True)


# --- the 360° page and the menu -------------------------------------------------------


def test_the_contact_card_lists_the_tickets_after_the_page(
    agent, anna, ticket, sales_nord, client_for
):
    solved = open_ticket(anna, "Alte Frage")
    services.ticket_update(actor=agent, ticket=solved, status="solved")
    card_url = reverse("service:contact_tickets", args=[anna.pk])

    page = client_for(agent).get(anna.get_absolute_url()).content.decode()
    card = client_for(agent).get(card_url).content.decode()

    assert f'hx-get="{card_url}"' in page
    assert card.index("Rechnung doppelt") < card.index("Alte Frage")  # open first
    assert f"{reverse('service:ticket_create')}?contact={anna.pk}" in card


def test_the_contact_card_offers_no_new_ticket_without_the_service_desk(
    anna, ticket, marketing_user, sales_sued, client_for
):
    url = reverse("service:contact_tickets", args=[anna.pk])

    card = client_for(marketing_user).get(url).content.decode()

    assert "Rechnung doppelt" in card
    assert reverse("service:ticket_create") not in card
    assert client_for(sales_sued).get(url).status_code == 404


def test_the_menu_shows_tickets_to_the_service_desk_only(
    agent, marketing_user, client_for
):
    tickets = f'href="{reverse("service:ticket_list")}"'

    assert tickets in client_for(agent).get(reverse("activity:home")).content.decode()
    assert tickets not in (
        client_for(marketing_user).get(reverse("activity:home")).content.decode()
    )


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("service:ticket_list", {"queue": "²"}),
        ("service:ticket_list", {"q": "#²"}),
        ("service:ticket_list", {"assignee": "²"}),
        ("service:ticket_create", {"contact": "²"}),
        ("service:dashboard", {"weeks": "²"}),
    ],
)
def test_digits_that_are_not_ascii_are_ignored_not_a_500(
    agent, client_for, name, query
):
    assert client_for(agent).get(reverse(name), query).status_code == 200
