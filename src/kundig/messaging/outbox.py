"""The outbox: hands queued messages to their mailboxes' SMTP servers, each once.

A worker *claims* a batch by stamping its own lease token on rows that are
still queued and due (one conditional UPDATE, so two workers never take the
same row), checks consent and blocked addresses once more, and feeds each
mailbox's share to that mailbox's *lanes*: threads with an SMTP connection
each (up to the mailbox's ``smtp_connections``), kept open for the whole
run, while the next batch is claimed. SMTP 4xx answers and connection
errors retry with exponential backoff and jitter; 5xx answers fail the
message with the server's reason.

A lane does not wait for the database between two messages. It hands each
accepted message to the run's *recorder*, a thread that commits the
``sent`` states as they come — one statement for all that arrived while the
last one ran, only where the lease still holds — and, when no mark is
waiting, puts them on the contacts' timelines. SMTP has no way to take a
message twice without delivering it twice, so a worker killed between a
server's 250 and that commit sends those messages again after their lease:
the messages of the last few milliseconds (ADR 18, ADR 21). Where the
recorder cannot run beside the lanes (SQLite, which writes one transaction
at a time, or inside an open transaction that other threads cannot see) one
lane in the calling thread commits each outcome itself.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import secrets
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.core.mail import get_connection
from django.db import Error, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundig.activity.choices import Channel, Direction, Kind
from kundig.activity.services import SourceEntry, timeline_add_many
from kundig.core.events import emit_many
from kundig.core.text import one_line

from . import wire
from .choices import MARKETING_PURPOSES, MessageStatus, Security
from .gate import contacts_may_receive, suppressed
from .models import Mailbox, Message

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=4)
# Longer than a batch can take to send; an attempt still running after it
# is taken to be lost and the message goes out again.
LEASE = timedelta(minutes=10)
BATCH = 200
# Sent messages go on the timeline this many at a time (one transaction;
# a transaction's fixed cost is then shared by many: 50 → 200 was +10 %),
# and fewer while lanes still send: a mark that arrives waits for it.
RECORD_EVERY = 200
RECORD_WHILE_SENDING = 50
# A mailbox's parallel connections open only for this many messages each.
PER_LANE = 25
SMTP_TIMEOUT = 30

_random = secrets.SystemRandom()


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: doubling, capped, jittered."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)
    return base * _random.uniform(0.5, 1.0)


def smtp_connection(mailbox: Mailbox):
    """A Django SMTP connection to the mailbox's server (not yet opened)."""
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_username,
        password=mailbox.smtp_password if mailbox.smtp_username else "",
        use_tls=mailbox.smtp_security == Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Security.SSL,
        timeout=SMTP_TIMEOUT,
        fail_silently=False,
    )


def wire_message(message: Message) -> wire.Envelope:
    """The message as it goes on the wire: envelope, headers, parts, as bytes."""
    mailbox = message.mailbox
    headers = [
        ("From", wire.mailbox(one_line(mailbox.sender_name or mailbox.name),
                              mailbox.email)),
        ("To", wire.mailbox(one_line(message.to_name), message.to_email)),
        ("Subject", one_line(message.subject)),
        ("Message-ID", message.message_id),
    ]  # fmt: skip
    if message.in_reply_to:
        headers.append(("In-Reply-To", message.in_reply_to))
        headers.append(
            ("References", one_line(f"{message.references} {message.in_reply_to}"))
        )
    headers += [
        (one_line(name), one_line(value))
        for name, value in (message.headers or {}).items()
    ]
    return wire.Envelope(
        sender=wire.envelope_address(mailbox.email),
        recipients=[wire.envelope_address(message.to_email)],
        data=wire.message_bytes(headers=headers, text=message.text, html=message.html),
    )


def outbox_send_due(*, batch: int = BATCH, budget_seconds: float = 50) -> int:
    """Send queued messages that are due; return how many went out.

    Runs until nothing is due or ``budget_seconds`` have passed. Each
    mailbox's connections stay open for the whole run, and the next batch
    is claimed while the last one is still going out, so the lanes never
    wait for the database.
    """
    deadline = time.monotonic() + budget_seconds
    _record_left_over()
    # SQLite writes one transaction at a time anyway; and other threads could
    # not see the rows of a transaction still open here.
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _send_threaded(batch, deadline)
    recorder = _InlineRecorder()
    lane = _Lane(recorder)
    try:
        while time.monotonic() < deadline:
            work = _claim_wanted(batch)
            if not work.messages:
                break
            for message in work.messages:
                lane.send(message, work.token, work.at)
    finally:
        lane.close()
        sent = recorder.close()
    return sent


