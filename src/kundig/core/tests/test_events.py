"""Domain events: written with the change, handled once after commit."""

import pytest
from django.db import transaction

from kundig.core import events
from kundig.core.models import DomainEvent, HandledEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def recorder():
    seen = []

    @events.handles("test.happened")
    def record(event):
        seen.append(event.payload["n"])

    yield seen
    events.unregister(record)


def test_an_event_rolled_back_with_its_transaction_never_existed(admin, recorder):
    def emit_then_fail():
        with transaction.atomic():
            events.emit("test.happened", admin, n=1)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        emit_then_fail()

    assert not DomainEvent.objects.exists()
    assert events.dispatch_pending() == 0
    assert recorder == []


def test_each_handler_runs_once_even_when_dispatched_twice(admin, recorder):
    events.emit("test.happened", admin, n=1)
    events.emit("test.happened", admin, n=2)

    events.dispatch_pending()
    DomainEvent.objects.update(dispatched_at=None)  # as if the marks were lost
    events.dispatch_pending()

    assert recorder == [1, 2]
    assert HandledEvent.objects.count() == 2


def test_a_failing_handler_leaves_the_event_for_a_retry(admin):
    calls = []

    @events.handles("test.flaky")
    def flaky(event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise ValueError("mail server down")

    try:
        event = events.emit("test.flaky", admin)
        assert events.dispatch_pending() == 0
        event.refresh_from_db()
        assert event.dispatched_at is None
        assert event.attempts == 1
        assert "mail server down" in event.last_error
        assert not HandledEvent.objects.exists()

        assert events.dispatch_pending() == 1
        assert len(calls) == 2
    finally:
        events.unregister(flaky)


def test_a_payload_may_carry_a_name(admin):
    event = events.emit("contact.deleted", admin, name="Jürgen Müller")

    assert event.payload == {"name": "Jürgen Müller"}


def test_one_dispatch_job_is_enqueued_per_transaction(admin):
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.count()
    with transaction.atomic():
        for n in range(5):
            events.emit("test.happened", admin, n=n)

    assert DBTaskResult.objects.count() == before + 1


def test_a_failed_savepoint_does_not_lose_the_dispatch_of_later_events(admin):
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.count()
    with transaction.atomic():
        try:
            with transaction.atomic():
                events.emit("test.happened", admin, n=1)
                raise RuntimeError
        except RuntimeError:
            pass
        events.emit("test.happened", admin, n=2)

    assert DBTaskResult.objects.count() == before + 1
    assert list(DomainEvent.objects.values_list("payload__n", flat=True)) == [2]


@pytest.fixture
def batches():
    seen = []

    @events.handles("test.many", batch=True)
    def record_many(evs):
        seen.append([event.payload["n"] for event in evs])
        if any(event.payload.get("bad") for event in evs):
            raise ValueError("cannot take this one")

    yield seen
    events.unregister(record_many)


def test_a_batch_handler_takes_the_events_of_a_dispatch_batch_at_once(
    admin, batches, recorder
):
    for n in range(5):
        events.emit("test.many", admin, n=n)
    events.emit("test.happened", admin, n=99)

    assert events.dispatch_pending() == 6

    assert batches == [[0, 1, 2, 3, 4]]
    assert recorder == [99]
    assert HandledEvent.objects.count() == 6


def test_a_batch_handler_runs_once_even_when_dispatched_twice(admin, batches):
    for n in range(3):
        events.emit("test.many", admin, n=n)

    events.dispatch_pending()
    DomainEvent.objects.update(dispatched_at=None)  # as if the marks were lost
    events.dispatch_pending()

    assert batches == [[0, 1, 2]]


def test_one_bad_event_in_a_batch_holds_back_only_itself(admin, batches):
    events.emit("test.many", admin, n=0)
    events.emit("test.many", admin, n=1, bad=True)
    events.emit("test.many", admin, n=2)

    assert events.dispatch_pending() == 2

    # the batch failed and rolled back; then each event went alone
    assert batches == [[0, 1, 2], [0], [1], [2]]
    bad = DomainEvent.objects.get(payload__n=1)
    assert bad.dispatched_at is None and bad.attempts == 1
    assert "cannot take this one" in bad.last_error
    assert set(
        DomainEvent.objects.filter(dispatched_at__isnull=False).values_list(
            "payload__n", flat=True
        )
    ) == {0, 2}
    assert HandledEvent.objects.count() == 2
