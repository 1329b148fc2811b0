"""Many runs at once: a mass event starts them in one go, a step is taken together.

A scan that finds 10,000 inactive customers emits 10,000 events; each
dispatch batch of them starts its runs in a fixed number of queries, and
the runs at the same send step render and queue their messages in one
``messages_queue`` call. Together must mean the same as one by one.
"""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kundig.automation import services
from kundig.automation.models import Playbook, Run, RunStep
from kundig.contacts.choices import LifecycleStage
from kundig.core import events
from kundig.core.models import DomainEvent
from kundig.messaging import services as messaging
from kundig.messaging.models import Message

pytestmark = pytest.mark.django_db

TEMPLATE_KEY = "quiet-customers"


@pytest.fixture
def template(admin, mailbox):
    return messaging.template_save(
        actor=admin,
        key=TEMPLATE_KEY,
        name="Lange nichts gehört",
        purpose="transactional",
        mailbox=mailbox,
        contents={
            "de": {
                "subject": "Wir vermissen Sie, {{ contact.first_name }}",
                "html": "<p>{{ salutation }},</p><p>schön, von Ihnen zu hören.</p>",
            },
            "en": {
                "subject": "We miss you, {{ contact.first_name }}",
                "html": "<p>{{ salutation }},</p><p>good to hear from you.</p>",
            },
        },
    )


def playbook(admin, *, steps, conditions=None, trigger="customer.inactive"):
    return services.playbook_save(
        actor=admin,
        name="Reaktivierung",
        trigger=trigger,
        is_active=True,
        conditions_=conditions or [],
        steps_=steps,
    )


def send(key=TEMPLATE_KEY):
    return {"kind": "send_template", "template": key}


@pytest.fixture
def quiet(admin, make_contact):
    """Contacts, and the customer.inactive events the daily scan would emit."""

    def make(count, **fields):
        contacts = [
            make_contact(admin, first_name=f"Kunde{n}", **fields) for n in range(count)
        ]
        for contact in contacts:
            events.emit("customer.inactive", contact)
        return contacts, list(DomainEvent.objects.filter(name="customer.inactive"))

    return make


def queries_of(func, *args) -> int:
    with CaptureQueriesContext(connection) as captured:
        func(*args)
    return len(captured)


def test_a_mass_event_starts_a_run_per_contact_in_the_same_queries_for_5_and_50(
    admin, template, quiet
):
    playbook(admin, steps=[send()])
    _contacts, few = quiet(5)
    few_queries = queries_of(services.runs_start_many, few)
    DomainEvent.objects.all().delete()
    _contacts, many = quiet(50)
    many = [event for event in many if event.pk not in {e.pk for e in few}]

    many_queries = queries_of(services.runs_start_many, many)

    assert Run.objects.count() == 55
    assert many_queries == few_queries


def test_dispatching_a_mass_event_costs_the_same_queries_for_5_and_50_events(
    admin, template, quiet
):
    playbook(admin, steps=[send()])
    quiet(5)
    few = queries_of(events.dispatch_pending)
    quiet(50)

    many = queries_of(events.dispatch_pending)

    assert DomainEvent.objects.filter(dispatched_at__isnull=True).count() == 0
    assert Run.objects.count() == 55
    assert many == few


def test_runs_at_a_send_step_queue_their_messages_in_the_same_queries_for_4_and_25(
    admin, template, quiet
):
    playbook(admin, steps=[send()])
    quiet(4)
    events.dispatch_pending()
    few = queries_of(
        services.runs_advance_many, list(Run.objects.values_list("pk", flat=True))
    )
    quiet(25)  # SQLite splits inserts of more rows (999 parameters)
    events.dispatch_pending()
    running = list(Run.objects.filter(status="running").values_list("pk", flat=True))

    many = queries_of(services.runs_advance_many, running)

    assert len(running) == 25
    assert Message.objects.count() == 29
    assert set(Run.objects.values_list("status", flat=True)) == {"done"}
    assert many == few


def test_together_each_run_gets_its_own_message_and_log_as_when_alone(
    admin, template, quiet
):
    playbook(
        admin,
        steps=[send(), {"kind": "wait", "days": 14, "until_event": "order.placed"}],
    )
    contacts, _events = quiet(6)
    contacts[1].language = "en"
    contacts[1].save(update_fields=["language"])
    events.dispatch_pending()
    runs = list(Run.objects.order_by("contact_id"))

    # three alone, three together
    for run in runs[:3]:
        services.run_advance(run.pk)
    services.runs_advance_many([run.pk for run in runs[3:]])

    for run, contact in zip(runs, contacts, strict=True):
        run.refresh_from_db()
        assert run.status == "waiting" and run.waiting_for == "order.placed"
        message = Message.objects.get(contact=contact)
        assert message.idempotency_key == (
            f"playbook:{run.playbook_id}:{run.cause}:{contact.pk}:0"
        )
        log = list(run.log.values_list("index", "kind", "outcome", "detail"))
        assert log[0] == (
            0,
            "send_template",
            "done",
            f"Queued “{message.subject}” to {message.to_email}",
        )
        assert log[1][:3] == (1, "wait", "waiting")
    subjects = dict(Message.objects.values_list("contact_id", "subject"))
    assert subjects[contacts[1].pk] == "We miss you, Kunde1"
    assert subjects[contacts[4].pk] == "Wir vermissen Sie, Kunde4"


