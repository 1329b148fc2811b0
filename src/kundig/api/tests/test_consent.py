"""Consent over the API: sign-ups start a double opt-in; the ledger is readable."""

from __future__ import annotations

import pytest

from kundig.messaging import services as messaging
from kundig.messaging.models import Message
from kundig.messaging.tests import conftest as messaging_fixtures
from kundig.privacy import services
from kundig.privacy.models import ConsentRecord

pytestmark = pytest.mark.django_db

# The real SMTP server and a mailbox sending to it.
smtp = messaging_fixtures.smtp
mailbox = messaging_fixtures.mailbox


def test_a_shop_passes_on_a_sign_up(api_as, sales_nord, mailbox, smtp):
    api = api_as(sales_nord)
    body = {"email": "Tom@Example.com", "language": "en", "ip": "198.51.100.4"}

    response = api.post("/newsletter/signups", body)
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "confirmation_sent"
    record = ConsentRecord.objects.get()
    assert (record.action, record.source, record.ip, record.email) == (
        "requested", "api", "198.51.100.4", "tom@example.com",
    )  # fmt: skip
    # The shop sends it twice: no second mail.
    assert api.post("/newsletter/signups", body).json()["status"] == "recently_sent"
    assert Message.objects.count() == 1
    messaging.outbox_send_due()
    assert smtp.messages[0]["Subject"] == "Please confirm your sign-up: Newsletter"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@example.com", "purpose": "spam"}, "purpose"),
        ({"email": "a@example.com", "ip": "999.1.1.1"}, "ip"),
        ({"email": "a@example.com", "colour": "blue"}, "colour"),
    ],
)
def test_bad_sign_ups_name_the_field_and_write_nothing(
    api_as, sales_nord, mailbox, body, field
):
    response = api_as(sales_nord).post("/newsletter/signups", body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ConsentRecord.objects.exists()
    assert not Message.objects.exists()


def test_read_only_tokens_cannot_sign_people_up(api_as, read_only_nord, mailbox):
    response = api_as(read_only_nord).post(
        "/newsletter/signups", {"email": "a@example.com"}
    )
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


def test_the_ledger_follows_record_visibility(
    api_as, sales_nord, sales_sued, make_contact
):
    anna = make_contact(sales_nord, email="anna@example.de")
    services.consent_give(
        actor=sales_nord, contact=anna, purpose="surveys", channel="phone",
        evidence=services.Evidence(source="staff", note="Call of 3 Nov"),
    )  # fmt: skip
    body = api_as(sales_nord).get(f"/contacts/{anna.pk}/consents").json()
    assert body["consents"][0]["status"] == "granted"
    assert body["ledger"][0]["note"] == "Call of 3 Nov"
    assert api_as(sales_sued).get(f"/contacts/{anna.pk}/consents").status_code == 404
