"""Sending a delivery to a real local receiver: payload, signature, retries."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kundig.integrations.outgoing import net, services
from kundig.integrations.outgoing.models import Delivery

from .conftest import deliver, expected_signature

pytestmark = pytest.mark.django_db


def make_due(delivery: Delivery, *, ago: timedelta = timedelta(minutes=2)) -> None:
    """Move the delivery's next attempt into the past, as if time had passed."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - ago)


def test_it_posts_the_event_as_signed_json(receiver, make_subscription, make_event):
    subscription = make_subscription(receiver.url("/hook?from=kundig"))
    event = make_event(from_stage="lead", to_stage="customer")
    delivery = deliver(subscription, event)

    status = services.delivery_send(delivery.pk)

    assert status == "succeeded"
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hook?from=kundig"
    assert json.loads(request.body) == {
        "id": event.pk,
        "event": "contact.stage_changed",
        "occurred_at": event.occurred_at.isoformat(),
        "subject": {"type": "contacts.contact", "id": event.subject_id},
        "data": {"from_stage": "lead", "to_stage": "customer"},
    }
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Kundig-Webhooks/1"
    assert headers["x-kundig-event"] == "contact.stage_changed"
    assert headers["x-kundig-delivery"] == str(delivery.pk)
    assert abs(int(headers["x-kundig-timestamp"]) - time.time()) < 60
    assert headers["x-kundig-signature"] == expected_signature(
        subscription.secret, headers["x-kundig-timestamp"], request.body
    )
    assert headers["host"] == f"127.0.0.1:{receiver.port}"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    assert delivery.next_attempt_at is None
    assert delivery.sent_at is not None


def test_a_signature_made_with_another_secret_does_not_match(
    receiver, make_subscription, make_event
):
    subscription = make_subscription(receiver.url())
    services.delivery_send(deliver(subscription, make_event()).pk)

    [request] = receiver.requests
    assert request.headers["x-kundig-signature"] != expected_signature(
        "another-secret-0123456789", request.headers["x-kundig-timestamp"], request.body
    )


