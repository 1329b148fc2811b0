"""Merging a customer's two tickets into one, and splitting a message off."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kundig.core.models import DomainEvent
from kundig.service import services
from kundig.service.models import Ticket
from kundig.service.tests.test_crisis import offer
from kundig.service.tests.test_pages import open_ticket
from kundig.service.tests.test_tickets import mail_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def twice(anna, late):
    """Anna wrote twice about the same parcel: two tickets."""
    again = open_ticket(anna, "Nochmal: wo ist mein Paket?", body="Immer noch nichts!")
    return late, again


def test_merging_moves_the_conversation_and_closes_the_other(agent, twice):
    late, again = twice

    into = services.ticket_merge(actor=agent, ticket=again, into=late)

    assert into == late
    again.refresh_from_db()
    assert (again.status, again.merged_into) == ("closed", late)
    bodies = list(late.entries.values_list("body", flat=True))
    assert "Immer noch nichts!" in bodies
    assert any("merged into this one" in b for b in bodies)
    assert again.entries.get().body == f"Merged into ticket {late.number}."
    assert DomainEvent.objects.filter(name="ticket.merged").count() == 1


def test_goodwill_moves_along(agent, anna, twice):
    late, again = twice
    again.category = "late_delivery"
    again.save()
    granted = offer(agent, again, "voucher", "5")

    services.ticket_merge(actor=agent, ticket=again, into=late)

    granted.refresh_from_db()
    assert granted.ticket == late


@pytest.mark.parametrize("case", ["itself", "another customer", "twice", "closed"])
def test_a_merge_that_cannot_be_is_refused(
    agent, sales_nord, make_contact, twice, case
):
    late, again = twice
    target = late
    if case == "itself":
        target = again
    elif case == "another customer":
        target = open_ticket(make_contact(sales_nord, first_name="Otto"), "Andere")
    elif case == "twice":
        services.ticket_merge(actor=agent, ticket=again, into=late)
    elif case == "closed":
        services.ticket_update(actor=agent, ticket=late, status="closed")

    with pytest.raises(ValidationError) as error:
        services.ticket_merge(actor=agent, ticket=again, into=target)

    assert "into" in error.value.message_dict


def test_mail_answering_a_merged_ticket_continues_the_other(agent, anna, mailbox, desk):
    first = mail_in(mailbox, "Paket?")
    source = Ticket.objects.get()
    target = open_ticket(anna, "Paket (Telefon)")
    services.ticket_merge(actor=agent, ticket=source, into=target)

    mail_in(mailbox, "Re: Paket?", In_Reply_To=first.message_id)

    assert Ticket.objects.count() == 2
    assert target.entries.filter(kind="customer").count() == 2


def test_the_merge_form_on_the_page(agent, twice, client_for):
    late, again = twice

    response = client_for(agent).post(
        reverse("service:ticket_merge", args=[again.pk]), {"into": late.number}
    )

    assert response.url == late.get_absolute_url()
    shown = client_for(agent).get(again.get_absolute_url()).content.decode()
    assert 'id="merged"' in shown


def test_splitting_a_message_off(agent, late, client_for):
    services.ticket_note(actor=agent, ticket=late, text="intern")
    other = late.entries.create(kind="customer", body="Und die Rechnung fehlt auch.")
    late.entries.create(kind="customer", body="Erste Frage")

    response = client_for(agent).post(
        reverse("service:ticket_split", args=[late.pk, other.pk])
    )

    new = Ticket.objects.exclude(pk=late.pk).get()
    assert response.url == new.get_absolute_url()
    assert list(new.entries.values_list("body", flat=True)) == [
        "Und die Rechnung fehlt auch."
    ]
    assert (new.contact, new.queue, new.assignee) == (late.contact, late.queue, agent)
    assert late.entries.filter(body__contains=new.number).exists()


def test_the_only_customer_message_is_not_split(agent, anna, desk):
    ticket = open_ticket(anna, "Frage", body="Nur eine Nachricht")

    with pytest.raises(ValidationError):
        services.ticket_split(actor=agent, ticket=ticket, entry=ticket.entries.get())
