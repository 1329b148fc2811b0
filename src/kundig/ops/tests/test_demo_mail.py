"""The demo's mail: its mailbox sends to the catcher and the playbooks are on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kundig.automation import services as automation
from kundig.automation.defaults import PLAYBOOKS
from kundig.automation.models import Playbook, Run
from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.core import events
from kundig.core.models import AuditEntry, DomainEvent
from kundig.messaging import services as messaging
from kundig.messaging.models import InboundMessage, Mailbox, Message
from kundig.ops import caught_mail
from kundig.ops.demo_mail import demo_mail_setup
from kundig.ops.mailcatcher import catching, free_port
from kundig.service import services as service

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(Mailbox.objects.values()),
        sorted(Playbook.objects.values_list("key", "is_active", "updated_at")),
        AuditEntry.objects.count(),
    )


def test_it_creates_the_demo_mailbox_and_switches_the_playbooks_on():
    assert not Playbook.objects.filter(key__in=PLAYBOOKS, is_active=True).exists()

    result = demo_mail_setup(host="127.0.0.1", port=2525)

    mailbox = Mailbox.objects.get()
    assert result.created and result.mailbox == mailbox
    assert str(mailbox) == "Kundig Demo <service@kundig.demo>"
    assert (mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security) == (
        "127.0.0.1",
        2525,
        "none",
    )
    assert mailbox.is_default and mailbox.is_active and not mailbox.smtp_username
    assert messaging.mailbox_default() == mailbox
    assert sorted(result.activated) == sorted(PLAYBOOKS)
    assert set(
        Playbook.objects.filter(key__in=PLAYBOOKS).values_list("is_active", flat=True)
    ) == {True}
    # through the services: each change is on the audit log
    assert AuditEntry.objects.filter(object_type="automation.playbook").count() == len(
        PLAYBOOKS
    )


def test_running_it_again_changes_nothing():
    demo_mail_setup(host="127.0.0.1", port=2525)
    before = _snapshot()

    again = demo_mail_setup(host="127.0.0.1", port=2525)

    assert not again.created and again.activated == []
    assert _snapshot() == before


def test_a_new_port_moves_the_mailbox_and_a_paused_playbook_stays_paused():
    demo_mail_setup(host="127.0.0.1", port=2525)
    paused = Playbook.objects.get(key="reactivation")
    automation.playbook_set_active(actor=None, playbook=paused, active=False)

    demo_mail_setup(host="127.0.0.1", port=2626)

    assert Mailbox.objects.get().smtp_port == 2626
    assert Mailbox.objects.count() == 1
    paused.refresh_from_db()
    assert not paused.is_active


def _worker_round():
    """What the demo's worker does after commit: events, runs, the outbox."""
    events.dispatch_pending()
    for run in Run.objects.filter(status="running"):
        automation.run_advance(run.pk)
    return messaging.outbox_send_due()


def test_an_order_in_the_demo_brings_its_confirmation_to_the_caught_mail_page(
    settings, tmp_path, admin, client_for
):
    # given the demo's mail set up against a running catcher
    directory = tmp_path / "mail"
    settings.KUNDIG_MAIL_CATCHER_DIR = directory
    port = free_port()
    demo_mail_setup(host="127.0.0.1", port=port)
    with catching(directory, port=port):
        # when an order comes in and the worker does its round
        data = order("7001", placed_at=timezone.now())
        data.buyer.salutation = "frau"
        commerce.order_record(actor=None, source="demo-shopware", data=data)
        sent = _worker_round()
    assert sent == 1
    assert Message.objects.get().status == "sent"

    # then the confirmation is on the caught-mail page, with salutation and lines
    client = client_for(admin)
    listing = client.get(reverse("ops:caught_mail_list")).content.decode()
    assert "Ihre Bestellung SW7001 ist bei uns eingegangen" in listing
    [entry] = caught_mail.caught_entries(directory)
    mail = caught_mail.caught_mail(directory, entry.key)
    assert mail.to == "Erika Mustermann <erika@example.de>"
    assert mail.sender == "Kundig Demo <service@kundig.demo>"
    assert mail.text.startswith("Sehr geehrte Frau Mustermann,")
    assert mail.date is not None  # Django writes "-0000": UTC, zone unknown
    assert "T-Shirt" in mail.html and "59,90 €" in mail.html
    page = client.get(reverse("ops:caught_mail_detail", args=[entry.key]))
    assert "Sehr geehrte Frau Mustermann," in page.content.decode()
    frame = client.get(reverse("ops:caught_mail_html", args=[entry.key]))
    assert "T-Shirt" in frame.content.decode()

    # and when the admin replies as the customer, Kundig files the reply for the
    # demo mailbox, threaded to the confirmation and on the customer's contact
    response = client.post(
        reverse("ops:caught_mail_reply", args=[entry.key]),
        {"text": "Können Sie die Socken in Größe 42 schicken?"},
    )
    reply = InboundMessage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reply.get_absolute_url()
    assert reply.mailbox.email == "service@kundig.demo"
    assert reply.from_email == "erika@example.de"
    assert reply.subject == "Re: Ihre Bestellung SW7001 ist bei uns eingegangen"
    assert reply.reply_to_message == Message.objects.get()
    assert reply.contact_id == Message.objects.get().contact_id
    assert reply.text.startswith("Können Sie die Socken in Größe 42 schicken?")


