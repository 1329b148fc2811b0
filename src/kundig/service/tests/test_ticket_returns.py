"""A return announced from a ticket about an order, and taken on from there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.service import services
from kundig.service.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def asking(agent, desk):
    """Erika asks about returning her order's T-Shirt (a question, by phone)."""
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("3001")
    ).order
    return services.ticket_open(
        actor=agent, contact=placed.contact, subject="Umtausch?", channel="phone",
        category="question", order=placed,
    )  # fmt: skip


def test_an_agent_announces_the_return_from_the_ticket(agent, asking, client_for):
    client = client_for(agent)
    page = client.get(asking.get_absolute_url())
    line = asking.order.lines.get()
    assert 'id="announce-return"' in page.content.decode()

    response = client.post(
        reverse("service:ticket_return", args=[asking.pk]),
        {f"line-{line.pk}": "1", "reason": "size", "comment": "", "key": "t1"},
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.ret.rma_number == "R-SW3001-1"
    assert ticket.category == "return"  # it was a question
    assert ticket.entries.filter(kind="note", body__contains="R-SW3001-1").exists()
    shown = client.get(ticket.get_absolute_url()).content.decode()
    assert f'id="return-step-{ticket.ret.pk}"' in shown
    assert 'id="announce-return"' not in shown


def test_a_bad_return_from_the_ticket_names_it(agent, asking, client_for):
    response = client_for(agent).post(
        reverse("service:ticket_return", args=[asking.pk]),
        {"reason": "size", "key": "t1"},
    )

    assert response.status_code == 422
    assert "Choose at least one item to return." in response.content.decode()
    assert Ticket.objects.get().ret is None


def test_a_ticket_about_no_order_offers_no_return(agent, anna, desk, client_for):
    ticket = services.ticket_open(
        actor=agent, contact=anna, subject="Frage", channel="phone"
    )

    page = client_for(agent).get(ticket.get_absolute_url()).content.decode()
    refused = client_for(agent).post(
        reverse("service:ticket_return", args=[ticket.pk]), {"key": "x"}
    )

    assert 'id="announce-return"' not in page
    assert refused.status_code == 403


def test_the_same_form_again_announces_and_notes_once(agent, asking):
    line = asking.order.lines.get()
    for _ in range(2):
        services.ticket_return_announce(
            actor=agent, ticket=asking, lines={line.pk: 1}, reason="size",
            comment="", key="same",
        )  # fmt: skip

    assert asking.entries.filter(kind="note").count() == 1
