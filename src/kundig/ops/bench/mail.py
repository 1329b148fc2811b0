"""The mail side of the benchmark: a big send step, the SMTP hand-over, intake.

* **Playbook step, render and queue**: a playbook that sends a newsletter
  template on ``customer.inactive``, and that event for N contacts of the
  benchmark database (100,000 by default) with confirmed consent, emitted as
  the daily scan emits them. Timed is what one worker does with them: hand
  the events to their handlers (the playbook starts a run per contact,
  outgoing webhooks look for subscribers), then take the runs' send step,
  500 runs at a time as ``runs_advance_task`` does: merge data, consent
  check, Jinja2 render, CSS inlining, sanitising, plain text, one bulk
  insert per group, the runs' log. Measured: messages rendered and queued
  per second, from the events to the queued messages.
* **SMTP hand-over**: the outbox sends a share of them (10,000) to a local
  SMTP sink (aiosmtpd in a process of its own, accepting everything at
  once) over reused, parallel connections (the mailbox's setting, 4 here),
  and then another share (2,000) to a sink that takes 20 ms to accept each
  mail, as a real server that stores or relays it does. Measured: messages
  per second, each next to what the same sink takes from bare ``smtplib``
  clients sending ready-made mails over one connection and over four: the
  server's limit.
* **Intake**: generated customer mails (some with an attachment, some
  replies to sent messages, some auto-replies) filed in this one process as
  the IMAP reader files them: a fetch of mails at a time
  (``inbound_file_many``), each in one transaction. Measured: mails parsed
  and filed per second.

Consent for the recipients is recorded once (untimed) and stays, like the
messages, in the benchmark database; every run queues new messages (a new
idempotency key per run).
"""

from __future__ import annotations

import datetime as dt
import random
import smtplib
import socket
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.db import transaction
from django.utils import timezone

from . import database
from .shop import ShopResults
from .sink import sink_start, sink_stop

BATCH = 1000
SMTP_CONNECTIONS = 4
BARE_SAMPLE = 1000  # mails the bare clients send
LATENCY_SEND = 2000  # mails handed to the slow sink (at most --mail-send)
FAR = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)  # held back meanwhile
TEMPLATE_KEY = "bench-newsletter"
PLAYBOOK_KEY = "bench-inactive"
HTML = """<style>p { color: #333; } .muted { color: #888; font-size: 12px; }</style>
<p>{{ salutation }},</p>
<p>unsere Neuheiten im {{ today }} für Sie, {{ contact.first_name }}:</p>
<ul>{% for r in recommendations %}<li>{{ r.name }} – {{ r.price }}</li>{% endfor %}</ul>
<p>Ihr Betreuer: {{ contact.owner_name }} · {{ contact.city }}</p>
<p>Viele Grüße<br>{{ sender.name }}</p>
<p class="muted"><a href="{{ unsubscribe_url }}">Abmelden</a></p>
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _mailbox(port: int):
    from kundig.messaging.models import Mailbox

    mailbox, _created = Mailbox.objects.update_or_create(
        email="bench@kundig.bench",
        defaults={
            "name": "Bench",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_connections": SMTP_CONNECTIONS,
            "is_active": True,
        },
    )
    return mailbox


def _bare_rate(port: int, raws: list[bytes], *, connections: int = 1) -> float:
    """Mails per second the sink takes from bare clients (threads, one
    connection each) sending ready-made mails."""

    def client(share: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for raw in share:
                smtp.sendmail("bench@kundig.bench", ["kunde@example.de"], raw)

    threads = [
        threading.Thread(target=client, args=(raws[n::connections],))
        for n in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(raws) / (time.perf_counter() - started)


def _template(mailbox):
    from kundig.messaging import services
    from kundig.messaging.models import MessageTemplate

    return services.template_save(
        actor=None,
        template=MessageTemplate.objects.filter(key=TEMPLATE_KEY).first(),
        key=TEMPLATE_KEY,
        name="Bench",
        purpose="newsletter",
        mailbox=mailbox,
        contents={
            "de": {"subject": "Neu für Sie, {{ contact.first_name }}", "html": HTML}
        },
    )


def _playbook(template):
    """The benchmark's playbook: a newsletter to each inactive customer."""
    from kundig.automation import services
    from kundig.automation.models import Playbook

    return services.playbook_save(
        actor=None,
        playbook=Playbook.objects.filter(key=PLAYBOOK_KEY).first(),
        key=PLAYBOOK_KEY,
        name="Bench: newsletter to inactive customers",
        trigger="customer.inactive",
        is_active=True,
        steps_=[{"kind": "send_template", "template": template.key}],
    )


def _emit_inactive(ids: list[int]) -> None:
    """``customer.inactive`` for each contact, as the daily scan emits it."""
    from kundig.core.events import emit_many

    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            emit_many(
                ("customer.inactive", "contacts.contact", pk, {"bench": True})
                for pk in ids[start : start + BATCH]
            )


