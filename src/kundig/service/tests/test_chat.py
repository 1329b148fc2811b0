"""The website chat: help articles first, then a ticket; the agent answers
from the ticket and the answer shows in the chat (no mail); tokens, limits and
bad input."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kundig.contacts import selectors as contact_selectors
from kundig.messaging.models import Message
from kundig.service import services
from kundig.service.models import ChatConversation, Ticket

pytestmark = pytest.mark.django_db


def api(client, endpoint, **body):
    return client.post(
        reverse(f"service:chat_{endpoint}"),
        json.dumps(body),
        content_type="application/json",
    )


def started(client, **extra):
    body = {"name": "Max Muster", "email": "max@example.de",
            "message": "Wo bleibt mein Paket?", "lang": "en", **extra}  # fmt: skip
    return api(client, "start", **body)


def test_articles_are_suggested_before_a_person(client, agent):
    category = services.article_category_save(
        actor=agent, name="Versand", language="de", position=1
    )
    services.article_save(
        actor=agent, category=category, language="de", title="Wann kommt mein Paket?",
        slug="paket", body="Meist nach zwei bis drei Werktagen.", is_published=True,
    )  # fmt: skip

    answer = api(
        client, "suggest", question="Meine Lieferung ist noch nicht da", lang="de"
    )

    assert answer.json()["articles"] == [
        {"title": "Wann kommt mein Paket?", "url": "/help/paket/"}
    ]


def test_a_chat_is_a_ticket_the_agent_answers_in_the_chat(client, agent, desk):
    answer = started(client)
    token = answer.json()["token"]

    assert answer.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.contact.emails.get().email) == (
        "chat", "max@example.de",
    )  # fmt: skip
    assert [m["text"] for m in answer.json()["messages"]] == ["Wo bleibt mein Paket?"]

    services.ticket_reply(actor=agent, ticket=ticket, text="Ich schaue nach!", key="r1")
    services.ticket_reply(actor=agent, ticket=ticket, text="Ich schaue nach!", key="r1")
    services.ticket_note(actor=agent, ticket=ticket, text="intern")
    read = api(client, "messages", token=token, after="0").json()["messages"]

    assert [(m["from"], m["text"]) for m in read] == [
        ("visitor", "Wo bleibt mein Paket?"), ("agent", "Ich schaue nach!"),
    ]  # fmt: skip
    assert read[1]["name"] == agent.first_name
    assert not Message.objects.exists()  # answered in the chat, not by mail
    ticket.refresh_from_db()
    assert ticket.status == "waiting_customer"

    wrote = api(
        client, "messages", token=token, text="Danke!", after=str(read[1]["id"])
    )
    assert [m["text"] for m in wrote.json()["messages"]] == ["Danke!"]
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_a_known_address_is_the_same_contact(client, anna, desk):
    started(client, email="ANNA@example.de", name="Anna W.")

    assert Ticket.objects.get().contact == anna


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": ""}, ["name"]),
        ({"email": "kein-mail"}, ["email"]),
        ({"message": ""}, ["message"]),
        ({"message": "x" * 2001}, ["message"]),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, desk, body, fields):
    answer = started(client, **body)

    assert answer.status_code == 422
    assert sorted(answer.json()["fields"]) == fields
    assert not Ticket.objects.exists()


def test_not_json_is_refused(client):
    answer = client.post(
        reverse("service:chat_start"), b"{", content_type="application/json"
    )

    assert answer.status_code == 422 and "body" in answer.json()["fields"]


def test_without_the_token_nothing_is_read_or_written(client, desk):
    started(client)

    for token in ("", "guessed"):
        answer = api(client, "messages", token=token, text="Hallo")
        assert answer.status_code == 404
    assert Ticket.objects.get().entries.count() == 1


def test_a_flood_of_messages_is_limited(client, desk):
    token = started(client).json()["token"]

    codes = [
        api(client, "messages", token=token, text=f"Nachricht {n}").status_code
        for n in range(12)
    ]

    # ten a minute, the one that started the chat included
    assert codes == [200] * 9 + [429] * 3
    assert Ticket.objects.get().entries.count() == 10


def test_a_flood_of_chats_from_one_address_is_limited(client, desk):
    codes = [started(client, email=f"v{n}@example.de").status_code for n in range(6)]

    assert codes == [201] * 5 + [429]
    assert ChatConversation.objects.count() == 5


def test_the_loader_and_the_page_are_served(client):
    script = client.get(reverse("service:chat_widget"))
    page = client.get(reverse("service:chat_page"), {"lang": "en"})

    assert script["Content-Type"].startswith("text/javascript")
    loader = script.content.decode()
    assert 'var base = "http://testserver";' in loader
    assert 'frame.src = base + "/chat/?lang=" + lang;' in loader
    assert "X-Frame-Options" not in page  # the shop's pages frame it
    assert "How can we help?" in page.content.decode()


def test_a_chat_an_agent_logged_by_hand_is_answered_by_mail(agent, anna, mailbox, desk):
    ticket = services.ticket_open(
        actor=agent, contact=anna, subject="Chat auf Instagram", channel="chat",
        body="Kundin fragte im Instagram-Chat.", mailbox=mailbox,
    )  # fmt: skip

    services.ticket_reply(
        actor=agent, ticket=ticket, text="Gern!", key=services.new_form_key()
    )

    assert Message.objects.get().to_email == "anna@example.de"


def test_the_chat_shows_only_what_was_written_in_it(client, agent, anna, desk, mailbox):
    token = started(client, email="anna@example.de").json()["token"]
    chat = Ticket.objects.get(channel="chat")
    services.ticket_note(actor=agent, ticket=chat, text="intern")
    chat.entries.create(kind="customer", body="Meine IBAN ist DE00…")  # from a mail

    read = api(client, "messages", token=token, after="0").json()["messages"]

    assert [m["text"] for m in read] == ["Wo bleibt mein Paket?"]


def test_a_chat_cannot_be_merged(client, agent, anna, desk):
    started(client, email="anna@example.de")
    chat = Ticket.objects.get(channel="chat")
    other = services.ticket_open(
        actor=None, contact=anna, subject="Mail", channel="web"
    )

    for ticket, into in ((other, chat), (chat, other)):
        with pytest.raises(ValidationError, match=r"(?i)website.chat"):
            services.ticket_merge(actor=agent, ticket=ticket, into=into)


def test_the_ticket_warns_that_the_address_is_unconfirmed(
    client, agent, desk, client_for
):
    started(client)
    ticket = Ticket.objects.get()

    page = client_for(agent).get(ticket.get_absolute_url()).content.decode()

    assert 'id="unconfirmed"' in page


def test_only_who_may_see_the_customer_answers_in_the_chat(client, sales_sued, desk):
    started(client)
    ticket = Ticket.objects.get()
    ticket.assignee = sales_sued
    ticket.save()

    with pytest.raises(PermissionDenied):
        services.ticket_reply(actor=sales_sued, ticket=ticket, text="Hallo", key="x1")


def test_a_strange_after_is_read_as_from_the_start(client, desk):
    token = started(client).json()["token"]

    answer = api(client, "messages", token=token, after="²")

    assert answer.status_code == 200 and len(answer.json()["messages"]) == 1


def test_a_visitor_who_left_gets_the_answer_by_mail_too(client, agent, desk, mailbox):
    import datetime as dt

    from django.utils import timezone

    token = started(client).json()["token"]
    ticket = Ticket.objects.get()
    # still there: the answer stays in the chat
    services.ticket_reply(actor=agent, ticket=ticket, text="Einen Moment.", key="r1")
    assert not Message.objects.exists()
    # gone for three minutes: it goes by mail as well, once
    ChatConversation.objects.update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=3)
    )
    for _ in range(2):
        services.ticket_reply(actor=agent, ticket=ticket, text="Es ist da!", key="r2")

    mail = Message.objects.get()
    assert (mail.to_email, mail.text.strip()) == ("max@example.de", "Es ist da!")
    assert ticket.number in mail.subject
    read = api(client, "messages", token=token, after="0").json()["messages"]
    assert [m["text"] for m in read][-1] == "Es ist da!"


def test_a_name_written_last_name_first_is_split(client, desk):
    started(client, name="Weber, Anna Lena", email="anna.lena@example.de")

    contact = Ticket.objects.get().contact
    assert (contact.first_name, contact.last_name) == ("Anna Lena", "Weber")


def test_a_chat_that_fails_halfway_leaves_nothing_behind(desk, monkeypatch):
    def broken(_nbytes):
        raise RuntimeError("no token today")

    monkeypatch.setattr("kundig.service.services.chat.secrets.token_urlsafe", broken)

    with pytest.raises(RuntimeError):
        services.chat_start(
            name="Max Muster", email="max@example.de", message="Hallo?",
            language="de", client="203.0.113.9",
        )  # fmt: skip

    assert not Ticket.objects.exists()
    assert contact_selectors.contact_by_email("max@example.de") is None