def _send_threaded(batch: int, deadline: float) -> int:
    recorder = _Recorder()
    lanes = _Lanes(recorder)
    try:
        with _commit_without_waiting():
            while time.monotonic() < deadline and not recorder.broken.is_set():
                work = _claim_wanted(batch)
                if not work.messages:
                    break
                lanes.feed(work)
                # Claim the next batch when this one is half out (or the lanes
                # stopped, or the time is up).
                while (
                    lanes.backlog() > batch // 2
                    and lanes.busy()
                    and not recorder.broken.is_set()
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.005)
    finally:
        lanes.close()
        sent = recorder.close()
    if lanes.error is not None:
        raise lanes.error
    return sent


# --- Claiming -------------------------------------------------------------------------


@dataclass
class _Claim:
    token: str
    messages: list[Message]
    at: float = field(default_factory=time.monotonic)


def _claim(limit: int) -> tuple[str, list[Message]]:
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Walk the due index in order: a plain index scan marks the
            # entries of messages already sent as dead as it passes them
            # (a bitmap scan, which the planner would choose, does not), so
            # claiming stays fast while a big send empties the queue faster
            # than vacuum cleans the index.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_bitmapscan TO off")
        due = list(
            _due(now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not due:
            return token, []
        # Locked above: by id alone, the primary key serves.
        Message.objects.filter(pk__in=due).update(
            lease=token, next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    claimed = sorted(
        _claimed(due, token), key=lambda message: (message.mailbox_id, message.pk)
    )
    mailboxes = Mailbox.objects.in_bulk({message.mailbox_id for message in claimed})
    for message in claimed:
        message.mailbox = mailboxes[message.mailbox_id]
    return token, claimed


def _due(now) -> QuerySet[Message]:
    """Queued messages due at ``now``, oldest first (the due index serves)."""
    return Message.objects.filter(
        status=MessageStatus.QUEUED, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "id")


def _claimed(ids: list[int], token: str) -> QuerySet[Message]:
    """The messages claimed with ``token``, by id.

    With no join and no order: a join to the mailboxes or an ORDER BY tempts
    the planner to walk all of a mailbox's messages instead.
    """
    return Message.objects.filter(pk__in=ids, lease=token).order_by()


def _claim_wanted(limit: int) -> _Claim:
    """Claim due messages, and cancel those no longer wanted (one query each)."""
    token, claimed = _claim(limit)
    if not claimed:
        return _Claim(token, [])
    # Blocked since they were queued (a bounce, an objection), consent
    # withdrawn: one query for the addresses, one per purpose.
    blocked = suppressed(m.to_email for m in claimed)
    consented = _consented(claimed)
    wanted = []
    for message in claimed:
        if message.attempts > MAX_ATTEMPTS:
            # Its last attempts were claimed and never finished (a worker
            # died on it, each time): not again.
            _finish(
                message,
                token,
                status=MessageStatus.FAILED,
                last_error=_("Gave up after %(n)d attempts that did not finish.")
                % {"n": MAX_ATTEMPTS},
                next_attempt_at=None,
            )
            continue
        reason = _still_wanted(message, blocked, consented)
        if reason:
            _finish(message, token, status=MessageStatus.CANCELLED, last_error=reason,
                    next_attempt_at=None)  # fmt: skip
        else:
            wanted.append(message)
    return _Claim(token, wanted)


def _release(work: _Claim) -> None:
    """Give back claimed messages that were not tried (the time was up)."""
    Message.objects.filter(
        pk__in=[m.pk for m in work.messages],
        lease=work.token,
        status=MessageStatus.QUEUED,
    ).update(lease="", next_attempt_at=timezone.now(), attempts=F("attempts") - 1)


def _consented(messages: list[Message]) -> set[tuple[int | None, str]]:
    """(contact, purpose) pairs of ``messages`` that may still go out."""
    by_purpose: dict[str, set] = {}
    for message in messages:
        by_purpose.setdefault(message.purpose, set()).add(message.contact_id)
    return {
        (contact_id, purpose)
        for purpose, ids in by_purpose.items()
        for contact_id in contacts_may_receive(ids, purpose)
    } | {
        (m.contact_id, m.purpose)
        for m in messages
        if m.contact_id is None and m.purpose not in MARKETING_PURPOSES
    }


def _still_wanted(message: Message, blocked: set[str], consented: set) -> str:
    if message.to_email.lower() in blocked:
        return _("Kundig no longer sends to %(email)s (it bounced or objected).") % {
            "email": message.to_email
        }
    if (message.contact_id, message.purpose) not in consented:
        return _("The consent was withdrawn before the message went out.")
    return ""


# --- Sending --------------------------------------------------------------------------


class _Lane:
    """One SMTP connection per mailbox, kept open, reopened after a fault."""

    def __init__(self, recorder) -> None:
        self.recorder = recorder
        self._smtp: dict[int, object] = {}

    def send(self, message: Message, token: str, claimed_at: float) -> None:
        if time.monotonic() - claimed_at > LEASE.total_seconds() / 2:
            # Its lease runs out soon and another worker may take it then:
            # not sent from here, given back to the queue instead.
            _release(_Claim(token, [message]))
            return
        try:
            envelope = wire_message(message)
        except ValueError as exc:  # a line break, an address it cannot write
            _failed(message, token, exc, permanent=True)
            return
        smtp = self._smtp.get(message.mailbox_id)
        try:
            if smtp is None:
                smtp = smtp_connection(message.mailbox)
                smtp.open()
                self._smtp[message.mailbox_id] = smtp
            smtp.connection.sendmail(
                envelope.sender, envelope.recipients, envelope.data
            )
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            permanent = (_code(exc) or 0) >= 500 and not isinstance(
                exc, smtplib.SMTPAuthenticationError
            )
            _failed(message, token, exc, permanent=permanent)
            if not isinstance(
                exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError
            ):
                # The connection may be broken: the next message opens a new one.
                _close(self._smtp.pop(message.mailbox_id, None))
            return
        self.recorder.sent(message, token)

    def close(self) -> None:
        for smtp in self._smtp.values():
            _close(smtp)
        self._smtp = {}


class _Lanes:
    """Threads, each with a lane, taking one mailbox's messages from its queue.

    A mailbox gets another lane (up to its ``smtp_connections``) for every
    ``PER_LANE`` messages waiting, so a few messages stay on one connection.
    """

    def __init__(self, recorder) -> None:
        self.recorder = recorder
        self.error: BaseException | None = None  # the first lane's that failed
        self._queues: dict[int, queue.SimpleQueue] = {}
        self._threads: dict[int, list[threading.Thread]] = {}
        self._language = translation.get_language()

    def feed(self, work: _Claim) -> None:
        for message in work.messages:
            self._queues.setdefault(message.mailbox_id, queue.SimpleQueue()).put(
                (message, work.token, work.at)
            )
        mailboxes = {message.mailbox_id: message.mailbox for message in work.messages}
        for pk, mailbox in mailboxes.items():
            threads = self._threads.setdefault(pk, [])
            wanted = min(
                mailbox.smtp_connections,
                math.ceil(self._queues[pk].qsize() / PER_LANE),
            )
            while len(threads) < max(wanted, 1):
                thread = threading.Thread(
                    target=self._run,
                    args=(self._queues[pk],),
                    name=f"outbox-{pk}-{len(threads)}",
                )
                thread.start()
                threads.append(thread)

    def backlog(self) -> int:
        return sum(q.qsize() for q in self._queues.values())

    def busy(self) -> bool:
        """Whether a lane is still there for messages that wait."""
        return any(
            self._queues[pk].qsize() and any(t.is_alive() for t in threads)
            for pk, threads in self._threads.items()
        )

    def close(self) -> None:
        """Let the lanes send what they hold, then stop them."""
        for pk, threads in self._threads.items():
            for _thread in threads:
                self._queues[pk].put(None)
        for threads in self._threads.values():
            for thread in threads:
                thread.join()
        # What a stopped lane left behind goes back to the queue at once.
        for waiting in self._queues.values():
            left: dict[str, list[Message]] = {}
            with contextlib.suppress(queue.Empty):
                while True:
                    item = waiting.get_nowait()
                    if item is not None:
                        left.setdefault(item[1], []).append(item[0])
            for token, messages in left.items():
                _release(_Claim(token, messages))

    def _run(self, waiting: queue.SimpleQueue) -> None:
        lane = _Lane(self.recorder)
        try:
            with translation.override(self._language), _commit_without_waiting():
                while not self.recorder.broken.is_set():
                    item = waiting.get()
                    if item is None:
                        return
                    lane.send(*item)
        except Exception as exc:
            logger.exception("An outbox lane stopped")
            self.error = self.error or exc
            self.recorder.broken.set()
        finally:
            lane.close()
            connection.close()  # this thread's own


def _close(smtp) -> None:
    if smtp is None:
        return
    with contextlib.suppress(Exception):  # it is being dropped anyway
        smtp.close()


def describe_error(exc: BaseException) -> str:
    """An SMTP error as people read it: the server's code and words."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return f"{code} {_decode(text)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    return str(exc) or exc.__class__.__name__


def _decode(text) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _code(exc: BaseException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return next(iter(exc.recipients.values()))[0]
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


# --- Outcomes -------------------------------------------------------------------------


def _finish(message: Message, token: str, **fields) -> bool:
    """Write an attempt's outcome if the lease is still ours; return whether it was.

    One statement, committed on its own (it runs outside a transaction,
    inside :func:`_commit_without_waiting`).
    """
    return bool(
        Message.objects.filter(
            pk=message.pk, lease=token, status=MessageStatus.QUEUED
        ).update(lease="", **fields)
    )


def _failed(
    message: Message, token: str, exc: BaseException, *, permanent: bool
) -> None:
    reason = describe_error(exc)[:400]
    attempts = message.attempts  # read after the claim counted this attempt
    if permanent:
        _finish(message, token, status=MessageStatus.FAILED, last_error=reason,
                next_attempt_at=None)  # fmt: skip
        logger.warning("Message %s refused: %s", message.pk, reason)
        return
    if attempts >= MAX_ATTEMPTS:
        _finish(
            message,
            token,
            status=MessageStatus.FAILED,
            last_error=_("Gave up after %(n)d attempts: %(reason)s")
            % {"n": attempts, "reason": reason},
            next_attempt_at=None,
        )
        return
    _finish(message, token, last_error=reason,
            next_attempt_at=timezone.now() + backoff(attempts))  # fmt: skip


class _InlineRecorder:
    """Each lane commits each sent message itself; they go on the timeline in groups."""

    def __init__(self) -> None:
        self.broken = threading.Event()  # never set: a fault here raises
        self.count = 0
        self._done: list[Message] = []

    def sent(self, message: Message, token: str) -> None:
        if _finish(
            message,
            token,
            status=MessageStatus.SENT,
            sent_at=timezone.now(),
            last_error="",
            next_attempt_at=None,
        ):
            self.count += 1
            self._done.append(message)
            if len(self._done) >= RECORD_EVERY:
                _record_sent(self._done)
                self._done = []

    def close(self) -> int:
        _record_sent(self._done)
        self._done = []
        return self.count


class _Recorder:
    """A thread that writes down what the lanes sent, as it comes.

    Lanes call :meth:`sent` for each message the server accepted and go on
    at once. The thread commits the ``sent`` states of all that arrived
    while its last statement ran, in one statement, before anything else:
    the resend window after a crash is that short. Putting the sent
    messages on the timeline waits until no mark is waiting, and then goes
    a small group at a time. If it fails, it sets :attr:`broken` and the
    lanes stop; :meth:`close` raises its error.
    """

    MAX_GROUP = 500

    def __init__(self) -> None:
        self.broken = threading.Event()
        self.count = 0
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run,
            args=(translation.get_language(),),
            name="outbox-recorder",
        )
        self._thread.start()

    def sent(self, message: Message, token: str) -> None:
        self._queue.put((message, token))

    def close(self) -> int:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.count

    def _run(self, language: str | None) -> None:
        unrecorded: list[Message] = []
        try:
            with translation.override(language), _commit_without_waiting():
                while True:
                    try:
                        # Nothing to record: wait for the lanes; else look.
                        first = self._queue.get(block=not unrecorded)
                    except queue.Empty:
                        _record_sent(unrecorded[:RECORD_WHILE_SENDING])
                        del unrecorded[:RECORD_WHILE_SENDING]
                        continue
                    group = _drain(self._queue, first, self.MAX_GROUP)
                    by_token: dict[str, list[Message]] = {}
                    for item in group:
                        if item is not None:
                            by_token.setdefault(item[1], []).append(item[0])
                    for token, messages in by_token.items():
                        mine = _mark_sent(messages, token)
                        self.count += len(mine)
                        unrecorded += mine
                    if group[-1] is None:
                        for start in range(0, len(unrecorded), RECORD_EVERY):
                            _record_sent(unrecorded[start : start + RECORD_EVERY])
                        return
        except BaseException as exc:
            logger.exception("The outbox could not write down what it sent")
            self._error = exc
            self.broken.set()
        finally:
            connection.close()  # this thread's own


def _drain(waiting: queue.SimpleQueue, first, limit: int) -> list:
    """``first`` and what else is waiting, up to ``limit``; ``None`` (the end)
    comes last, nothing is put after it."""
    group = [first]
    with contextlib.suppress(queue.Empty):
        while len(group) < limit and group[-1] is not None:
            group.append(waiting.get_nowait())
    return group


_MARK_SENT = (
    "UPDATE messaging_message SET status = %s, sent_at = %s, lease = '', "
    "last_error = '', next_attempt_at = NULL "
    "WHERE id = ANY(%s) AND lease = %s AND status = %s RETURNING id"
)


def _mark_sent(messages: list[Message], token: str) -> list[Message]:
    """Mark ``messages`` sent where the lease is still ``token``; return those.

    One statement for all of them (PostgreSQL), committed on its own.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _MARK_SENT,
            [
                MessageStatus.SENT,
                timezone.now(),
                [message.pk for message in messages],
                token,
                MessageStatus.QUEUED,
            ],
        )
        updated = {row[0] for row in cursor.fetchall()}
    return [message for message in messages if message.pk in updated]


@contextlib.contextmanager
def _commit_without_waiting():
    """On PostgreSQL, commit without waiting for the disk (``synchronous_commit``).

    For the outcomes the outbox writes after each hand-over: the wait cost
    more than the hand-over itself. A worker crash loses nothing; only a
    database crash in the next fraction of a second could forget an
    outcome, and the lease then sends again, as after a worker killed
    between the server's 250 and the write (ADR 18). Every transaction is
    still whole: one that is lost is lost entirely.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with contextlib.suppress(Error), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


# --- The timeline ---------------------------------------------------------------------


def _record_sent(messages: list[Message]) -> None:
    """Put sent messages on their contacts' timelines and emit ``message.sent``.

    Many at once, in one transaction, after their SMTP hand-over: recording
    each on its own cost more than sending it. ``recorded_at`` marks what is
    done; a worker that dies before this leaves it empty and a later run
    records those (:func:`_record_left_over`), once.
    """
    if not messages:
        return
    with transaction.atomic():
        todo = list(
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                pk__in=[m.pk for m in messages],
                status=MessageStatus.SENT,
                recorded_at__isnull=True,
            )
            .select_related("template")
            .order_by("id")
        )
        if not todo:
            return
        contacts = set(
            apps.get_model("contacts", "Contact")
            .objects.filter(pk__in={m.contact_id for m in todo if m.contact_id})
            .values_list("pk", flat=True)
        )
        mine = [m for m in todo if m.contact_id in contacts]
        timeline_add_many(
            [
                SourceEntry(
                    contact_id=m.contact_id,
                    kind=Kind.EMAIL,
                    channel=Channel.EMAIL,
                    direction=Direction.OUTBOUND,
                    occurred_at=m.sent_at or timezone.now(),
                    summary=m.subject,
                    body=m.text,
                    source_type="messaging.message",
                    source_id=str(m.pk),
                    source_url=m.get_absolute_url(),
                )
                for m in mine
            ]
        )
        emit_many(
            (
                "message.sent",
                "messaging.message",
                m.pk,
                {
                    "contact_id": m.contact_id,
                    "purpose": m.purpose,
                    "template": m.template.key if m.template_id else "",
                    "origin": m.origin,
                },
            )
            for m in mine
        )
        Message.objects.filter(pk__in=[m.pk for m in todo]).update(
            recorded_at=timezone.now()
        )


def _record_left_over(limit: int = BATCH) -> None:
    """Record the messages a worker sent but died before recording."""
    _record_sent(list(_left_over(timezone.now())[:limit]))


def _left_over(now) -> QuerySet[Message]:
    """Sent, not yet on the timeline, and not by a worker still at it.

    Ordered by the partial index's column: by id, the planner may walk the
    whole table's primary key to find none.
    """
    return Message.objects.filter(
        status=MessageStatus.SENT, recorded_at__isnull=True, sent_at__lt=now - LEASE
    ).order_by("sent_at")
