"""core.bulk: many rows at once (COPY on PostgreSQL), as the ORM would write them."""

import pytest
from django.db import IntegrityError, transaction

from kundig.core import bulk
from kundig.core.models import DomainEvent, HandledEvent

pytestmark = pytest.mark.django_db


def test_inserted_objects_get_their_ids_and_read_back_as_written(admin):
    events = [
        DomainEvent(name="test.many", subject_type="contacts.contact", subject_id=n,
                    payload={"n": n, "text": "Tab\there, line\nbreak, \\ and ü"})
        for n in range(3)
    ]  # fmt: skip

    bulk.insert_objects(events)

    assert all(event.pk and not event._state.adding for event in events)
    stored = {
        e.pk: e for e in DomainEvent.objects.filter(pk__in=[e.pk for e in events])
    }
    for event in events:
        assert stored[event.pk].payload == event.payload
        assert stored[event.pk].occurred_at == event.occurred_at
        assert stored[event.pk].dispatched_at is None


def test_a_unique_violation_is_djangos_integrity_error_and_writes_nothing(admin):
    event = DomainEvent.objects.create(name="test.once")
    twice = [
        HandledEvent(event=event, handler="h"),
        HandledEvent(event=event, handler="h"),
    ]

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_objects(twice)

    assert not HandledEvent.objects.exists()
    assert all(handled.pk is None for handled in twice)


def test_a_model_with_a_field_it_cannot_write_is_refused():
    from kundig.core.models import Job

    with pytest.raises(TypeError, match=r"Job\.file \(FileField\)"):
        bulk.insert_objects([Job()])
