"""Incoming mail read from a real IMAP server (dovecot): filed once, matched."""

import logging
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.contacts import selectors as contact_selectors
from kundig.core.models import DomainEvent
from kundig.messaging import imap, inbound, services
from kundig.messaging.models import (
    InboundMessage,
    Mailbox,
    Message,
    SuppressedAddress,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def mail(sender, subject, text="Guten Tag,\nwo bleibt meine Bestellung?", **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Weber Wohnen Service <service@weber-wohnen.example>"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="kunde.test"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


@pytest.fixture
def anna(make_contact, sales_nord):
    return make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )


@pytest.fixture
def template(admin, mailbox):
    return services.template_save(
        actor=admin, key="hello", name="Hello", purpose="transactional",
        contents={"de": {"subject": "Ihre Bestellung", "html": "<p>Hallo</p>"}},
    )  # fmt: skip


def sent_to(template, contact) -> Message:
    queued = services.message_queue(template=template, contact=contact, key="k-1")
    assert services.outbox_send_due() == 1
    return Message.objects.get(pk=queued.message.pk)


def contacts() -> int:
    return apps.get_model("contacts", "Contact").objects.count()


def events(name="message.received"):
    return list(DomainEvent.objects.filter(name=name))


def test_a_mail_from_a_known_contact_lands_on_their_timeline_with_attachments(
    reading_mailbox, dovecot, anna
):
    message = mail("Anna Weber <Anna@Example.de>", "Frage zur Lieferung")
    message.add_alternative(
        "<p>Wo bleibt <b>meine</b> Bestellung?<script>x()</script>", subtype="html"
    )
    message.add_attachment(
        PDF, maintype="application", subtype="pdf", filename="Rechnung 10042.pdf"
    )
    dovecot.append(message)

    result = imap.mailbox_poll(reading_mailbox)

    assert (result.filed, result.error) == (1, "")
    filed = InboundMessage.objects.get()
    assert filed.contact == anna and filed.kind == "mail"
    assert filed.from_email == "anna@example.de"
    assert filed.subject == "Frage zur Lieferung"
    assert "wo bleibt meine Bestellung?" in filed.text
    assert "<b>meine</b>" in filed.html and "script" not in filed.html
    [attachment] = filed.attachments.all()
    assert attachment.filename == "Rechnung 10042.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.read() == PDF
    entry = TimelineEntry.objects.get(source_type="messaging.inbound")
    assert entry.contact_id == anna.pk and entry.kind == "email"
    assert entry.direction == "in" and entry.summary == "Frage zur Lieferung"
    assert entry.source_url == filed.get_absolute_url()
    [event] = events()
    assert event.payload["contact_id"] == anna.pk
    assert event.payload["contact_created"] is False
    reading_mailbox.refresh_from_db()
    assert reading_mailbox.imap_last_uid == 1 and reading_mailbox.imap_error == ""


def test_an_unknown_sender_becomes_a_contact(reading_mailbox, dovecot):
    dovecot.append(mail("Bernd Becker <bernd.becker@example.org>", "Angebot?"))

    imap.mailbox_poll(reading_mailbox)

    contact = contact_selectors.contact_by_email("bernd.becker@example.org")
    assert (contact.first_name, contact.last_name) == ("Bernd", "Becker")
    assert contact.source == "email" and contact.lifecycle_stage == "lead"
    assert InboundMessage.objects.get().contact == contact
    assert TimelineEntry.objects.filter(contact=contact, direction="in").exists()
    [event] = events()
    assert event.payload["contact_created"] is True


def test_a_reply_is_threaded_to_our_message_and_the_next_one_to_the_reply(
    reading_mailbox, dovecot, anna, template
):
    ours = sent_to(template, anna)
    first = mail("anna@example.de", "Re: Ihre Bestellung", In_Reply_To=ours.message_id,
                 References=ours.message_id)  # fmt: skip
    second = mail("anna@example.de", "Re: Re: Ihre Bestellung",
                  In_Reply_To=first["Message-ID"],
                  References=f"{ours.message_id} {first['Message-ID']}")  # fmt: skip
    dovecot.append(first, second)

    imap.mailbox_poll(reading_mailbox)

    reply = InboundMessage.objects.get(message_id=first["Message-ID"])
    again = InboundMessage.objects.get(message_id=second["Message-ID"])
    assert reply.reply_to_message == ours and reply.reply_to_inbound is None
    assert again.reply_to_inbound == reply and again.reply_to_message is None
    assert events()[0].payload["answers_message"] == ours.pk


def test_auto_replies_bulk_and_our_own_mail_are_filed_flagged_and_do_nothing(
    reading_mailbox, dovecot, anna
):
    dovecot.append(
        mail("anna@example.de", "Abwesenheitsnotiz", Auto_Submitted="auto-replied"),
        mail("news@shop.example", "Angebote der Woche", Precedence="bulk"),
        mail("liste@verein.example", "Rundbrief", List_Id="<rundbrief.verein.example>"),
        mail("service@weber-wohnen.example", "Kopie"),
        mail("fremd@example.net", "Ich bin nicht da", Auto_Submitted="auto-replied"),
    )
    contacts_before = contacts()

    result = imap.mailbox_poll(reading_mailbox)

    assert result.filed == 5
    kinds = dict(InboundMessage.objects.values_list("subject", "kind"))
    assert kinds == {
        "Abwesenheitsnotiz": "auto_reply",
        "Angebote der Woche": "bulk",
        "Rundbrief": "bulk",
        "Kopie": "own",
        "Ich bin nicht da": "auto_reply",
    }
    assert InboundMessage.objects.get(subject="Abwesenheitsnotiz").contact == anna
    assert events() == []
    assert not TimelineEntry.objects.filter(source_type="messaging.inbound").exists()
    assert contacts() == (contacts_before)


def dsn(original: Message, status: str, action: str, diagnostic: str) -> bytes:
    return f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.de>
To: service@weber-wohnen.example
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(timezone.now())}
Message-ID: {make_msgid(domain="mx.example.de")}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.de

