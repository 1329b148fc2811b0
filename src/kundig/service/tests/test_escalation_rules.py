"""Escalation rules: a new ticket of a chosen category, from an angry or from a
valued customer goes to the queue's escalation owner at once, who is told."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kundig.contacts import services as contacts
from kundig.core.models import Notification
from kundig.service import services
from kundig.service.models import ServiceSettings
from kundig.service.tests.test_pages import open_ticket

pytestmark = pytest.mark.django_db


def rules(admin, **changes):
    services.service_settings_save(actor=admin, **changes)


def test_a_ticket_of_an_escalated_category_goes_to_the_owner(admin, anna, desk):
    rules(admin, escalate_categories=["revocation"])

    ticket = open_ticket(anna, "Widerruf abgelehnt?", category="revocation")

    assert (ticket.assignee, ticket.escalation_level) == (admin, 2)
    assert "the category calls for it" in ticket.entries.get(kind="note").body
    assert Notification.objects.filter(user=admin).exists()


def test_other_categories_stay(admin, anna, desk):
    rules(admin, escalate_categories=["revocation"])

    ticket = open_ticket(anna, "Frage", category="question")

    assert (ticket.assignee, ticket.escalation_level) == (None, 0)


def test_changing_to_an_escalated_category_escalates(admin, agent, anna, desk):
    rules(admin, escalate_categories=["complaint"])
    ticket = open_ticket(anna, "Frage", category="question")

    ticket = services.ticket_update(actor=agent, ticket=ticket, category="complaint")

    assert (ticket.assignee, ticket.escalation_level) == (admin, 2)


def test_an_angry_customer_goes_to_the_owner(admin, anna, desk):
    rules(admin, escalate_negative=True)

    angry = services.ticket_open(
        actor=None, contact=anna, subject="x", channel="social", sentiment="negative"
    )
    calm = services.ticket_open(
        actor=None, contact=anna, subject="y", channel="social", sentiment="neutral"
    )

    assert (angry.escalation_level, calm.escalation_level) == (2, 0)


def test_a_valued_customer_goes_to_the_owner(admin, anna, desk):
    contacts.contact_figures_set(
        contact_id=anna.pk, first_order_at=None, last_order_at=None, orders_count=9,
        revenue=Decimal("2500"), currency="EUR", orders_with_returns=0,
    )  # fmt: skip
    rules(admin, escalate_valued=True)

    assert open_ticket(anna, "Frage").escalation_level == 2


def test_without_an_escalation_owner_nothing_moves(admin, anna, desk):
    rules(admin, escalate_categories=["complaint"])
    desk.escalation_owner = None
    desk.save()

    ticket = open_ticket(anna, "Beschwerde", category="complaint")

    assert (ticket.assignee, ticket.escalation_level) == (None, 0)


def test_the_rules_are_set_on_the_queues_page(admin, client_for):
    response = client_for(admin).post(
        reverse("service:queue_list"),
        {"form": "escalation", "escalate_categories": ["complaint", "revocation"],
         "escalate_negative": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    current = ServiceSettings.current()
    assert current.escalate_categories == "complaint,revocation"
    assert (current.escalate_negative, current.escalate_valued) == (True, False)


def test_an_unknown_category_is_refused(admin):
    with pytest.raises(ValidationError) as error:
        rules(admin, escalate_categories=["gold"])

    assert "escalate_categories" in error.value.message_dict


def test_an_angry_message_on_any_channel_goes_to_the_owner(admin, anna, desk):
    rules(admin, escalate_negative=True)
    ticket = services.ticket_open(
        actor=None, contact=anna, subject="Frechheit", channel="email",
        body="Das ist eine Frechheit, nie wieder bestelle ich hier!",
    )  # fmt: skip

    assert (ticket.sentiment, ticket.escalation_level) == ("negative", 2)
