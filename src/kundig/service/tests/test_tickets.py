"""Tickets: opened from mail, a call or a shop event; answered, noted, solved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.core import events
from kundig.core.models import AuditEntry, DomainEvent, Notification
from kundig.messaging import inbound
from kundig.messaging import services as messaging
from kundig.messaging.models import Message
from kundig.messaging.tests.test_inbound_pages import raw_mail
from kundig.service import selectors, services
from kundig.service.models import Queue, ServiceSettings, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(make_contact, sales_nord):
    return make_contact(
        sales_nord, first_name="Anna", last_name="Weber", salutation="frau",
        email="anna@example.de",
    )  # fmt: skip


def mail_in(mailbox, subject="Wo bleibt mein Paket?", **headers):
    """A customer's mail arrives and the worker hands it on."""
    filed = inbound.inbound_file(mailbox=mailbox, raw=raw_mail(subject, **headers))
    events.dispatch_pending()
    return filed.message


# --- opening --------------------------------------------------------------------------


def test_an_agent_logs_a_call_as_a_ticket_of_their_own(service_agent, anna):
    ticket = services.ticket_open(
        actor=service_agent, contact=anna, subject="Rückruf: Rechnung doppelt",
        channel="phone", body="Kundin sagt, die Rechnung kam zweimal.",
        category="complaint",
    )  # fmt: skip

    assert ticket.assignee == service_agent  # who took the call answers it
    assert ticket.queue == Queue.objects.get(is_default=True)
    assert (ticket.status, ticket.channel, ticket.priority) == (
        "new",
        "phone",
        "normal",
    )
    [entry] = ticket.entries.all()
    assert (entry.kind, entry.author) == ("customer", service_agent)
    assert entry.body == "Kundin sagt, die Rechnung kam zweimal."
    timeline = TimelineEntry.objects.get(source_type="service.ticket")
    assert timeline.contact_id == anna.pk and timeline.kind == "ticket"
    assert timeline.summary == f"Ticket #{ticket.pk} opened: Rückruf: Rechnung doppelt"
    assert DomainEvent.objects.filter(name="ticket.opened").count() == 1
    assert AuditEntry.objects.filter(object_id=str(ticket.pk)).exists()


def test_the_same_source_opens_one_ticket(service_agent, anna):
    first = services.ticket_open(
        actor=None, contact=anna, subject="A", channel="web", source="form:1"
    )
    again = services.ticket_open(
        actor=None, contact=anna, subject="A", channel="web", source="form:1"
    )

    assert again.pk == first.pk
    assert Ticket.objects.count() == 1


def test_bad_input_is_refused_naming_the_fields(service_agent, anna, make_contact):
    someone = make_contact(service_agent, email="b@example.de")
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("9001", placed_at=timezone.now())
    ).order

    with pytest.raises(ValidationError) as refused:
        services.ticket_open(
            actor=service_agent, contact=someone, subject="  ", channel="fax",
            category="?", order=placed,
        )  # fmt: skip

    assert set(refused.value.message_dict) == {
        "subject",
        "channel",
        "category",
        "order",
    }
    assert not Ticket.objects.exists()


def test_only_the_service_desk_opens_tickets_for_customers_it_sees(
    anna, read_only_nord, sales_sued
):
    with pytest.raises(PermissionDenied):
        services.ticket_open(
            actor=read_only_nord, contact=anna, subject="x", channel="phone"
        )
    with pytest.raises(PermissionDenied):  # not his team's customer
        services.ticket_open(
            actor=sales_sued, contact=anna, subject="x", channel="phone"
        )