def test_a_failed_attempt_is_retried_with_backoff_then_succeeds(
    receiver, make_subscription, make_event
):
    receiver.answer(500)
    subscription = make_subscription(receiver.url())
    delivery = deliver(subscription, make_event())

    before = timezone.now()
    assert services.delivery_send(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500 Internal Server Error: not today"
    # 1 minute, plus up to 10 % jitter
    pause = delivery.next_attempt_at - before
    assert timedelta(seconds=59) < pause < timedelta(seconds=67)
    # not due yet: nothing happens
    assert services.delivery_send(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1

    make_due(delivery)
    assert services.delivery_send(delivery.pk) == "succeeded"

    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    first, second = receiver.requests
    # The same delivery ID on every attempt: receivers drop a repeat by it.
    assert first.headers["x-kundig-delivery"] == second.headers["x-kundig-delivery"]
    assert first.body == second.body


def test_it_gives_up_after_ten_attempts_with_growing_pauses(
    receiver, make_subscription, make_event
):
    receiver.answer(*[503] * 20)
    delivery = deliver(make_subscription(receiver.url()), make_event())
    pauses = []

    for _attempt in range(10):
        started = timezone.now()
        services.delivery_send(delivery.pk)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            pauses.append((delivery.next_attempt_at - started).total_seconds() / 60)
            make_due(delivery)

    assert delivery.status == "gave_up"
    assert delivery.attempts == 10
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code == 503
    assert len(receiver.requests) == 10
    assert len(pauses) == 9
    for n, pause in enumerate(pauses):
        assert 2**n - 0.1 < pause <= 2**n * 1.1 + 0.1
    assert services.delivery_send(delivery.pk) == "skipped"


def test_the_pause_never_exceeds_six_hours():
    assert services.backoff(1) >= timedelta(minutes=1)
    assert services.backoff(20) == timedelta(hours=6)


def test_a_connection_error_is_a_failed_attempt(
    settings, make_subscription, make_event
):
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = True
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = deliver(make_subscription(f"http://127.0.0.1:{port}/"), make_event())

    assert services.delivery_send(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error


def test_a_redirect_is_not_followed(receiver, make_subscription, make_event):
    receiver.answer(302)
    delivery = deliver(make_subscription(receiver.url()), make_event())

    assert services.delivery_send(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt(
    receiver, make_subscription, make_event, monkeypatch
):
    monkeypatch.setattr(net, "TIMEOUT", 0.5)
    receiver.hold = threading.Event()
    delivery = deliver(make_subscription(receiver.url()), make_event())

    started = time.monotonic()
    assert services.delivery_send(delivery.pk) == "failed"

    assert time.monotonic() - started < 5
    delivery.refresh_from_db()
    assert "timed out" in delivery.last_error


def test_the_error_never_contains_the_secret(receiver, make_subscription, make_event):
    receiver.answer(400)
    subscription = make_subscription(receiver.url())
    delivery = deliver(subscription, make_event())

    services.delivery_send(delivery.pk)

    delivery.refresh_from_db()
    assert subscription.secret not in delivery.last_error


def test_the_sweep_sends_what_its_task_lost_and_due_retries_only(
    receiver, make_subscription, make_event
):
    subscription = make_subscription(receiver.url())
    lost = deliver(subscription, make_event())
    make_due(lost)
    retry = deliver(subscription, make_event())
    Delivery.objects.filter(pk=retry.pk).update(status="failed", attempts=1)
    make_due(retry, ago=timedelta(minutes=5))
    later = deliver(subscription, make_event())
    Delivery.objects.filter(pk=later.pk).update(
        status="failed", attempts=1, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    fresh = deliver(subscription, make_event())  # its task is about to run

    assert services.deliveries_send_due() == 2

    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[lost.pk] == "succeeded"
    assert statuses[retry.pk] == "succeeded"
    assert statuses[later.pk] == "failed"
    assert statuses[fresh.pk] == "pending"
    assert len(receiver.requests) == 2


def test_a_retry_is_enqueued_for_when_it_is_due(
    receiver, make_subscription, make_event, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    receiver.answer(500)
    delivery = deliver(make_subscription(receiver.url()), make_event())

    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_send(delivery.pk)

    delivery.refresh_from_db()
    task = DBTaskResult.objects.filter(
        task_path="kundig.integrations.outgoing.tasks.delivery_send_task"
    ).get()
    assert task.args_kwargs["args"] == [delivery.pk]
    assert task.run_after == delivery.next_attempt_at


def test_a_deactivated_subscription_stops_its_waiting_deliveries(
    receiver, admin, make_subscription, make_event
):
    subscription = make_subscription(receiver.url())
    delivery = deliver(subscription, make_event())

    services.subscription_update(
        actor=admin, subscription=subscription, is_active=False
    )

    assert services.delivery_send(delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == "gave_up"
    assert delivery.last_error == "The subscription was deactivated."
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_sent_is_not_sent_by_a_second_worker(
    receiver, make_subscription, make_event
):
    delivery = deliver(make_subscription(receiver.url()), make_event())
    receiver.hold = threading.Event()
    first = []

    def first_worker():
        try:
            first.append(services.delivery_send(delivery.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert receiver.arrived.wait(10)
        # The first worker waits for the receiver; a second one tries too.
        second = services.delivery_send(delivery.pk)
    finally:
        receiver.hold.set()
        thread.join(15)

    assert second == "skipped"
    assert first == ["succeeded"]
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_worker_that_died_mid_send_leaves_the_delivery_to_the_sweep(
    receiver, make_subscription, make_event
):
    delivery = deliver(make_subscription(receiver.url()), make_event())
    # As if a worker had claimed it and then been killed: attempts counted,
    # next_attempt_at at the end of its lease.
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=1, next_attempt_at=timezone.now() + services.LEASE
    )
    assert services.deliveries_send_due() == 0

    make_due(delivery)
    assert services.deliveries_send_due() == 1

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 2