def test_some_demo_customers_have_newsletter_consent_the_quietest_first():
    from kundig.privacy.models import Consent

    quiet = commerce.order_record(
        actor=None,
        source="shop-1",
        data=order("q-1", placed_at=timezone.now() - dt.timedelta(days=400)),
    ).order.contact_id

    demo_mail_setup(host="127.0.0.1", port=2525)
    demo_mail_setup(host="127.0.0.1", port=2525)  # a second start adds nothing

    consent = Consent.objects.get(purpose="newsletter")
    assert (consent.contact_id, consent.purpose, consent.status) == (
        quiet,
        "newsletter",
        "granted",
    )
    assert consent.record.note == "Demo data: signed sign-up form"


def test_the_first_start_gives_the_service_desk_some_customer_requests(
    make_contact, admin, client
):
    from kundig.core.models import User
    from kundig.service.models import Ticket

    User.objects.create_user(
        email="selma.oezdemir@kundig.demo", password="x", role="service",
        first_name="Selma", last_name="Özdemir",
    )  # fmt: skip
    for n in range(4):  # four customers who ordered
        buyer = commerce.BuyerData(
            customer_ref=f"c-{n}", email=f"kunde{n}@example.de", first_name="Kim",
            last_name=f"Kunde{n}", street="Hauptstr. 1", postcode="10115",
            city="Berlin",
        )  # fmt: skip
        commerce.order_record(
            actor=None,
            source="shop-1",
            data=order(
                str(8000 + n),
                buyer=buyer,
                placed_at=timezone.now() - dt.timedelta(days=n + 1),
            ),
        )

    katrin = User.objects.create_user(
        email="katrin.vogel@kundig.demo", password="x", role="service",
        first_name="Katrin", last_name="Vogel",
    )  # fmt: skip
    # an older buyer whose parcel is late (as in the demo: no ticket of its own)
    buyer = commerce.BuyerData(
        customer_ref="c-late", email="spaet@example.de", first_name="Lotte",
        last_name="Spät", street="Hauptstr. 2", postcode="10115", city="Berlin",
    )  # fmt: skip
    late = commerce.order_record(
        actor=None, source="shop-1",
        data=order("8100", buyer=buyer,
                   placed_at=timezone.now() - dt.timedelta(days=20)),
    ).order  # fmt: skip
    commerce.shipment_record(
        actor=None, source="shop-1", order=late,
        data=commerce.ShipmentData(
            external_id="s-8100", carrier="DHL",
            promised_for=timezone.localdate() - dt.timedelta(days=5),
        ),
    )  # fmt: skip
    # the latest buyer waits for a parcel too: no other demo mail comes from them
    buyer = commerce.BuyerData(
        customer_ref="c-waits", email="wartet@example.de", first_name="Wim",
        last_name="Wartet", street="Hauptstr. 3", postcode="10115", city="Berlin",
    )  # fmt: skip
    waits = commerce.order_record(
        actor=None, source="shop-1",
        data=order("8200", buyer=buyer,
                   placed_at=timezone.now() - dt.timedelta(hours=6)),
    ).order  # fmt: skip
    commerce.shipment_record(
        actor=None, source="shop-1", order=waits,
        data=commerce.ShipmentData(
            external_id="s-8200", carrier="DHL",
            promised_for=timezone.localdate() - dt.timedelta(days=8),
        ),
    )  # fmt: skip
    commerce.shipments_flag_late()
    DomainEvent.objects.update(dispatched_at=timezone.now())

    result = demo_mail_setup(host="127.0.0.1", port=2525)
    events.dispatch_pending()
    demo_mail_setup(host="127.0.0.1", port=2525)  # a later start
    events.dispatch_pending()

    assert result.tickets == 4
    assert Ticket.objects.filter(channel="email").count() == 3
    call = Ticket.objects.get(channel="phone")
    assert call.assignee.email == "selma.oezdemir@kundig.demo"
    assert InboundMessage.objects.count() == 3
    where = Ticket.objects.get(subject="Wo bleibt meine Bestellung?")
    assert (where.contact, where.order, where.category) == (
        late.contact, late, "late_delivery",
    )  # fmt: skip
    assert (where.queue.team_lead, where.queue.escalation_owner) == (katrin, admin)
    assert not Ticket.objects.filter(contact=waits.contact).exists()
    # a post to the demo's social intake naming a product opens a ticket
    response = client.post(
        "/hooks/social/demo/",
        '{"id": "1", "text": "Mein T-Shirt ist nach einer Woche kaputt"}',
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer kundig-demo-social-key",
    )
    events.dispatch_pending()
    assert response.status_code == 202
    assert Ticket.objects.get(channel="social").sentiment == "negative"
    # the help pages answer by meaning
    answers = client.get(
        "/help/",
        {"lang": "de", "q": "Die Schuhe sind zu klein, kann ich sie zurückgeben?"},
    ).context["found"]
    assert {a.title for a in answers[:2]} == {
        "Welche Größe passt bei Wanderschuhen?",
        "Wie schicke ich etwas zurück?",
    }
    # solving it asks the customer for a rating (they agreed to surveys)
    service.ticket_update(actor=admin, ticket=where, status="solved")
    events.dispatch_pending()
    assert where.surveys.get().message.purpose == "surveys"