def test_a_ticket_is_seen_by_who_sees_the_customer_and_by_its_assignee(
    anna, sales_nord, sales_sued, service_agent
):
    ticket = services.ticket_open(
        actor=None, contact=anna, subject="x", channel="web", source="form:2"
    )

    assert ticket in selectors.tickets_visible_to(sales_nord)
    assert ticket in selectors.tickets_visible_to(service_agent)
    assert ticket not in selectors.tickets_visible_to(sales_sued)
    services.ticket_update(actor=service_agent, ticket=ticket, assignee=sales_sued)
    assert ticket in selectors.tickets_visible_to(sales_sued)


# --- mail -----------------------------------------------------------------------------


def test_a_customers_mail_opens_a_ticket_once(mailbox, anna):
    mail = mail_in(mailbox)
    events.dispatch_pending()
    DomainEvent.objects.filter(name="message.received").update(dispatched_at=None)
    events.dispatch_pending()  # handled again

    ticket = Ticket.objects.get()
    assert (ticket.contact, ticket.channel, ticket.mailbox) == (anna, "email", mailbox)
    assert ticket.subject == "Wo bleibt mein Paket?"
    [entry] = ticket.entries.all()
    assert entry.inbound == mail and entry.kind == "customer"
    assert "Wo bleibt meine Bestellung?" in entry.body


def test_mail_to_a_queues_mailbox_lands_in_that_queue(mailbox, anna):
    returns = Queue.objects.create(name="Retouren", mailbox=mailbox)

    mail_in(mailbox)

    assert Ticket.objects.get().queue == returns


def test_a_reply_goes_out_threaded_and_the_answer_continues_the_ticket(
    mailbox, smtp, anna, service_agent
):
    first = mail_in(mailbox)
    ticket = Ticket.objects.get()
    key = services.new_form_key()

    services.ticket_reply(
        actor=service_agent, ticket=ticket, text="Ihr Paket kommt morgen.", key=key
    )
    services.ticket_reply(  # the same form sent twice
        actor=service_agent, ticket=ticket, text="Ihr Paket kommt morgen.", key=key
    )
    assert messaging.outbox_send_due() == 1

    [sent] = smtp.messages
    assert sent["To"] == "Anna Weber <anna@example.de>"
    assert sent["In-Reply-To"] == first.message_id
    assert sent["Subject"] == f"Re: Wo bleibt mein Paket? [#{ticket.pk}]"
    ticket.refresh_from_db()
    assert ticket.status == "waiting_customer"
    assert ticket.first_response_at is not None
    assert ticket.entries.filter(kind="reply").count() == 1

    # when Anna answers our reply
    answer = mail_in(mailbox, subject=sent["Subject"], In_Reply_To=sent["Message-ID"])

    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status == "open"
    assert ticket.entries.last().inbound == answer


def test_an_answer_to_a_solved_ticket_reopens_it(mailbox, anna, service_agent):
    first = mail_in(mailbox)
    ticket = Ticket.objects.get()
    services.ticket_update(actor=service_agent, ticket=ticket, status="solved")

    mail_in(mailbox, subject="Re: Wo bleibt mein Paket?", In_Reply_To=first.message_id)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened, ticket.solved_at) == ("open", 1, None)


def test_an_answer_to_a_closed_ticket_opens_a_new_one(mailbox, anna, service_agent):
    first = mail_in(mailbox)
    old = Ticket.objects.get()
    services.ticket_update(actor=service_agent, ticket=old, status="closed")

    mail_in(mailbox, subject="Re: Wo bleibt mein Paket?", In_Reply_To=first.message_id)

    assert Ticket.objects.count() == 2
    new = Ticket.objects.exclude(pk=old.pk).get()
    assert new.status == "new"


def test_a_reply_to_a_customer_without_an_address_is_refused(
    service_agent, make_contact
):
    nobody = make_contact(service_agent, email=None)
    nobody.emails.all().delete()
    ticket = services.ticket_open(
        actor=service_agent, contact=nobody, subject="Anruf", channel="phone"
    )

    with pytest.raises(ValidationError, match="no email address"):
        services.ticket_reply(
            actor=service_agent,
            ticket=ticket,
            text="Hallo",
            key=services.new_form_key(),
        )
    assert not Message.objects.exists()


