"""What the review of the intake found: each with the test that would have caught it."""

from __future__ import annotations

import pytest

from kundig.messaging import inbound, replies, services
from kundig.messaging.models import InboundMessage, Message, SuppressedAddress
from kundig.messaging.tests.test_inbound_imap import dsn
from kundig.messaging.tests.test_inbound_pages import raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(make_contact, sales_nord):
    return make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )


def test_a_sender_address_too_long_to_store_does_not_stop_the_mailbox(mailbox):
    raw = raw_mail().replace(
        b"From: Anna Weber <anna@example.de>",
        f"From: Lang <{'a' * 300}@example.com>".encode(),
    )

    filed = inbound.inbound_file(mailbox=mailbox, raw=raw)  # no DataError

    assert filed.created and filed.message.from_email == ""


def test_a_forged_bounce_blocks_nobody(mailbox, anna, admin):
    forged = Message(
        to_email="anna@example.de",
        subject="Irgendwas",
        message_id="<made-up@weber-wohnen.example>",
    )
    inbound.inbound_file(
        mailbox=mailbox, raw=dsn(forged, "5.1.1", "failed", "550 User unknown")
    )

    assert not SuppressedAddress.objects.exists()
    assert InboundMessage.objects.get().kind == "bounce"


def test_a_bounce_naming_our_message_but_another_address_blocks_nobody(
    mailbox, anna, admin, smtp
):
    template = services.template_save(
        actor=admin, key="t", name="T",
        contents={"de": {"subject": "Hallo", "html": "<p>Hallo</p>"}},
    )  # fmt: skip
    ours = services.message_queue(template=template, contact=anna, key="k").message
    services.outbox_send_due()
    ours.refresh_from_db()
    other = Message(
        to_email="boss@example.de", subject=ours.subject, message_id=ours.message_id
    )
    inbound.inbound_file(
        mailbox=mailbox, raw=dsn(other, "5.1.1", "failed", "550 User unknown")
    )

    assert not SuppressedAddress.objects.exists()


def test_the_same_form_sent_twice_at_once_queues_one_mail(
    mailbox, anna, sales_nord, monkeypatch
):
    key = "a" * 32
    real_atomic = replies.transaction.atomic

    class OtherRequestFirst:
        """The other request inserts between our check and our insert."""

        @staticmethod
        def atomic(*args, **kwargs):
            replies._create(
                sales_nord, anna, mailbox, key, "anna@example.de", "Anna Weber",
                "Ihre Frage", "Gern.", None, "",
            )  # fmt: skip
            return real_atomic(*args, **kwargs)

    monkeypatch.setattr(replies, "transaction", OtherRequestFirst)
    queued = replies.message_write(
        actor=sales_nord, contact=anna, subject="Ihre Frage", text="Gern.", key=key
    )

    assert not queued.created
    assert Message.objects.count() == 1


def test_a_reply_does_not_show_our_mail_to_a_contact_the_reader_may_not_see(
    mailbox, anna, admin, sales_sued, make_contact, client_for, sales_nord, smtp
):
    hidden = make_contact(sales_sued, first_name="Yusuf", email="yusuf@example.de")
    template = services.template_save(
        actor=admin, key="t", name="T",
        contents={"de": {"subject": "Geheimes Angebot", "html": "<p>x</p>"}},
    )  # fmt: skip
    ours = services.message_queue(template=template, contact=hidden, key="k").message
    # Anna answers with headers that point at the mail to Yusuf.
    filed = inbound.inbound_file(
        mailbox=mailbox, raw=raw_mail("Re: egal", In_Reply_To=ours.message_id)
    ).message
    assert filed.reply_to_message == ours

    page = client_for(sales_nord).get(filed.get_absolute_url()).content.decode()

    assert "Geheimes Angebot" not in page
    assert (
        "Geheimes Angebot"
        in client_for(admin).get(filed.get_absolute_url()).content.decode()
    )
