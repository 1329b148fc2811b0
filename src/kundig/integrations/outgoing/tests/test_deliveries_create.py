"""Events become deliveries: once per subscription, only for those that want them."""

from __future__ import annotations

import pytest

from kundig.core import events
from kundig.integrations.outgoing import services
from kundig.integrations.outgoing.choices import EVENT_TYPES
from kundig.integrations.outgoing.events import deliveries_create_for
from kundig.integrations.outgoing.models import Delivery

pytestmark = pytest.mark.django_db

URL = "https://lager.example.com/hook"


def test_an_event_is_delivered_once_per_subscription_even_if_handled_twice(
    make_subscription, make_event
):
    first = make_subscription(URL, name="Lager")
    second = make_subscription(URL, name="Buchhaltung")
    event = make_event()

    deliveries_create_for([event])
    deliveries_create_for([event])

    assert sorted(
        Delivery.objects.filter(event=event).values_list("subscription", flat=True)
    ) == sorted([first.pk, second.pk])


def test_inactive_subscriptions_get_nothing(admin, make_subscription, make_event):
    subscription = make_subscription(URL)
    services.subscription_update(
        actor=admin, subscription=subscription, is_active=False
    )

    deliveries_create_for([make_event()])

    assert not Delivery.objects.exists()


def test_a_subscription_gets_only_the_event_types_it_chose(
    make_subscription, make_event
):
    orders = make_subscription(URL, event_types=["order.paid"])
    stages = make_subscription(URL, event_types=["contact.stage_changed"])
    everything = make_subscription(URL, event_types=[])
    event = make_event("contact.stage_changed")

    deliveries_create_for([event])

    receivers = set(
        Delivery.objects.filter(event=event).values_list("subscription", flat=True)
    )
    assert receivers == {stages.pk, everything.pk}
    assert orders.pk not in receivers


def test_the_handler_listens_to_every_known_event_type():
    for name in EVENT_TYPES:
        assert any(
            func is deliveries_create_for for _key, func in events.handlers_for(name)
        ), name


def test_a_new_contact_reaches_a_subscriber_through_event_dispatch(
    admin, make_subscription, make_contact, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    subscription = make_subscription(URL, event_types=["contact.created"])
    contact = make_contact(admin, last_name="Neumann")

    with django_capture_on_commit_callbacks(execute=True):
        events.dispatch_pending()

    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.event.name == "contact.created"
    assert delivery.event.subject_id == contact.pk
    assert delivery.status == "pending"
    # Its send is enqueued after the dispatch commits.
    assert DBTaskResult.objects.filter(
        task_path="kundig.integrations.outgoing.tasks.delivery_send_task",
        args_kwargs__args=[delivery.pk],
    ).exists()
    # Dispatching again adds nothing.
    events.dispatch_pending()
    assert Delivery.objects.count() == 1