def test_a_note_stays_inside(mailbox, anna, service_agent):
    mail_in(mailbox)
    ticket = Ticket.objects.get()

    note = services.ticket_note(
        actor=service_agent, ticket=ticket, text="Lager fragen, ob es raus ist."
    )

    assert note.kind == "note" and note.message is None
    assert not Message.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.ticket_note(actor=service_agent, ticket=ticket, text="  ")
    assert "text" in refused.value.message_dict


# --- changing -------------------------------------------------------------------------


def test_solving_records_when_and_tells_the_timeline(mailbox, anna, service_agent):
    mail_in(mailbox)
    ticket = Ticket.objects.get()

    services.ticket_update(actor=service_agent, ticket=ticket, status="solved")

    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.solved_at is not None
    assert DomainEvent.objects.filter(name="ticket.solved").count() == 1
    assert TimelineEntry.objects.filter(
        source_type="service.ticket", source_id=f"{ticket.pk}:solved:0"
    ).exists()


def test_assigning_tells_the_new_assignee(mailbox, anna, service_agent, sales_nord):
    mail_in(mailbox)
    ticket = Ticket.objects.get()

    services.ticket_update(actor=service_agent, ticket=ticket, assignee=sales_nord)

    note = Notification.objects.get(user=sales_nord)
    assert f"#{ticket.pk}" in note.title and note.url == ticket.get_absolute_url()
    assert DomainEvent.objects.filter(name="ticket.assigned").count() == 1


def test_a_bad_status_is_refused(mailbox, anna, service_agent):
    mail_in(mailbox)
    ticket = Ticket.objects.get()

    with pytest.raises(ValidationError) as refused:
        services.ticket_update(actor=service_agent, ticket=ticket, status="lost")

    assert "status" in refused.value.message_dict


# --- shop events ----------------------------------------------------------------------


def late_parcel(ext="7001"):
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order(ext, placed_at=timezone.now())
    ).order
    shipment = commerce.shipment_record(
        actor=None,
        source="shop-1",
        order=placed,
        data=commerce.ShipmentData(
            external_id=f"s-{ext}", carrier="DHL", tracking_number="00340434",
            promised_for=timezone.localdate() - dt.timedelta(days=3),
        ),
    )  # fmt: skip
    commerce.shipments_flag_late()
    return placed, shipment


def test_a_late_parcel_opens_a_ticket_about_its_order():
    placed, _shipment = late_parcel()
    events.dispatch_pending()

    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.priority, ticket.channel) == (
        "late_delivery", "high", "shop",
    )  # fmt: skip
    assert ticket.order == placed and ticket.shipment is not None
    assert ticket.contact_id == placed.contact_id
    assert "DHL 00340434" in ticket.entries.get().body


def test_a_late_parcel_of_an_order_with_an_open_ticket_becomes_a_note(
    mailbox, service_agent
):
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("7002", placed_at=timezone.now())
    ).order
    asked = services.ticket_open(
        actor=service_agent, contact=placed.contact, subject="Wo ist es?",
        channel="phone", order=placed,
    )  # fmt: skip
    shipment = commerce.shipment_record(
        actor=None, source="shop-1", order=placed,
        data=commerce.ShipmentData(
            external_id="s-7002", carrier="DHL",
            promised_for=timezone.localdate() - dt.timedelta(days=2),
        ),
    )  # fmt: skip
    assert shipment
    commerce.shipments_flag_late()
    events.dispatch_pending()

    assert Ticket.objects.get() == asked
    assert asked.entries.filter(kind="note", body__contains="7002").exists()


