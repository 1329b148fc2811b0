"""The public contact form: a request becomes a ticket (once per form), about
the sender's order if they name one; bad input named, bots and floods held."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.service.models import Ticket

pytestmark = pytest.mark.django_db

FORM = reverse("service:contact_form")


def send(client, **data):
    extra = {key: data.pop(key) for key in list(data) if key.startswith("HTTP_")}
    fields = {"name": "Erika Mustermann", "email": "erika@example.de",
              "subject": "Rechnung fehlt", "order": "", "key": "f-1", "lang": "en",
              "message": "Bitte schicken Sie mir die Rechnung.", **data}  # fmt: skip
    return client.post(FORM, fields, **extra)


def test_a_request_becomes_a_ticket_once_about_the_named_order(client, desk):
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("8801")
    ).order

    first = send(client, order="#SW8801")
    again = send(client, order="#SW8801")  # a double click

    assert first.status_code == 200 and 'id="form-sent"' in first.content.decode()
    ticket = Ticket.objects.get()
    assert again.status_code == 200
    assert (ticket.channel, ticket.subject, ticket.order) == (
        "web",
        "Rechnung fehlt",
        placed,
    )
    assert ticket.contact == placed.contact
    assert ticket.entries.get().body == "Bitte schicken Sie mir die Rechnung."


def test_someone_elses_order_number_links_nothing(client, desk):
    commerce.order_record(actor=None, source="shop-1", data=order("8802"))

    send(client, email="fremd@example.de", order="SW8802")

    ticket = Ticket.objects.get()
    assert (
        ticket.order is None and ticket.contact.emails.get().email == "fremd@example.de"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Tell us your name."),
        ({"email": "x"}, "Give an email address, so we can answer you."),
        ({"subject": ""}, "Give your request a subject."),
        ({"message": ""}, "Write a message."),
        ({"key": ""}, "The form is out of date; load the page again."),
    ],
)
def test_bad_input_is_named_and_kept(client, desk, data, message):
    response = send(client, **data)

    assert response.status_code == 422
    page = response.content.decode()
    kept = "Erika Mustermann" if "name" not in data else "Rechnung fehlt"
    assert message in page and kept in page  # what was typed stays
    assert not Ticket.objects.exists()


def test_a_bot_filling_the_hidden_field_opens_nothing(client, desk):
    response = send(client, website="http://spam.example")

    assert 'id="form-sent"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_flood_from_one_address_is_held(client, desk):
    codes = [send(client, key=f"k{n}").status_code for n in range(6)]

    assert codes == [200] * 5 + [422]
    assert Ticket.objects.count() == 5


def test_behind_a_proxy_each_visitor_has_their_own_limit(client, desk, settings):
    settings.KUNDIG_PROXIES = 1
    for n in range(5):
        send(client, key=f"a{n}", HTTP_X_FORWARDED_FOR="203.0.113.1")

    other = send(client, key="b0", HTTP_X_FORWARDED_FOR="203.0.113.2")

    assert other.status_code == 200 and Ticket.objects.count() == 6
