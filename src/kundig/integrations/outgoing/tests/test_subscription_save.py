"""Subscriptions: created and changed through the service, bad input named."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kundig.core.models import AuditEntry
from kundig.integrations.outgoing import services
from kundig.integrations.outgoing.models import Subscription

pytestmark = pytest.mark.django_db


def errors_of(*, actor, **fields) -> dict:
    fields = {"name": "Lager", "url": "https://lager.example.com/hook", **fields}
    with pytest.raises(ValidationError) as caught:
        services.subscription_create(actor=actor, **fields)
    return caught.value.message_dict


def test_it_creates_a_subscription_with_a_random_secret(admin):
    subscription = services.subscription_create(
        actor=admin,
        name="  Lager ",
        url="https://lager.example.com/hooks/kundig",
        event_types=["order.paid", "order.placed", "order.paid"],
    )

    assert subscription.name == "Lager"
    # In the order of the known list, each once.
    assert subscription.event_types == ["order.placed", "order.paid"]
    assert len(subscription.secret) >= 40
    assert subscription.is_active
    other = services.subscription_create(
        actor=admin, name="Buchhaltung", url="http://buha.example.com/"
    )
    assert other.secret != subscription.secret
    assert other.event_types == []  # every event
    assert AuditEntry.objects.filter(
        object_type="outgoing_webhooks.subscription", object_id=subscription.pk
    ).exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://lager.example.com/",
        "lager.example.com/hook",
        "https://",
        "https:///hook",
        "javascript:alert(1)",
        "https://lager example.com/",
        "https://lager.example.com:99999/",
        "",
    ],
)
def test_a_url_that_is_not_http_with_a_host_is_refused(admin, url):
    assert "url" in errors_of(actor=admin, url=url)


def test_a_url_with_a_password_is_refused(admin):
    errors = errors_of(actor=admin, url="https://user:pw@lager.example.com/")

    assert "password" in errors["url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://localhost/hook",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fe80::1]/",
    ],
)
def test_an_obviously_private_url_is_refused_when_saved(admin, url):
    errors = errors_of(actor=admin, url=url)

    assert "loopback, private or link-local" in errors["url"][0]


def test_private_urls_are_allowed_when_the_setting_says_so(admin, settings):
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = True

    subscription = services.subscription_create(
        actor=admin, name="Intern", url="http://10.0.0.5/hook"
    )

    assert subscription.url == "http://10.0.0.5/hook"


def test_unknown_event_types_are_refused_naming_them(admin):
    errors = errors_of(actor=admin, event_types=["order.paid", "order.eaten"])

    assert errors["event_types"] == ["Unknown event type: order.eaten."]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "Lag\x01er"),
        ("name", "x" * 101),
        ("secret", "short"),
        ("secret", "has spaces in the middle of it"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(admin, field, value):
    assert field in errors_of(actor=admin, **{field: value})


def test_several_bad_fields_are_named_at_once(admin):
    errors = errors_of(actor=admin, name="", url="ftp://x", event_types=["nope"])

    assert set(errors) == {"name", "url", "event_types"}


def test_only_admins_manage_subscriptions(sales_nord, manager_nord):
    for user in (sales_nord, manager_nord):
        with pytest.raises(PermissionDenied):
            services.subscription_create(
                actor=user, name="Lager", url="https://lager.example.com/"
            )
    assert not Subscription.objects.exists()


def test_changing_the_secret_is_audited_without_the_secret(admin):
    subscription = services.subscription_create(
        actor=admin, name="Lager", url="https://lager.example.com/"
    )
    old = subscription.secret

    services.subscription_update(
        actor=admin,
        subscription=subscription,
        secret="a-brand-new-secret-0123456789",
        url="https://lager2.example.com/",
    )

    subscription.refresh_from_db()
    assert subscription.secret == "a-brand-new-secret-0123456789"
    entries = AuditEntry.objects.filter(
        object_type="outgoing_webhooks.subscription", action="update"
    )
    assert set(entries.values_list("field", flat=True)) == {"secret", "url"}
    for entry in entries:
        assert old not in entry.old_value + entry.new_value
        assert "a-brand-new-secret" not in entry.old_value + entry.new_value


def test_a_bad_change_changes_nothing(admin):
    subscription = services.subscription_create(
        actor=admin, name="Lager", url="https://lager.example.com/"
    )

    with pytest.raises(ValidationError) as caught:
        services.subscription_update(
            actor=admin, subscription=subscription, name="Neu", url="gopher://x"
        )

    assert "url" in caught.value.message_dict
    subscription.refresh_from_db()
    assert subscription.name == "Lager"