def _recipients(count: int) -> list[int]:
    """Contact ids with an email address, ``count`` of them, consent recorded."""
    from django.apps import apps

    from kundig.privacy.models import Consent, ConsentRecord

    emails = apps.get_model("contacts", "ContactEmail")
    ids = list(
        emails.objects.filter(is_primary=True)
        .order_by("contact_id")
        .values_list("contact_id", flat=True)[:count]
    )
    have = set(
        Consent.objects.filter(
            purpose="newsletter", channel="email", status="granted", contact_id__in=ids
        ).values_list("contact_id", flat=True)
    )
    missing = [pk for pk in ids if pk not in have]
    now = timezone.now()
    for start in range(0, len(missing), 5000):
        chunk = missing[start : start + 5000]
        with transaction.atomic():
            records = ConsentRecord.objects.bulk_create(
                [
                    ConsentRecord(
                        contact_id=pk, purpose="newsletter", channel="email",
                        action="given", source="staff", note="benchmark",
                        occurred_at=now,
                    )
                    for pk in chunk
                ]
            )  # fmt: skip
            Consent.objects.bulk_create(
                [
                    Consent(
                        contact_id=r.contact_id, purpose="newsletter",
                        channel="email", status="granted", since=now, record=r,
                    )
                    for r in records
                ],
                ignore_conflicts=True,
            )  # fmt: skip
    return ids


def _inbound_mails(count: int, addresses: list[str], replies: list[str], rng):
    """Raw customer mails: plain, with an attachment, replies, auto-replies."""
    mails = []
    for n in range(count):
        msg = EmailMessage()
        msg["From"] = f"Kunde {n} <{rng.choice(addresses)}>"
        msg["To"] = "bench@kundig.bench"
        msg["Subject"] = f"Frage zu meiner Bestellung {n}"
        msg["Date"] = format_datetime(timezone.now())
        msg["Message-ID"] = make_msgid(domain="customer.bench")
        kind = n % 10
        if kind == 0:
            msg["Auto-Submitted"] = "auto-replied"
        if kind in (1, 2) and replies:
            msg["In-Reply-To"] = rng.choice(replies)
        msg.set_content(
            "Guten Tag,\n\nwann kommt mein Paket? Die Bestellung ist von letzter "
            "Woche.\n\nViele Grüße\n" * 3
        )
        msg.add_alternative(
            "<p>Guten Tag,</p><p>wann kommt mein <b>Paket</b>?</p>"
            "<script>alert(1)</script>",
            subtype="html",
        )
        if kind == 3:
            msg.add_attachment(
                b"%PDF-1.4\n" + bytes(rng.getrandbits(8) for _ in range(20_000)),
                maintype="application",
                subtype="pdf",
                filename="rechnung.pdf",
            )
        mails.append(msg.as_bytes())
    return mails


def _handover(results, ids: list[int], *, port: int, latency_ms: float, write) -> int:
    """Time the outbox sending ``ids``, next to bare clients on the same sink.

    Returns how many mails the sink should have received.
    """
    from kundig.messaging import services
    from kundig.messaging.models import Message

    if not ids:
        return 0
    where = (
        f"a sink that takes {latency_ms:g} ms per mail"
        if latency_ms
        else "a local sink"
    )
    sample = Message.objects.filter(pk__in=ids[:BARE_SAMPLE]).select_related("mailbox")
    raws = [services.wire_message(m).data for m in sample]
    if latency_ms:
        raws = raws[: max(1, int(2000 / latency_ms))]  # about two seconds
    one = _bare_rate(port, raws)
    many = _bare_rate(port, raws * SMTP_CONNECTIONS, connections=SMTP_CONNECTIONS)
    write(f"Handing {len(ids):,} messages to {where} …")
    started = time.perf_counter()
    sent = 0
    while done := services.outbox_send_due(batch=500, budget_seconds=600):
        sent += done
    took = time.perf_counter() - started
    rate = sent / took if took and sent else 0
    results.add(
        f"SMTP hand-over to {where} ({SMTP_CONNECTIONS} connections), "
        "messages per second",
        f"{rate:,.0f}/s" if rate else "–",
        "limited by the server",
    )
    results.add(
        f"  the same sink from bare clients, mails ready-made: one connection, "
        f"{SMTP_CONNECTIONS} connections",
        f"{one:,.0f}/s, {many:,.0f}/s",
        "the server's limit",
    )
    if sent != len(ids):
        results.add(f"SMTP hand-over to {where}, sent", f"{sent:,}", f"{len(ids):,}")
    return len(raws) * (1 + SMTP_CONNECTIONS) + sent