Final-Recipient: rfc822; {original.to_email}
Original-Recipient: rfc822;{original.to_email}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--R
Content-Type: text/rfc822-headers

From: Weber Wohnen Service <service@weber-wohnen.example>
To: {original.to_email}
Subject: {original.subject}
Message-ID: {original.message_id}

--R--
""".replace("\n", "\r\n").encode()


def test_a_hard_bounce_suppresses_the_address_and_marks_the_message(
    reading_mailbox, dovecot, anna, template
):
    ours = sent_to(template, anna)
    dovecot.append(dsn(ours, "5.1.1", "failed", "550 5.1.1 User unknown"))
    contacts_before = contacts()

    imap.mailbox_poll(reading_mailbox)

    blocked = SuppressedAddress.objects.get()
    assert blocked.email == "anna@example.de"
    assert "550 5.1.1 User unknown" in blocked.reason
    ours.refresh_from_db()
    assert ours.bounce == "hard" and ours.bounced_at is not None
    assert ours.bounce_reason == "5.1.1 550 5.1.1 User unknown"
    report = InboundMessage.objects.get()
    assert report.kind == "bounce" and report.reply_to_message == ours
    assert "anna@example.de" in report.note
    # No contact for the mailer daemon, nothing on the timeline but our mail.
    assert contacts() == (contacts_before)
    assert list(TimelineEntry.objects.values_list("source_type", flat=True)) == [
        "messaging.message"
    ]
    assert events() == []
    # The outbox no longer writes to the address.
    again = services.message_queue(template=template, contact=anna, key="k-2")
    assert "no longer sends to anna@example.de" in again.error


def test_a_soft_bounce_is_recorded_but_does_not_suppress(
    reading_mailbox, dovecot, anna, template
):
    ours = sent_to(template, anna)
    dovecot.append(dsn(ours, "4.4.1", "delayed", "451 4.4.1 Try again later"))

    imap.mailbox_poll(reading_mailbox)

    ours.refresh_from_db()
    assert ours.bounce == "soft" and "4.4.1" in ours.bounce_reason
    assert not SuppressedAddress.objects.exists()
    assert InboundMessage.objects.get().kind == "bounce"


class Crash(BaseException):
    """The worker is killed: nothing after it runs."""


def test_polling_again_after_a_crash_files_each_mail_exactly_once(
    reading_mailbox, dovecot, anna, monkeypatch
):
    monkeypatch.setattr(imap, "FETCH_COUNT", 2)  # two fetches of two mails
    uids = dovecot.append(*[mail("anna@example.de", f"Mail {n}") for n in range(4)])
    real_file = inbound.inbound_file_many
    calls = []

    def crash_in_the_second_fetch(**kwargs):
        calls.append([m.uid for m in kwargs["mails"]])
        if len(calls) == 2:
            real_file(**kwargs)  # filed, but the transaction never commits
            raise Crash
        return real_file(**kwargs)

    monkeypatch.setattr(inbound, "inbound_file_many", crash_in_the_second_fetch)
    with pytest.raises(Crash):
        imap.mailbox_poll(reading_mailbox)
    monkeypatch.setattr(inbound, "inbound_file_many", real_file)

    assert calls == [uids[:2], uids[2:]]
    assert InboundMessage.objects.count() == 2
    reading_mailbox.refresh_from_db()
    assert reading_mailbox.imap_last_uid == uids[1]

    assert imap.mailbox_poll(reading_mailbox).filed == 2
    assert imap.mailbox_poll(reading_mailbox).filed == 0
    # Progress lost altogether (a restored backup): the Message-IDs hold.
    Mailbox.objects.filter(pk=reading_mailbox.pk).update(imap_last_uid=0)
    again = imap.mailbox_poll(reading_mailbox)

    assert (again.filed, again.duplicates) == (0, 4)
    assert sorted(InboundMessage.objects.values_list("subject", flat=True)) == [
        f"Mail {n}" for n in range(4)
    ]
    assert len(events()) == 4
    assert TimelineEntry.objects.filter(source_type="messaging.inbound").count() == 4


def test_the_same_mail_delivered_twice_has_one_effect(reading_mailbox, dovecot, anna):
    message = mail("anna@example.de", "Doppelt")
    dovecot.append(message, message)

    result = imap.mailbox_poll(reading_mailbox)

    assert (result.filed, result.duplicates) == (1, 1)
    assert InboundMessage.objects.count() == 1 and len(events()) == 1


def test_malformed_mail_is_filed_with_what_can_be_read_and_the_batch_goes_on(
    reading_mailbox, dovecot, anna, settings
):
    settings.KUNDIG_MAIL_MAX_BYTES = 50_000
    bad_charset = (
        b"From: anna@example.de\r\nSubject: =?x-unknown?Q?Kaputt?=\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nR3V0ZW4gVGFn!!!\r\n"
    )
    no_headers = b"\r\nnur ein Text ohne Kopf\r\n"
    latin1 = (
        b"From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <juergen@example.de>\r\n"
        b"Subject: Gr\xfc\xdfe\r\nContent-Type: text/plain\r\n\r\n"
        b"Sch\xf6ne Gr\xfc\xdfe\r\n"
    )
    huge = mail("anna@example.de", "Riesig", "x" * 80_000)
    uids = dovecot.append(
        mail("anna@example.de", "Vorher"), bad_charset, no_headers, latin1, huge,
        mail("anna@example.de", "Nachher"),
    )  # fmt: skip

    result = imap.mailbox_poll(reading_mailbox)

    assert result.filed == 6 and result.error == ""
    reading_mailbox.refresh_from_db()
    assert reading_mailbox.imap_last_uid == uids[-1]
    subjects = set(InboundMessage.objects.values_list("subject", flat=True))
    assert {"Vorher", "Nachher", "Riesig"} <= subjects
    headless = InboundMessage.objects.get(text__contains="nur ein Text")
    assert headless.message_id.endswith("@kundig.invalid>")
    assert headless.from_email == "" and headless.contact is None
    juergen = InboundMessage.objects.get(from_email="juergen@example.de")
    assert juergen.from_name == "Jürgen Müller"
    assert juergen.contact.first_name == "Jürgen"
    large = InboundMessage.objects.get(subject="Riesig")
    assert large.text == "" and "only its headers were read" in large.note
    assert large.raw_size > 80_000


def test_a_mail_the_reader_fails_on_is_kept_whole_and_the_others_go_on(
    reading_mailbox, dovecot, anna, monkeypatch, caplog
):
    real_parse = inbound.mailparse.parse

    def parse(raw, **kwargs):
        if b"Unlesbar" in raw and not kwargs.get("headers_only"):
            raise ValueError("a bug in the parser")
        return real_parse(raw, **kwargs)

    monkeypatch.setattr(inbound.mailparse, "parse", parse)
    dovecot.append(
        mail("anna@example.de", "Unlesbar"), mail("anna@example.de", "Lesbar")
    )

    result = imap.mailbox_poll(reading_mailbox)

    assert (result.filed, result.unreadable) == (1, 1)
    kept = InboundMessage.objects.get(subject="Unlesbar")
    assert (
        "could not read this mail" in kept.note and "a bug in the parser" in kept.note
    )
    [original] = kept.attachments.all()
    assert original.filename == "original.eml"
    assert b"Subject: Unlesbar" in original.file.read()
    assert len(events()) == 1  # only the readable one
    assert "could not be filed" in caplog.text


def test_a_wrong_password_is_recorded_on_the_mailbox_and_never_logged(
    reading_mailbox, admin, caplog
):
    services.mailbox_save(
        actor=admin, mailbox=reading_mailbox, imap_password="Falsch-Passwort-99"
    )
    caplog.set_level(logging.DEBUG)

    result = imap.mailbox_poll(reading_mailbox)

    assert "refused the user name or password" in result.error
    reading_mailbox.refresh_from_db()
    assert reading_mailbox.imap_error == result.error
    assert "Falsch-Passwort-99" not in caplog.text


def test_the_scheduled_poll_reads_every_active_mailbox_and_survives_a_broken_one(
    reading_mailbox, closed_port_mailbox, dovecot, anna, admin
):
    services.mailbox_save(
        actor=admin, mailbox=closed_port_mailbox, imap_host="127.0.0.1",
        imap_port=closed_port_mailbox.smtp_port, imap_security="none",
        imap_username="x", imap_password="y",
    )  # fmt: skip
    dovecot.append(mail("anna@example.de", "Hallo"))

    assert imap.mailboxes_poll() == 1

    closed_port_mailbox.refresh_from_db()
    assert "Could not connect" in closed_port_mailbox.imap_error


# The IDLE loop closes stale database connections between waits, as a
# long-running process must: that needs a test outside a transaction.
@pytest.mark.django_db(transaction=True)
def test_idle_files_new_mail_when_the_server_reports_it(reading_mailbox, dovecot, anna):
    stop = threading.Event()
    started = time.monotonic()

    def deliver_then_stop():
        time.sleep(1.5)
        dovecot.append(mail("anna@example.de", "Eilig"))
        time.sleep(3)
        stop.set()

    sender = threading.Thread(target=deliver_then_stop)
    sender.start()
    # Renewing IDLE only after a minute: only the server's news can wake it.
    imap.mailbox_idle(reading_mailbox, stop=stop, renew=60)
    sender.join()

    assert InboundMessage.objects.get().subject == "Eilig"
    assert time.monotonic() - started < 30


def test_the_mailbox_page_shows_when_it_was_last_read(
    reading_mailbox, dovecot, admin, client_for
):
    imap.mailbox_poll(reading_mailbox)
    admin.language = "en"
    admin.save()

    body = client_for(admin).get(reverse("messaging:mailbox_list")).content.decode()

    assert "ago" in body
