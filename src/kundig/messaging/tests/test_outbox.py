"""The outbox against a real SMTP server: once per reason, retries, failures."""

import datetime as dt
import threading
import time

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.core.models import DomainEvent
from kundig.messaging import gate, outbox, services
from kundig.messaging.models import (
    Mailbox,
    Message,
    MessageTemplate,
    SuppressedAddress,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(admin, mailbox):
    return services.template_save(
        actor=admin,
        key="hello",
        name="Hello",
        purpose="transactional",
        contents={
            "de": {
                "subject": "Hallo {{ contact.first_name }}",
                "html": "<style>p{margin:0}</style><p>{{ salutation }},</p>"
                "<p>schön, dass Sie da sind.</p>",
            },
            "en": {
                "subject": "Hello {{ contact.first_name }}",
                "html": "<p>{{ salutation }},</p>",
            },
        },
    )


@pytest.fixture
def anna(make_contact, admin):
    return make_contact(
        admin, first_name="Anna", last_name="Weber", salutation="frau", title="Dr.",
        email="anna@example.de",
    )  # fmt: skip


def queue(template, contact, key="k-1"):
    return services.message_queue(template=template, contact=contact, key=key)


def test_a_queued_message_arrives_as_a_proper_multipart_mail(template, anna, smtp):
    queued = queue(template, anna)

    assert queued.created
    assert services.outbox_send_due() == 1

    [mail] = smtp.messages
    assert mail["Subject"] == "Hallo Anna"
    assert mail["From"] == "Weber Wohnen Service <service@weber-wohnen.example>"
    assert mail["To"] == "Anna Weber <anna@example.de>"
    assert mail["Message-ID"].strip() == queued.message.message_id
    assert mail["Message-ID"].endswith("@weber-wohnen.example>")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert "Sehr geehrte Frau Dr. Weber," in plain.get_content()
    assert html.get_content_type() == "text/html"
    assert (
        '<p style="margin: 0;">Sehr geehrte Frau Dr. Weber,</p>' in html.get_content()
    )
    message = Message.objects.get()
    assert message.status == "sent" and message.sent_at is not None
    entry = TimelineEntry.objects.get(source_type="messaging.message")
    assert entry.contact_id == anna.pk and entry.kind == "email"
    assert entry.direction == "out" and entry.summary == "Hallo Anna"
    assert DomainEvent.objects.filter(name="message.sent").count() == 1


def test_a_recipient_at_an_internationalised_domain_gets_the_mail(
    template, make_contact, admin, smtp
):
    # formataddr() refused such an address, and the error stopped the batch
    zoe = make_contact(admin, first_name="Zoë", last_name="Möller",
                       email="zoe@müller-möbel.de")  # fmt: skip
    queue(template, zoe)

    assert services.outbox_send_due() == 1

    [mail] = smtp.messages
    idna = "müller-möbel.de".encode("idna").decode()
    assert smtp.envelopes[0].rcpt_tos == [f"zoe@{idna}"]
    assert mail["To"] == f"Zoë Möller <zoe@{idna}>"
    assert Message.objects.get().status == "sent"


def test_the_contacts_language_picks_the_text(template, make_contact, admin, smtp):
    john = make_contact(admin, first_name="John", last_name="Smith", salutation="herr",
                        language="en", email="john@example.com")  # fmt: skip
    queue(template, john)
    services.outbox_send_due()

    [mail] = smtp.messages
    assert mail["Subject"] == "Hello John"
    assert "Dear Mr Smith," in mail.get_body(("plain",)).get_content()


def test_the_same_reason_queues_one_message_and_sends_it_once(template, anna, smtp):
    first = queue(template, anna)
    again = queue(template, anna)

    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert services.outbox_send_due() == 1
    assert services.outbox_send_due() == 0
    assert len(smtp.messages) == 1


def test_one_key_twice_in_one_batch_queues_one_message(template, anna, smtp):
    recipient = services.merge.Recipient(anna.pk)
    first, second = services.messages_queue(
        template=template,
        outgoing=[
            services.Outgoing(key="twice", recipient=recipient),
            services.Outgoing(key="twice", recipient=recipient),
        ],
    )

    assert first.message.pk == second.message.pk
    assert Message.objects.get().idempotency_key == "twice"
    assert services.outbox_send_due() == 1


def test_queued_messages_come_back_stored_with_their_ids(template, make_contact, admin):
    contacts = [make_contact(admin, email=f"k{n}@example.de") for n in range(3)]
    outgoing = [
        services.Outgoing(key=f"whole-{c.pk}", recipient=services.merge.Recipient(c.pk))
        for c in contacts
    ]

    queued = services.messages_queue(template=template, outgoing=outgoing)

    assert all(q.created and q.message.pk for q in queued)
    assert [q.message.to_email for q in queued] == [
        f"k{n}@example.de" for n in range(3)
    ]
    assert {q.message.pk for q in queued} == set(
        Message.objects.values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_message_twice(
    template, anna, smtp, make_contact, admin
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the lease test needs PostgreSQL")
    for n in range(20):
        contact = make_contact(admin, email=f"k{n}@example.de")
        queue(template, contact, key=f"k-{n}")
    results = []

    def worker():
        try:
            results.append(services.outbox_send_due(batch=3))
        finally:
            # Each thread has its own connection; left open, it keeps the
            # test database from being dropped at the end of the run.
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 20
    assert len(smtp.messages) == 20
    assert len({m["To"] for m in smtp.messages}) == 20


@pytest.mark.django_db(transaction=True)
def test_a_mailbox_sends_over_its_parallel_connections_each_message_once(
    template, mailbox, smtp, make_contact, admin
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite writes one transaction at a time: one connection")
    mailbox.smtp_connections = 3
    mailbox.save()
    for n in range(3 * services.PER_LANE):
        contact = make_contact(admin, email=f"k{n}@example.de")
        queue(template, contact, key=f"k-{n}")
    smtp.replies = ["451 4.3.0 Try again later"]  # one lane meets a busy server

    assert services.outbox_send_due() == 3 * services.PER_LANE - 1

    assert smtp.connections == 3
    assert len({m["To"] for m in smtp.messages}) == len(smtp.messages) == 74
    retry = Message.objects.get(status="queued")
    assert retry.last_error == "451 4.3.0 Try again later"
    assert Message.objects.filter(status="sent", lease="").count() == 74
    assert TimelineEntry.objects.filter(source_type="messaging.message").count() == 74
    assert DomainEvent.objects.filter(name="message.sent").count() == 74
    with connection.cursor() as cursor:  # the worker's session is as it was
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_one_run_keeps_its_connections_from_batch_to_batch(
    template, mailbox, smtp, make_contact, admin
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite writes one transaction at a time: one connection")
    mailbox.smtp_connections = 2
    mailbox.save()
    for n in range(4 * services.PER_LANE):
        contact = make_contact(admin, email=f"k{n}@example.de")
        queue(template, contact, key=f"k-{n}")

    # four batches, claimed one after the other while the last goes out
    assert services.outbox_send_due(batch=services.PER_LANE) == 4 * services.PER_LANE

    assert 1 <= smtp.connections <= 2
    assert len({m["To"] for m in smtp.messages}) == 4 * services.PER_LANE


@pytest.mark.django_db(transaction=True)
def test_when_what_was_sent_cannot_be_written_the_lanes_stop(
    template, mailbox, smtp, make_contact, admin, monkeypatch
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite: each lane writes its own outcomes, no recorder")
    for n in range(100):
        contact = make_contact(admin, email=f"k{n}@example.de")
        queue(template, contact, key=f"k-{n}")

    def disk_full(messages, token):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(outbox, "_mark_sent", disk_full)

    with pytest.raises(DatabaseError, match="No space left"):
        services.outbox_send_due()

    handed_over = len(smtp.messages)
    assert 0 < handed_over < 100
    # Handed over, but not known as sent: leased, so nobody resends them
    # before the lease ends (then they go again: SMTP cannot take them back).
    assert Message.objects.exclude(lease="").count() == handed_over
    # Never tried: free to go at once, the attempt not counted.
    untried = Message.objects.filter(lease="", status="queued")
    assert untried.count() == 100 - handed_over
    assert set(untried.values_list("attempts", flat=True)) == {0}


@pytest.mark.django_db(transaction=True)
def test_a_lane_that_breaks_stops_the_run_with_its_error(
    template, mailbox, smtp, make_contact, admin, monkeypatch
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite: one lane in the calling thread, its error just rises")
    for n in range(30):
        contact = make_contact(admin, email=f"k{n}@example.de")
        queue(template, contact, key=f"k-{n}")

    def broken(message):
        raise RuntimeError("a bug in the lane")

    monkeypatch.setattr(outbox, "wire_message", broken)

    with pytest.raises(RuntimeError, match="a bug in the lane"):
        services.outbox_send_due()

    assert not smtp.messages
    # the message the lane broke on stays leased (and is tried once more after
    # the lease); what no lane took is free again at once
    untried = Message.objects.filter(lease="", status="queued").count()
    assert 1 <= Message.objects.exclude(lease="").count() <= 2  # one per lane
    assert untried == 30 - Message.objects.exclude(lease="").count()


def test_lanes_that_stopped_do_not_keep_the_run_waiting():
    # Mailbox 1's lanes died with messages left; mailbox 2's lane is idle.
    lanes = outbox._Lanes(recorder=None)
    idle = threading.Event()
    alive = threading.Thread(target=idle.wait, args=(10,))
    alive.start()
    try:
        lanes._queues = {1: outbox.queue.SimpleQueue(), 2: outbox.queue.SimpleQueue()}
        lanes._queues[1].put(("message", "token"))
        lanes._threads = {1: [threading.Thread(target=lambda: None)], 2: [alive]}

        assert not lanes.busy()
        lanes._queues[2].put(("message", "token"))
        assert lanes.busy()
    finally:
        idle.set()
        alive.join()


def test_a_message_whose_attempts_never_finished_is_given_up(template, anna, smtp):
    queued = queue(template, anna)
    # claimed eight times, and each time the worker died on it
    Message.objects.filter(pk=queued.message.pk).update(
        attempts=services.MAX_ATTEMPTS, next_attempt_at=timezone.now()
    )

    assert services.outbox_send_due() == 0

    message = Message.objects.get()
    assert message.status == "failed"
    assert message.last_error == (
        f"Gave up after {services.MAX_ATTEMPTS} attempts that did not finish."
    )
    assert not smtp.messages


def test_a_message_held_too_long_goes_back_instead_of_out(template, anna, smtp):
    # a lane's queue so slow that the claim's lease is half gone: another
    # worker may take the message when it ends, so this one must not send it
    queue(template, anna)
    work = outbox._claim_wanted(10)
    lane = outbox._Lane(outbox._InlineRecorder())

    lane.send(
        work.messages[0], work.token, time.monotonic() - outbox.LEASE.total_seconds()
    )
    lane.close()

    assert not smtp.messages
    message = Message.objects.get()
    assert (message.status, message.lease, message.attempts) == ("queued", "", 0)
    assert services.outbox_send_due() == 1


@pytest.mark.parametrize(("value", "error"), [
    ("0", "Ensure this value is greater than or equal to 1."),
    ("11", "Ensure this value is less than or equal to 10."),
    ("", "This field is required."),
])  # fmt: skip
def test_the_mailbox_form_refuses_a_number_of_connections_out_of_range(
    client_for, admin, value, error
):
    admin.language = "en"
    admin.save()
    response = client_for(admin).post(
        reverse("messaging:mailbox_create"),
        {
            "name": "Shop", "email": "shop@example.de", "is_active": "on",
            "smtp_host": "mail.example.de", "smtp_port": "587",
            "smtp_security": "starttls", "smtp_connections": value,
            "imap_port": "993", "imap_security": "ssl", "imap_folder": "INBOX",
        },
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors == {"smtp_connections": [error]}
    assert not Mailbox.objects.exists()


def test_a_4xx_answer_retries_later_with_backoff(template, anna, smtp):
    smtp.replies = ["451 4.3.0 Try again later"]
    queue(template, anna)

    assert services.outbox_send_due() == 0
    message = Message.objects.get()
    assert message.status == "queued"
    assert message.attempts == 1
    assert message.last_error == "451 4.3.0 Try again later"
    assert message.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)

    Message.objects.update(next_attempt_at=timezone.now())
    assert services.outbox_send_due() == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.last_error == ""
    assert len(smtp.messages) == 1


def test_a_5xx_answer_fails_the_message_with_the_reason(template, anna, smtp):
    smtp.replies = ["554 5.7.1 Message rejected as spam"]
    queue(template, anna)

    services.outbox_send_due()

    message = Message.objects.get()
    assert message.status == "failed"
    assert message.last_error == "554 5.7.1 Message rejected as spam"
    assert not TimelineEntry.objects.filter(source_type="messaging.message").exists()


def test_a_failed_message_can_be_sent_again(template, anna, smtp, admin):
    smtp.replies = ["554 no"]
    queue(template, anna)
    services.outbox_send_due()

    services.message_retry(actor=admin, message=Message.objects.get())
    assert services.outbox_send_due() == 1
    assert Message.objects.get().status == "sent"


def test_a_server_that_is_down_is_retried_and_given_up_on_at_last(
    closed_port_mailbox, anna, admin
):
    template = services.template_save(
        actor=admin, key="down", name="Down", mailbox=closed_port_mailbox,
        contents={"de": {"subject": "x", "html": "<p>x</p>"}},
    )  # fmt: skip
    queue(template, anna)

    for _ in range(services.MAX_ATTEMPTS):
        Message.objects.filter(status="queued").update(next_attempt_at=timezone.now())
        assert services.outbox_send_due() == 0

    message = Message.objects.get()
    assert message.status == "failed"
    assert message.attempts == services.MAX_ATTEMPTS
    assert message.last_error.startswith(
        f"Gave up after {services.MAX_ATTEMPTS} attempts"
    )


def test_a_lost_attempt_is_taken_again_after_its_lease(template, anna, smtp):
    queue(template, anna)
    # A worker claimed it and died before sending.
    outbox._claim(10)
    assert services.outbox_send_due() == 0

    Message.objects.update(next_attempt_at=timezone.now())
    assert services.outbox_send_due() == 1


def test_one_connection_carries_a_whole_batch(template, make_contact, admin, smtp):
    for n in range(5):
        queue(template, make_contact(admin, email=f"b{n}@example.de"), key=f"b-{n}")

    assert services.outbox_send_due() == 5
    assert smtp.connections == 1


def test_bad_and_suppressed_addresses_stop_only_their_message(
    template, anna, make_contact, admin
):
    SuppressedAddress.objects.create(email="bounced@example.de", reason="hard bounce")
    bounced = make_contact(admin, email="bounced@example.de")
    nobody = make_contact(admin)
    nobody.emails.all().delete()

    results = services.messages_queue(
        template=template,
        outgoing=[
            services.Outgoing("a", services.merge.Recipient(anna.pk)),
            services.Outgoing("b", services.merge.Recipient(bounced.pk)),
            services.Outgoing("c", services.merge.Recipient(nobody.pk)),
        ],
    )

    assert results[0].created
    assert "no longer sends to bounced@example.de" in results[1].error
    assert results[2].error == "The contact has no email address."
    assert Message.objects.count() == 1


def test_a_template_error_for_one_recipient_leaves_the_others(
    admin, mailbox, anna, make_contact
):
    template = services.template_save(
        actor=admin, key="shipped", name="Shipped",
        contents={"de": {"subject": "x", "html": "<p>{{ shipment.tracking_url }}</p>"}},
    )  # fmt: skip

    queued = services.message_queue(template=template, contact=anna, key="x")

    assert queued.message is None
    assert "A merge value is missing" in queued.error
    assert not Message.objects.exists()


def test_marketing_messages_need_consent(admin, mailbox, anna):
    template = services.template_save(
        actor=admin, key="news", name="News", purpose="newsletter",
        contents={"de": {"subject": "News", "html": "<p>Neu</p>"}},
    )  # fmt: skip

    queued = services.message_queue(template=template, contact=anna, key="n")
    assert queued.error == "No confirmed consent for Newsletter."

    registered = list(gate._consent_policy)  # the privacy app's
    services.consent_policy_register(
        services.ConsentPolicy(
            allowed=lambda ids, purpose: {anna.pk} & set(ids),
            unsubscribe_url=lambda contact_id, purpose: f"https://x.test/u/{purpose}",
        )
    )
    try:
        queued = services.message_queue(template=template, contact=anna, key="n")
    finally:
        gate._consent_policy[:] = registered
    assert queued.created
    assert queued.message.headers["List-Unsubscribe"] == "<https://x.test/u/newsletter>"
    assert queued.message.headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )


def test_a_template_is_refused_with_the_line_of_its_problem(admin, mailbox):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.template_save(
            actor=admin, key="bad", name="Bad",
            contents={"de": {"subject": "ok",
                             "html": "<p>ok</p>\n<p>{{ contact.shoe_size }}</p>"}},
        )  # fmt: skip
    assert caught.value.message_dict["html_de"] == [
        "Line 2: Unknown merge field “contact.shoe_size”."
    ]
    assert not MessageTemplate.objects.filter(key="bad").exists()


def test_only_admins_and_marketing_write_templates(sales_nord, marketing_user, mailbox):
    from django.core.exceptions import PermissionDenied

    contents = {"de": {"subject": "x", "html": "<p>x</p>"}}
    with pytest.raises(PermissionDenied):
        services.template_save(actor=sales_nord, key="s", name="S", contents=contents)
    assert services.template_save(
        actor=marketing_user, key="m", name="M", contents=contents
    )


def test_mailbox_passwords_are_stored_encrypted(mailbox, admin):
    assert mailbox.smtp_password_encrypted.startswith("fernet:")
    assert "not-needed" not in mailbox.smtp_password_encrypted
    assert mailbox.smtp_password == "not-needed"
    # Saving without a password keeps it.
    services.mailbox_save(actor=admin, mailbox=mailbox, name="Service 2")
    mailbox.refresh_from_db()
    assert mailbox.smtp_password == "not-needed"


def test_the_mailbox_test_reports_a_server_that_is_down(closed_port_mailbox, mailbox):
    assert "Could not connect" in services.mailbox_test(closed_port_mailbox)
    assert services.mailbox_test(mailbox) is None


def test_a_worker_that_died_after_sending_leaves_the_timeline_to_the_next_run(
    template, anna, smtp, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from kundig.core.models import DomainEvent

    queue(template, anna)
    monkeypatch.setattr(outbox, "_record_sent", lambda messages: None)  # dies
    assert services.outbox_send_due() == 1
    assert not TimelineEntry.objects.filter(source_type="messaging.message").exists()
    monkeypatch.undo()

    services.outbox_send_due()  # too soon: the worker may still be recording
    assert not TimelineEntry.objects.filter(source_type="messaging.message").exists()
    Message.objects.update(sent_at=timezone.now() - timedelta(minutes=11))
    services.outbox_send_due()
    services.outbox_send_due()  # and only once

    assert TimelineEntry.objects.filter(source_type="messaging.message").count() == 1
    assert DomainEvent.objects.filter(name="message.sent").count() == 1
    assert len(smtp.messages) == 1
    assert Message.objects.get().recorded_at is not None
