"""The admin's pages for outgoing webhooks."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kundig.integrations.outgoing import services
from kundig.integrations.outgoing.models import Delivery, Subscription

from .conftest import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _admin_reads_english(admin):
    """The pages speak the user's language; these tests read the English texts."""
    admin.language = "en"
    admin.save(update_fields=["language"])


def form_data(**fields) -> dict:
    return {
        "name": "Lager",
        "url": "https://lager.example.com/hook",
        "event_types": ["order.paid", "shipment.sent"],
        "secret": "lager-secret-0123456789",
        "is_active": "on",
        **fields,
    }


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "subscription_list", []),
        ("get", "subscription_create", []),
        ("post", "subscription_create", []),
        ("get", "subscription_detail", ["sub"]),
        ("get", "subscription_edit", ["sub"]),
        ("post", "subscription_deactivate", ["sub"]),
        ("post", "subscription_test", ["sub"]),
        ("post", "delivery_retry", ["delivery"]),
    ],
)
def test_only_admins_get_in(
    admin, sales_nord, manager_nord, client_for, make_event, method, name, args
):
    subscription = services.subscription_create(
        actor=admin, name="Lager", url="https://lager.example.com/"
    )
    delivery = deliver(subscription, make_event())
    ids = {"sub": subscription.pk, "delivery": delivery.pk}
    url = reverse(f"outgoing_webhooks:{name}", args=[ids[a] for a in args])

    for user in (sales_nord, manager_nord):
        response = getattr(client_for(user), method)(url, form_data())
        assert response.status_code == 403
    assert Subscription.objects.count() == 1
    subscription.refresh_from_db()
    assert subscription.is_active


def test_an_admin_creates_a_subscription(admin, client_for):
    response = client_for(admin).post(
        reverse("outgoing_webhooks:subscription_create"), form_data()
    )

    subscription = Subscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == subscription.get_absolute_url()
    assert subscription.event_types == ["order.paid", "shipment.sent"]
    assert subscription.secret == "lager-secret-0123456789"


def test_the_new_form_offers_a_generated_secret(admin, client_for):
    response = client_for(admin).get(reverse("outgoing_webhooks:subscription_create"))

    assert response.status_code == 200
    secret = response.context["form"].initial["secret"]
    assert len(secret) >= 40
    assert secret in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "ftp://lager.example.com/"}, "url", "http:// or https://"),
        ({"url": "http://127.0.0.1/"}, "url", "private"),
        ({"event_types": ["order.eaten"]}, "event_types", "order.eaten"),
        ({"secret": "kurz"}, "secret", "16"),
        ({"name": ""}, "name", ""),
    ],
)
def test_form_errors_name_the_field(admin, client_for, fields, field, message):
    response = client_for(admin).post(
        reverse("outgoing_webhooks:subscription_create"), form_data(**fields)
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_admin_edits_and_deactivates_a_subscription(admin, client_for):
    subscription = services.subscription_create(
        actor=admin, name="Lager", url="https://lager.example.com/"
    )
    client = client_for(admin)

    response = client.post(
        reverse("outgoing_webhooks:subscription_edit", args=[subscription.pk]),
        form_data(name="Zentrallager", event_types=[]),
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.name == "Zentrallager"
    assert subscription.event_types == []

    response = client.post(
        reverse("outgoing_webhooks:subscription_deactivate", args=[subscription.pk])
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_the_list_shows_recent_deliveries_with_their_outcome(
    admin, client_for, make_event, django_assert_max_num_queries
):
    for name in ("Lager", "Buchhaltung", "Versand"):
        subscription = services.subscription_create(
            actor=admin, name=name, url="https://lager.example.com/"
        )
        for _n in range(3):
            delivery = deliver(subscription, make_event())
    Delivery.objects.filter(pk=delivery.pk).update(
        status="gave_up", attempts=10, last_status_code=502, last_error="HTTP 502"
    )
    client = client_for(admin)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("outgoing_webhooks:subscription_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Versand" in page
    assert "HTTP 502" in page
    assert reverse("outgoing_webhooks:delivery_retry", args=[delivery.pk]) in page


def test_the_delivery_log_filters_by_status(admin, client_for, make_event):
    subscription = services.subscription_create(
        actor=admin, name="Lager", url="https://lager.example.com/"
    )
    failed = deliver(subscription, make_event())
    Delivery.objects.filter(pk=failed.pk).update(status="failed", last_error="boom")
    deliver(subscription, make_event())

    response = client_for(admin).get(
        subscription.get_absolute_url(), {"status": "failed"}
    )

    assert response.status_code == 200
    assert [d.pk for d in response.context["page"]] == [failed.pk]


def test_retry_now_sends_a_delivery_that_gave_up(
    admin, client_for, receiver, make_subscription, make_event
):
    subscription = make_subscription(receiver.url())
    delivery = deliver(subscription, make_event())
    Delivery.objects.filter(pk=delivery.pk).update(
        status="gave_up", attempts=10, next_attempt_at=None, last_error="HTTP 500"
    )

    response = client_for(admin).post(
        reverse("outgoing_webhooks:delivery_retry", args=[delivery.pk]), follow=True
    )

    assert response.status_code == 200
    assert "The receiver accepted the delivery." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 11
    assert len(receiver.requests) == 1


def test_retry_now_refuses_a_delivery_that_did_not_fail(admin, client_for, make_event):
    subscription = services.subscription_create(
        actor=admin, name="Lager", url="https://lager.example.com/"
    )
    delivery = deliver(subscription, make_event())

    response = client_for(admin).post(
        reverse("outgoing_webhooks:delivery_retry", args=[delivery.pk]), follow=True
    )

    assert "Only failed deliveries can be sent again." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.attempts == 0


def test_send_test_event_reaches_only_this_subscription(
    admin, client_for, receiver, make_subscription
):
    subscription = make_subscription(receiver.url("/one"))
    make_subscription(receiver.url("/two"), name="Andere")

    response = client_for(admin).post(
        reverse("outgoing_webhooks:subscription_test", args=[subscription.pk]),
        follow=True,
    )

    assert response.status_code == 200
    [request] = receiver.requests
    assert request.path == "/one"
    body = json.loads(request.body)
    assert body["event"] == "webhook.test"
    assert body["subject"] == {
        "type": "outgoing_webhooks.subscription",
        "id": subscription.pk,
    }
    assert Delivery.objects.get().status == "succeeded"