def test_a_recipient_without_an_address_fails_only_its_own_step(admin, template, quiet):
    playbook(admin, steps=[send(), {"kind": "add_tag", "tag": "angeschrieben"}])
    contacts, _events = quiet(5)
    contacts[2].emails.all().delete()
    events.dispatch_pending()

    services.runs_advance_many(list(Run.objects.values_list("pk", flat=True)))

    failed = RunStep.objects.get(index=0, outcome="failed")
    assert failed.run.contact_id == contacts[2].pk
    assert "no email address" in failed.detail
    assert RunStep.objects.filter(index=0, outcome="done").count() == 4
    # every run went on to the next step, the failed one too
    assert RunStep.objects.filter(index=1, outcome="done").count() == 5
    assert Message.objects.count() == 4


def test_the_playbook_conditions_are_checked_for_each_contact_of_a_batch(
    admin, template, quiet, make_contact
):
    playbook(
        admin,
        steps=[send()],
        conditions=[{"field": "stage", "op": "in", "value": ["customer"]}],
    )
    contacts, _events = quiet(6)
    for contact in contacts[::2]:
        contact.lifecycle_stage = LifecycleStage.CUSTOMER
        contact.save(update_fields=["lifecycle_stage"])

    events.dispatch_pending()

    assert set(Run.objects.values_list("contact_id", flat=True)) == {
        contact.pk for contact in contacts[::2]
    }


def test_a_redelivered_batch_starts_nothing_new_and_sends_nothing_twice(
    admin, template, quiet
):
    playbook(admin, steps=[send()])
    _contacts, batch = quiet(8)

    services.runs_start_many(batch)
    services.runs_advance_many(list(Run.objects.values_list("pk", flat=True)))
    services.runs_start_many(batch)  # the same events once more
    services.runs_advance_many(list(Run.objects.values_list("pk", flat=True)))

    assert Run.objects.count() == 8
    assert Message.objects.count() == 8
    assert RunStep.objects.count() == 8


def test_runs_waiting_for_an_event_wake_together(admin, template, quiet):
    playbook(
        admin,
        steps=[{"kind": "wait", "days": 30, "until_event": "order.placed"}, send()],
    )
    contacts, _events = quiet(4)
    events.dispatch_pending()
    services.runs_advance_many(list(Run.objects.values_list("pk", flat=True)))

    for contact in contacts[:3]:
        events.emit("order.placed", None, contact_id=contact.pk)
    events.dispatch_pending()
    services.runs_advance_many(list(Run.objects.values_list("pk", flat=True)))

    assert Run.objects.filter(status="done").count() == 3
    assert Run.objects.filter(status="waiting").count() == 1
    assert set(
        RunStep.objects.filter(index=0, outcome="done").values_list("detail", flat=True)
    ) == {"The event order.placed arrived."}
    assert Message.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_saving_the_playbook_does_not_hold_up_its_runs(admin, template, quiet):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: a writer waits for the whole database")
    book = playbook(admin, steps=[send()])
    quiet(3)
    events.dispatch_pending()
    holding, release = threading.Event(), threading.Event()

    def edit_the_playbook():
        # someone saving the playbook holds its row until they commit
        try:
            with transaction.atomic():
                Playbook.objects.select_for_update().get(pk=book.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    editor = threading.Thread(target=edit_the_playbook)
    editor.start()
    try:
        assert holding.wait(10)
        taken = services.runs_advance_many(
            list(Run.objects.values_list("pk", flat=True))
        )
    finally:
        release.set()
        editor.join()

    assert taken == 3
    assert Message.objects.count() == 3


def test_a_group_that_fails_is_tried_again_later_and_the_others_go_on(
    admin, template, quiet, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    playbook(admin, steps=[send()])
    quiet(6)
    events.dispatch_pending()
    first, second = (
        list(Run.objects.order_by("pk").values_list("pk", flat=True))[:3],
        list(Run.objects.order_by("pk").values_list("pk", flat=True))[3:],
    )
    real = services._step_together
    calls = []

    def once_broken(runs):
        calls.append([run.pk for run in runs])
        if len(calls) == 1:
            raise DatabaseError("the server closed the connection")
        return real(runs)

    monkeypatch.setattr(services, "_step_together", once_broken)
    monkeypatch.setattr(services, "ADVANCE_BATCH", 3)
    before = DBTaskResult.objects.filter(
        task_path__endswith="runs_advance_task"
    ).count()

    with django_capture_on_commit_callbacks(execute=True):
        services.runs_advance_many(first + second)

    # the first group wrote nothing and waits for its retry; the second is done
    assert set(Run.objects.filter(pk__in=first).values_list("status", flat=True)) == {
        "running"
    }
    assert set(Run.objects.filter(pk__in=second).values_list("status", flat=True)) == {
        "done"
    }
    assert Message.objects.count() == 3
    [retry] = DBTaskResult.objects.filter(task_path__endswith="runs_advance_task")[
        before:
    ]
    assert retry.args_kwargs["args"] == [first]
    assert retry.run_after is not None


@pytest.mark.django_db(transaction=True)
def test_an_event_for_a_contact_deleted_since_starts_nothing(admin, template, quiet):
    playbook(admin, steps=[send()])
    contacts, _events = quiet(3)
    contacts[1].delete()

    events.dispatch_pending()

    assert not DomainEvent.objects.filter(dispatched_at__isnull=True).exists()

    assert set(Run.objects.values_list("contact_id", flat=True)) == {
        contacts[0].pk,
        contacts[2].pk,
    }