def mail_benchmark(
    *,
    recipients: int,
    send: int,
    inbound: int,
    latency_ms: float = 0,
    seed: int = 1,
    write=print,
) -> ShopResults:
    from django_tasks_db.models import DBTaskResult

    from kundig.automation.models import Run, RunStep
    from kundig.automation.services import ADVANCE_BATCH, runs_advance_many
    from kundig.core.events import dispatch_pending
    from kundig.core.models import DomainEvent, HandledEvent
    from kundig.messaging.imap import FETCH_COUNT
    from kundig.messaging.inbound import Incoming, inbound_file_many
    from kundig.messaging.models import Mailbox, Message
    from kundig.privacy.models import Consent

    rng = random.Random(seed)
    results = ShopResults()
    port = _free_port()
    sink = sink_start(port)
    received = None
    try:
        mailbox = _mailbox(port)
        template = _template(mailbox)
        write(f"Recording newsletter consent for {recipients:,} contacts …")
        ids = _recipients(recipients)
        if len(ids) < recipients:
            write(f"Only {len(ids):,} contacts have an email address; using those.")
        playbook = _playbook(template)
        database.tidy(Message, DomainEvent, HandledEvent, Run, RunStep, Consent)
        write(f"Emitting customer.inactive for {len(ids):,} contacts …")
        since = timezone.now()
        _emit_inactive(ids)
        write(f"Taking the playbook's send step for {len(ids):,} contacts …")
        started = time.perf_counter()
        dispatch_pending()
        runs = list(
            Run.objects.filter(
                playbook=playbook, status="running", started_at__gte=since
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(runs), ADVANCE_BATCH):
            runs_advance_many(runs[start : start + ADVANCE_BATCH])
        took = time.perf_counter() - started
        playbook.is_active = False
        playbook.save(update_fields=["is_active"])
        # What the worker would have run is done; the outbox part follows.
        DBTaskResult.objects.filter(status="READY", enqueued_at__gte=since).delete()
        mine = Message.objects.filter(
            mailbox=mailbox, template=template, created_at__gte=since
        )
        queued = mine.count()
        results.add(
            f"Playbook step to {len(ids):,}: rendered and queued per second",
            f"{queued / took:,.0f}/s" if took and queued else "–",
            "≥ 1,000/s",
        )
        failed = RunStep.objects.filter(
            run__playbook=playbook, run__started_at__gte=since, outcome="failed"
        ).count()
        if failed or queued != len(ids):
            results.add(
                "Playbook step, recipients refused", f"{len(ids) - queued:,}", "0"
            )
        # Only a share of this run's messages go to the sinks; the rest wait
        # as cancelled.
        slow_count = min(LATENCY_SEND, send) if latency_ms else 0
        keep = list(
            mine.order_by("id").values_list("id", flat=True)[: send + slow_count]
        )
        keep, slow = keep[:send], keep[send:]
        # Also what an earlier, interrupted run left queued.
        Message.objects.filter(mailbox=mailbox, status="queued").exclude(
            id__in=keep + slow
        ).update(status="cancelled", next_attempt_at=None)
        Message.objects.filter(pk__in=slow).update(next_attempt_at=FAR)
        database.tidy(Message)
        received = _handover(results, keep, port=port, latency_ms=0, write=write)
        if slow:
            slow_port = _free_port()
            slow_sink = sink_start(slow_port, latency_ms=latency_ms)
            try:
                Mailbox.objects.filter(pk=mailbox.pk).update(smtp_port=slow_port)
                Message.objects.filter(pk__in=slow).update(
                    next_attempt_at=timezone.now()
                )
                slow_received = _handover(
                    results, slow, port=slow_port, latency_ms=latency_ms, write=write
                )
            finally:
                slow_got = sink_stop(slow_sink)
                Mailbox.objects.filter(pk=mailbox.pk).update(smtp_port=port)
            if slow_got != slow_received:
                results.add(
                    "SMTP sink (slow) received", f"{slow_got:,}", f"{slow_received:,}"
                )
        if inbound:
            addresses = list(
                mine.values_list("to_email", flat=True)[: max(inbound // 4, 1)]
            )
            replies = list(mine.values_list("message_id", flat=True)[:200])
            mails = _inbound_mails(inbound, addresses or ["new@customer.bench"],
                                   replies, rng)  # fmt: skip
            warm = _inbound_mails(20, addresses or ["x@customer.bench"], [], rng)
            inbound_file_many(  # warm-up, untimed
                mailbox=mailbox, mails=[Incoming(raw=raw) for raw in warm]
            )
            write(f"Filing {len(mails):,} incoming mails in this one process …")
            started = time.perf_counter()
            for start in range(0, len(mails), FETCH_COUNT):
                fetch = mails[start : start + FETCH_COUNT]
                with transaction.atomic():
                    inbound_file_many(
                        mailbox=mailbox, mails=[Incoming(raw=raw) for raw in fetch]
                    )
            took = time.perf_counter() - started
            results.add(
                "Incoming mails parsed and filed per second (one worker)",
                f"{len(mails) / took:,.0f}/s" if took else "–",
                "≥ 200/s",
            )
    finally:
        got = sink_stop(sink)
    if received is not None and got != received:
        results.add("SMTP sink received", f"{got:,}", f"{received:,}")
    return results