def test_a_mail_from_a_customer_whose_parcel_is_late_is_about_that_parcel(mailbox):
    ServiceSettings.objects.create(pk=1, open_on_late_shipment=False)
    placed, shipment = late_parcel("7003")
    events.dispatch_pending()

    mail_in(mailbox, From="Erika Mustermann <erika@example.de>")

    ticket = Ticket.objects.get()
    assert (ticket.order, ticket.shipment) == (placed, shipment)
    assert ticket.category == "late_delivery"


def test_a_mail_from_a_customer_without_a_late_parcel_is_a_question(mailbox):
    placed, _shipment = late_parcel("7004")
    commerce.shipment_record(
        actor=None, source="shop-1", order=placed,
        data=commerce.ShipmentData(
            external_id="s-7004", carrier="DHL", delivered_at=timezone.now(),
        ),
    )  # fmt: skip
    events.dispatch_pending()
    ServiceSettings.objects.update_or_create(
        pk=1, defaults={"open_on_late_shipment": False}
    )

    mail_in(mailbox, From="Erika Mustermann <erika@example.de>")

    ticket = Ticket.objects.get(channel="email")
    assert (ticket.order, ticket.category) == (None, "question")


def test_late_parcels_open_nothing_when_switched_off():
    ServiceSettings.objects.create(pk=1, open_on_late_shipment=False)
    late_parcel()
    events.dispatch_pending()

    assert not Ticket.objects.exists()


def test_an_item_that_cannot_be_delivered_opens_a_ticket():
    lines = [commerce.LineData(sku="X", name="Lamp", unit_price="10", unavailable=True)]
    commerce.order_record(
        actor=None, source="shop-1",
        data=order("7003", placed_at=timezone.now(), lines=lines),
    )  # fmt: skip
    events.dispatch_pending()

    ticket = Ticket.objects.get()
    assert ticket.category == "out_of_stock"
    assert ticket.subject.startswith("Order SW7003:")


def test_imported_history_opens_no_tickets():
    with events.historical():
        late_parcel()
    events.dispatch_pending()

    assert not Ticket.objects.exists()


def test_a_ticket_of_a_deactivated_assignee_can_still_be_solved(
    mailbox, anna, service_agent, sales_nord, manager_nord
):
    mail_in(mailbox)
    ticket = Ticket.objects.get()
    services.ticket_update(actor=service_agent, ticket=ticket, assignee=sales_nord)
    sales_nord.is_active = False
    sales_nord.save()

    services.ticket_update(actor=service_agent, ticket=ticket, status="solved")

    ticket.refresh_from_db()
    assert ticket.status == "solved"
    manager_nord.is_active = False
    manager_nord.save()
    with pytest.raises(ValidationError, match="active user"):
        services.ticket_update(
            actor=service_agent, ticket=ticket, assignee=manager_nord
        )


def test_a_rejected_revocation_opens_a_dispute_ticket_once():
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("7101", placed_at=timezone.now())
    ).order
    data = commerce.RevocationData(external_id="w-1", received_on=timezone.localdate())
    commerce.revocation_record(actor=None, source="shop-1", order=placed, data=data)
    events.dispatch_pending()
    assert not Ticket.objects.exists()  # a revocation alone is no dispute

    data.status = "rejected"
    for _ in range(2):  # the shop sends it twice
        commerce.revocation_record(actor=None, source="shop-1", order=placed, data=data)
    events.dispatch_pending()

    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.order) == ("revocation", placed)
    assert "rejected" in ticket.subject


def test_rejected_revocations_open_nothing_when_switched_off():
    ServiceSettings.objects.create(pk=1, open_on_revocation_rejected=False)
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("7102", placed_at=timezone.now())
    ).order
    commerce.revocation_record(
        actor=None, source="shop-1", order=placed,
        data=commerce.RevocationData(
            external_id="w-2", received_on=timezone.localdate(), status="rejected"
        ),
    )  # fmt: skip
    events.dispatch_pending()

    assert DomainEvent.objects.filter(name="revocation.rejected").count() == 1
    assert not Ticket.objects.exists()
