"""Consent end to end: sign-up, double opt-in, marketing mail, one-click unsubscribe.

The mails go out through the real outbox to a real SMTP server (aiosmtpd);
the links in them are followed with the test client.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kundig.messaging import services as messaging
from kundig.messaging.models import Message
from kundig.privacy import services
from kundig.privacy.models import Consent, ConsentRecord, ConsentText, OptInRequest
from kundig.privacy.tests.conftest import html_part, link_in

pytestmark = pytest.mark.django_db


def sign_up(client, email="lena@example.de", **extra):
    return client.post(
        "/newsletter/?purpose=newsletter&lang=de",
        {"email": email, "first_name": "Lena", "last_name": "Vogel", **extra},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Firefox/140",
    )


def test_sign_up_confirm_send_and_unsubscribe_with_one_click(
    mailbox, smtp, newsletter, contact_model
):
    client = Client()
    page = client.get("/newsletter/?purpose=newsletter&lang=de")
    text = ConsentText.objects.get(purpose="newsletter", language="de", version=1)
    assert text.text in page.content.decode()

    response = sign_up(client)
    assert response.status_code == 200
    assert "Bitte schauen Sie in Ihr Postfach" in response.content.decode()

    # A new contact, a ledger line with the proof, no consent yet.
    lena = contact_model.objects.get(emails__email="lena@example.de")
    (requested,) = ConsentRecord.objects.filter(contact=lena)
    assert requested.action == "requested"
    assert (requested.ip, requested.user_agent) == ("203.0.113.7", "Firefox/140")
    assert requested.text == text
    assert Consent.objects.get(contact=lena, purpose="newsletter").status == "pending"
    refused = messaging.message_queue(template=newsletter, contact=lena, key="news-1")
    assert refused.message is None
    assert "Newsletter" in refused.error

    # The confirmation mail: transactional, no unsubscribe header, no ads.
    assert messaging.outbox_send_due() == 1
    (confirmation,) = smtp.messages
    assert confirmation["To"] == "Lena Vogel <lena@example.de>"
    assert "List-Unsubscribe" not in confirmation
    assert "Bitte bestätigen Sie Ihre Anmeldung: Newsletter" in confirmation["Subject"]
    assert "<p>Guten Tag Lena Vogel,</p>" in html_part(confirmation)
    confirm_url = link_in(html_part(confirmation), "/privacy/confirm/")

    # Opening the link (as a mail scanner does) confirms nothing.
    page = client.get(confirm_url)
    assert page.status_code == 200
    assert Consent.objects.get(contact=lena).status == "pending"
    assert client.post(confirm_url, REMOTE_ADDR="203.0.113.8").status_code == 200
    consent = Consent.objects.get(contact=lena)
    assert consent.status == "granted"
    assert consent.record.action == "confirmed"
    assert consent.record.ip == "203.0.113.8"
    assert consent.record.text == text
    # A second click writes nothing more.
    client.post(confirm_url)
    assert ConsentRecord.objects.filter(contact=lena).count() == 2

    # Now the newsletter goes out, with RFC 8058 headers and a working link.
    queued = messaging.message_queue(template=newsletter, contact=lena, key="news-1")
    assert queued.created
    assert messaging.outbox_send_due() == 1
    news = smtp.messages[-1]
    unsubscribe = news["List-Unsubscribe"].strip().strip("<>")
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in html_part(news)
    assert unsubscribe.startswith("http://testserver/privacy/unsubscribe/")

    # A message queued before the withdrawal does not go out after it.
    later = messaging.message_queue(template=newsletter, contact=lena, key="news-2")
    path = unsubscribe.removeprefix("http://testserver")
    assert client.get(path).status_code == 200  # a page with a button
    assert Consent.objects.get(contact=lena).status == "granted"
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    withdrawn = Consent.objects.get(contact=lena)
    assert withdrawn.status == "withdrawn"
    assert withdrawn.record.source == "one_click"
    later.message.refresh_from_db()
    assert later.message.status == "cancelled"
    # Again: nothing more is written.
    mail_program.post(path, {"List-Unsubscribe": "One-Click"})
    assert ConsentRecord.objects.filter(contact=lena, action="withdrawn").count() == 1


def test_a_second_sign_up_within_minutes_sends_no_second_mail(mailbox, smtp):
    client = Client()
    sign_up(client)
    second = sign_up(client)
    assert second.status_code == 200  # the page looks the same
    assert Message.objects.count() == 1
    assert OptInRequest.objects.count() == 1


def test_confirmed_people_signing_up_again_get_no_mail(mailbox, smtp, newsletter):
    client = Client()
    sign_up(client)
    token_url = link_in(_first_mail_html(smtp), "/privacy/confirm/")
    client.post(token_url)
    OptInRequest.objects.update(created_at=timezone.now() - timedelta(hours=1))
    sign_up(client)
    assert Message.objects.filter(template__key="privacy-double-opt-in").count() == 1


def _first_mail_html(smtp) -> str:
    messaging.outbox_send_due()
    return html_part(smtp.messages[0])


def test_an_invalid_address_is_refused_and_nothing_is_written(mailbox, contact_model):
    response = sign_up(Client(), email="lena@@example")
    assert response.status_code == 422
    assert "Geben Sie eine gültige E-Mail-Adresse ein." in response.content.decode()
    assert not contact_model.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_a_bot_filling_the_hidden_field_is_shown_success_but_signs_up_nobody(
    mailbox, contact_model
):
    response = sign_up(Client(), website="https://spam.example")
    assert response.status_code == 200
    assert not contact_model.objects.exists()


def test_without_a_mailbox_the_sign_up_fails_clearly_and_leaves_nothing(
    db, contact_model
):
    response = sign_up(Client())
    assert response.status_code == 422
    assert "nicht möglich" in response.content.decode()
    assert not contact_model.objects.exists()
    assert not OptInRequest.objects.exists()


def test_an_expired_link_does_not_confirm(mailbox, smtp):
    client = Client()
    sign_up(client)
    url = link_in(_first_mail_html(smtp), "/privacy/confirm/")
    OptInRequest.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(url)
    assert "abgelaufen" in response.content.decode()
    assert Consent.objects.get().status == "pending"


def test_made_up_and_tampered_tokens_change_nothing(mailbox, anna, newsletter):
    services.consent_give(
        actor=None, contact=anna, purpose="newsletter", channel="email",
        evidence=services.Evidence(source="staff", note="Signed form"),
    )  # fmt: skip
    token = services.unsubscribe_token(anna.pk, "newsletter")
    other = token.replace(f"{anna.pk}.", f"{anna.pk + 1}.")
    client = Client()
    assert client.post(f"/privacy/unsubscribe/{other}/").status_code == 404
    assert client.post("/privacy/unsubscribe/nothing/").status_code == 404
    assert client.post("/privacy/confirm/nothing/").status_code == 404
    assert Consent.objects.get(contact=anna).status == "granted"


def test_the_send_check_asks_in_chunks(anna, make_contact, admin, monkeypatch):
    others = [make_contact(admin) for _ in range(4)]
    for contact in [anna, *others[:2]]:
        services.consent_give(
            actor=None, contact=contact, purpose="newsletter", channel="email",
            evidence=services.Evidence(source="staff", note="Form"),
        )  # fmt: skip
    monkeypatch.setattr(services, "_CHUNK", 2)
    ids = [anna.pk, *(c.pk for c in others)]
    assert services.contacts_consenting(ids, "newsletter") == {
        anna.pk,
        others[0].pk,
        others[1].pk,
    }
    assert services.contacts_consenting(ids, "surveys") == set()


def test_consent_on_another_channel_is_not_email_consent(anna, newsletter, mailbox):
    services.consent_give(
        actor=None, contact=anna, purpose="newsletter", channel="letter",
        evidence=services.Evidence(source="staff", note="Form"),
    )  # fmt: skip
    assert not messaging.message_queue(
        template=newsletter, contact=anna, key="n"
    ).created


def test_staff_consent_needs_proof(anna, admin):
    with pytest.raises(ValidationError) as caught:
        services.consent_give(
            actor=admin, contact=anna, purpose="newsletter", channel="email",
            evidence=services.Evidence(source="staff"),
        )  # fmt: skip
    assert "note" in caught.value.message_dict
    assert not ConsentRecord.objects.exists()


def test_an_objection_withdraws_everything_and_stops_queued_mail(
    anna, admin, newsletter, mailbox
):
    for purpose in ("newsletter", "surveys"):
        services.consent_give(
            actor=admin, contact=anna, purpose=purpose, channel="email",
            evidence=services.Evidence(source="staff", note="Form"),
        )  # fmt: skip
    queued = messaging.message_queue(template=newsletter, contact=anna, key="n")
    written = services.consent_object(
        actor=admin, contact=anna, evidence=services.Evidence(source="staff")
    )
    assert written == 3 * 4  # every purpose on every channel
    assert set(
        Consent.objects.filter(contact=anna).values_list("status", flat=True)
    ) == {"withdrawn"}
    queued.message.refresh_from_db()
    assert queued.message.status == "cancelled"
    # Recording it again writes nothing.
    assert (
        services.consent_object(
            actor=admin, contact=anna, evidence=services.Evidence(source="staff")
        )
        == 0
    )


def test_a_new_wording_is_a_new_version(admin):
    first = ConsentText.objects.get(purpose="newsletter", language="en")
    same = services.consent_text_publish(
        actor=admin, purpose="newsletter", language="en", text=first.text
    )
    assert same == first
    newer = services.consent_text_publish(
        actor=admin, purpose="newsletter", language="en", text="Yes, send me news."
    )
    assert newer.version == 2
    assert services.consent_text_current("newsletter", "en") == newer
    page = Client().get("/newsletter/?lang=en")
    assert "Yes, send me news." in page.content.decode()
    assert "version 2" in page.content.decode()


def test_consent_texts_page_is_for_messaging_roles(admin, sales_nord, client_for):
    assert client_for(sales_nord).get("/privacy/texts/").status_code == 403
    response = client_for(admin).post(
        "/privacy/texts/",
        {"purpose": "surveys", "language": "de", "text": ""},
    )
    assert response.status_code == 200
    assert "Dieses Feld ist ein Pflichtfeld." in response.content.decode()
    assert ConsentText.objects.filter(purpose="surveys").count() == 2


def test_the_english_sign_up_mail_is_in_english(mailbox, smtp, contact_model):
    Client().post("/newsletter/?purpose=surveys&lang=en", {"email": "sam@example.com"})
    messaging.outbox_send_due()
    (mail,) = smtp.messages
    assert mail["Subject"] == "Please confirm your sign-up: Surveys"
    assert contact_model.objects.get().language == "en"
    record = ConsentRecord.objects.get()
    assert record.text.language == "en"


def test_ledger_export_shows_the_proof(anna, admin, client_for, sales_nord):
    services.consent_give(
        actor=admin, contact=anna, purpose="newsletter", channel="email",
        evidence=services.Evidence(source="staff", note="Signed form", ip="10.0.0.1",
                                   actor=admin),
    )  # fmt: skip
    data = json.loads(
        client_for(admin)
        .get(f"/privacy/contacts/{anna.pk}/consents/?format=json")
        .content
    )
    (line,) = data["ledger"]
    assert line["action"] == "given"
    assert line["note"] == "Signed form"
    assert line["ip"] == "10.0.0.1"
    assert line["actor"] == admin.email
    csv = client_for(admin).get(f"/privacy/contacts/{anna.pk}/consents/?format=csv")
    assert b"Signed form" in b"".join(csv.streaming_content)
    page = client_for(admin).get(f"/privacy/contacts/{anna.pk}/consents/")
    assert "Signed form" in page.content.decode()


def test_ledger_follows_record_visibility(anna, sales_sued, read_only_nord, client_for):
    url = f"/privacy/contacts/{anna.pk}/consents/"
    assert client_for(sales_sued).get(url).status_code == 404
    assert client_for(read_only_nord).get(url).status_code == 200
    # Seeing is not exporting.
    assert client_for(read_only_nord).get(url + "?format=csv").status_code == 403


def test_staff_record_consent_from_the_contact_page(anna, sales_nord, client_for):
    client = client_for(sales_nord)
    page = client.get(anna.get_absolute_url())
    assert 'id="contact-consents"' in page.content.decode()
    response = client.post(
        f"/privacy/contacts/{anna.pk}/consents/add/",
        {"kind": "given", "purpose": "newsletter", "channel": "email",
         "note": "Telefonat 22.11., Aufzeichnung 4711"},
    )  # fmt: skip
    assert response.status_code == 302
    consent = Consent.objects.get(contact=anna)
    assert consent.status == "granted"
    assert consent.record.actor == sales_nord
    # Without proof: refused with the field named, nothing written.
    client.post(
        f"/privacy/contacts/{anna.pk}/consents/add/",
        {"kind": "given", "purpose": "surveys", "channel": "email"},
    )
    assert not Consent.objects.filter(contact=anna, purpose="surveys").exists()


def test_read_only_users_cannot_record_and_others_cannot_reach(
    anna, read_only_nord, sales_sued, client_for
):
    data = {"kind": "objected", "purpose": "newsletter", "channel": "email"}
    url = f"/privacy/contacts/{anna.pk}/consents/add/"
    assert client_for(read_only_nord).post(url, data).status_code == 403
    assert client_for(sales_sued).post(url, data).status_code == 404
    assert not ConsentRecord.objects.exists()


def test_confirm_page_link_is_in_the_mail_once(mailbox, smtp):
    sign_up(Client())
    html = _first_mail_html(smtp)
    assert len(re.findall(r"/privacy/confirm/", html)) == 1
