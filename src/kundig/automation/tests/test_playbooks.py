"""Playbooks end to end: a shop event, a run, a message through a real SMTP server."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kundig.activity.models import Task
from kundig.automation import defaults, services
from kundig.automation.models import Playbook, Run, RunStep
from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.core import events
from kundig.messaging import rendering
from kundig.messaging import services as messaging
from kundig.messaging.models import Message

pytestmark = pytest.mark.django_db


def dispatch():
    """What the worker does after commit: events, then runs, then the outbox."""
    events.dispatch_pending()
    for run in Run.objects.filter(status="running"):
        services.run_advance(run.pk)
    return messaging.outbox_send_due()


def switch_on(key):
    playbook = Playbook.objects.get(key=key)
    playbook.is_active = True
    playbook.save()
    return playbook


def test_an_order_brings_the_confirmation_with_salutation_and_lines(mailbox, smtp):
    switch_on("order-confirmation")
    data = order("5001", placed_at=timezone.now())
    data.buyer.salutation = "frau"
    commerce.order_record(actor=None, source="shop-1", data=data)

    assert dispatch() == 1

    [mail] = smtp.messages
    assert mail["Subject"] == "Ihre Bestellung SW5001 ist bei uns eingegangen"
    assert mail["To"] == "Erika Mustermann <erika@example.de>"
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Sehr geehrte Frau Mustermann,")
    # the order lines' cells stay apart in the text part too
    [line] = [line for line in text.splitlines() if "T-Shirt" in line]
    assert re.fullmatch(r"\d+ ×  T-Shirt\S*( \S+)*  \d+,\d\d €", line), line
    html = mail.get_body(("html",)).get_content()
    assert "T-Shirt" in html and "59,90 €" in html
    assert 'style="' in html and "<style" not in html
    run = Run.objects.get()
    assert run.status == "done"
    assert list(run.log.values_list("outcome", flat=True)) == ["done"]


def test_a_shipment_sends_the_tracking_mail(mailbox, smtp):
    switch_on("shipping-notice")
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("5002", placed_at=timezone.now())
    ).order
    commerce.shipment_record(
        actor=None,
        source="shop-1",
        order=placed,
        data=commerce.ShipmentData(
            external_id="s-1",
            carrier="DHL",
            tracking_number="00340434",
            tracking_url="https://www.dhl.de/verfolgen?piececode=00340434",
        ),
    )

    assert dispatch() == 1

    [mail] = smtp.messages
    assert mail["Subject"] == "Ihre Bestellung SW5002 ist unterwegs"
    html = mail.get_body(("html",)).get_content()
    assert 'href="https://www.dhl.de/verfolgen?piececode=00340434"' in html
    assert "mit DHL unterwegs" in html


def test_a_redelivered_event_starts_no_second_run_and_sends_no_second_mail(
    mailbox, smtp
):
    switch_on("order-confirmation")
    commerce.order_record(actor=None, source="shop-1", data=order("5003"))
    event = events.DomainEvent.objects.get(name="order.placed")

    services.runs_start(event)
    dispatch()
    services.runs_start(event)  # the same event handled again
    dispatch()

    assert Run.objects.count() == 1
    assert Message.objects.count() == 1
    assert len(smtp.messages) == 1


def test_imported_history_starts_no_playbook(mailbox, smtp):
    switch_on("order-confirmation")
    with events.historical():
        commerce.order_record(actor=None, source="import", data=order("2024"))

    dispatch()

    assert events.DomainEvent.objects.get(name="order.placed").payload["historical"]
    assert not Run.objects.exists()
    assert not smtp.messages


def test_imported_history_does_not_wake_a_waiting_run(
    mailbox, smtp, admin, make_contact
):
    contact = make_contact(admin, email="w@example.de")
    services.playbook_save(
        actor=admin,
        name="Wait for an order",
        trigger="contact.created",
        is_active=True,
        steps_=[{"kind": "wait", "days": 14, "until_event": "order.placed"}],
    )
    services.runs_start(events.emit("contact.created", contact))
    run = Run.objects.get()
    services.run_advance(run.pk)

    with events.historical():
        services.runs_start(events.emit("order.placed", None, contact_id=contact.pk))

    run.refresh_from_db()
    assert run.status == "waiting" and run.woken_by == ""
    assert run.wake_at > timezone.now() + dt.timedelta(days=13)


def test_a_paused_playbook_starts_nothing(mailbox, smtp):
    commerce.order_record(actor=None, source="shop-1", data=order("5004"))
    dispatch()
    assert not Run.objects.exists()


def test_conditions_decide_who_enters(mailbox, smtp, admin):
    playbook = Playbook.objects.get(key="order-confirmation")
    services.playbook_save(
        actor=admin,
        playbook=playbook,
        name=playbook.name,
        trigger="order.placed",
        is_active=True,
        conditions_=[{"field": "country", "op": "in", "value": "AT, CH"}],
        steps_=playbook.version.steps,
    )
    commerce.order_record(actor=None, source="shop-1", data=order("5005"))

    dispatch()

    assert not Run.objects.exists()


def test_editing_makes_a_new_version_and_running_contacts_finish_on_theirs(
    mailbox, smtp, admin, make_contact
):
    contact = make_contact(admin, email="k@example.de")
    playbook = services.playbook_save(
        actor=admin,
        name="Welcome",
        trigger="contact.created",
        is_active=True,
        steps_=[
            {"kind": "wait", "days": 1},
            {"kind": "add_tag", "tag": "old"},
        ],
    )
    event = events.emit("contact.created", contact)
    services.runs_start(event)
    run = Run.objects.get()
    services.run_advance(run.pk)
    run.refresh_from_db()
    assert run.status == "waiting"

    services.playbook_save(
        actor=admin,
        playbook=playbook,
        name="Welcome",
        trigger="contact.created",
        steps_=[{"kind": "wait", "days": 1}, {"kind": "add_tag", "tag": "new"}],
    )
    Run.objects.update(wake_at=timezone.now())
    services.runs_wake_due()

    playbook.refresh_from_db()
    assert playbook.version.number == 2
    run.refresh_from_db()
    assert run.version.number == 1 and run.status == "done"
    assert [t.name for t in contact.tags.all()] == ["old"]


def test_reactivation_waits_for_an_order_then_gives_the_owner_a_task(
    mailbox, smtp, admin, make_contact, sales_nord
):
    contact = make_contact(sales_nord, email="quiet@example.de")
    playbook = services.playbook_save(
        actor=admin,
        name="Call back",
        trigger="contact.created",
        is_active=True,
        steps_=[
            {"kind": "wait", "days": 14, "until_event": "order.placed"},
            {
                "kind": "branch",
                "conditions": [
                    {"field": "waited_event_arrived", "op": "is", "value": False}
                ],
                "else_goto": 0,
            },
            {"kind": "create_task", "title": "Anrufen", "due_days": 2},
        ],
    )
    services.runs_start(events.emit("contact.created", contact))
    run = Run.objects.get(playbook=playbook)
    services.run_advance(run.pk)

    # Fourteen days pass without an order.
    Run.objects.update(wake_at=timezone.now() - dt.timedelta(seconds=1))
    services.runs_wake_due()

    run.refresh_from_db()
    assert run.status == "done"
    task = Task.objects.get()
    assert task.title == "Anrufen" and task.assignee == sales_nord
    assert task.contact_id == contact.pk
    assert list(run.log.order_by("index").values_list("outcome", flat=True)) == [
        "done",
        "done",
        "done",
    ]


def test_an_awaited_event_wakes_the_run_and_the_branch_stops_it(
    mailbox, smtp, admin, make_contact, sales_nord
):
    contact = make_contact(sales_nord, email="back@example.de")
    services.playbook_save(
        actor=admin,
        name="Call back",
        trigger="contact.created",
        is_active=True,
        steps_=[
            {"kind": "wait", "days": 14, "until_event": "order.placed"},
            {
                "kind": "branch",
                "conditions": [
                    {"field": "waited_event_arrived", "op": "is", "value": False}
                ],
                "else_goto": 0,
            },
            {"kind": "create_task", "title": "Anrufen", "due_days": 2},
        ],
    )
    services.runs_start(events.emit("contact.created", contact))
    run = Run.objects.get()
    services.run_advance(run.pk)

    services.runs_start(
        events.emit("order.placed", None, contact_id=contact.pk)
    )  # the customer ordered
    services.run_advance(run.pk)

    run.refresh_from_db()
    assert run.status == "done"
    assert not Task.objects.exists()
    assert run.log.get(index=0).detail == "The event order.placed arrived."


def test_a_step_that_cannot_send_is_logged_and_the_run_goes_on(
    mailbox, smtp, admin, make_contact
):
    contact = make_contact(admin)
    contact.emails.all().delete()
    services.playbook_save(
        actor=admin,
        name="Mail and tag",
        trigger="contact.created",
        is_active=True,
        steps_=[
            {"kind": "send_template", "template": "first-order-thanks"},
            {"kind": "add_tag", "tag": "welcomed"},
        ],
    )
    services.runs_start(events.emit("contact.created", contact))
    services.run_advance(Run.objects.get().pk)

    log = list(RunStep.objects.order_by("index"))
    assert [s.outcome for s in log] == ["failed", "done"]
    assert log[0].detail == "The contact has no email address."
    assert [t.name for t in contact.tags.all()] == ["welcomed"]


def test_a_dry_run_describes_and_changes_nothing(mailbox, smtp, admin):
    placed = commerce.order_record(actor=None, source="shop-1", data=order("5006"))
    playbook = Playbook.objects.get(key="order-confirmation")
    contact = placed.order.contact

    steps = services.playbook_dry_run(
        actor=admin, playbook=playbook, contact=contact, refs={"order": placed.order.pk}
    )

    assert [s.outcome for s in steps] == ["done"]
    assert (
        steps[0].detail == "Would send “Ihre Bestellung SW5006 ist bei uns eingegangen”"
    )
    assert not Message.objects.exists() and not Run.objects.exists()


def test_bad_steps_are_refused_naming_the_step(admin, mailbox):
    with pytest.raises(ValidationError) as caught:
        services.playbook_save(
            actor=admin,
            name="Broken",
            trigger="order.placed",
            steps_=[
                {"kind": "send_template", "template": "no-such-template"},
                {"kind": "wait", "days": 0, "hours": 0},
                {"kind": "branch", "conditions": [], "else_goto": 1},
            ],
        )
    assert caught.value.message_dict["steps"] == [
        "Step 1: choose a message template.",
        "Step 2: wait at least an hour.",
        "Step 3: add at least one condition.",
    ]
    assert not Playbook.objects.filter(name="Broken").exists()


def test_every_ready_made_playbook_is_valid_as_shipped(admin):
    from kundig.automation import steps

    for playbook in Playbook.objects.exclude(key=None):
        assert steps.clean(playbook.version.steps) == playbook.version.steps, (
            playbook.key
        )


@pytest.mark.parametrize("key", sorted(defaults.TEMPLATES))
def test_every_ready_made_template_passes_its_own_check(key):
    for language, (subject, html) in defaults.TEMPLATES[key][2].items():
        assert (
            rendering.check(subject=subject, html=html, text="", language=language)
            == {}
        )


def test_a_webhook_step_delivers_to_the_chosen_subscription_once(admin, make_contact):
    from kundig.integrations.outgoing.models import Delivery, Subscription

    hook = Subscription.objects.create(
        name="CRM-Brücke", url="https://hooks.example.com/k", event_types=["order.paid"]
    )
    contact = make_contact(admin, email="h@example.de")
    services.playbook_save(
        actor=admin,
        name="Tell the bridge",
        trigger="contact.created",
        is_active=True,
        steps_=[{"kind": "webhook", "subscription": hook.pk}],
    )
    event = events.emit("contact.created", contact)
    services.runs_start(event)
    services.runs_start(event)
    services.run_advance(Run.objects.get().pk)

    delivery = Delivery.objects.get()
    assert delivery.subscription == hook
    assert delivery.event.name == "playbook.webhook"
    assert delivery.event.payload["contact_id"] == contact.pk
    assert delivery.event.payload["step"] == 1
