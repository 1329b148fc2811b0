"""Messaging: mailboxes, templates, and the outbox that sends each message once.

Queueing writes a :class:`Message` row in the caller's transaction, keyed by
an idempotency key that names the reason and the recipient; queueing the same
message again finds the first row. After commit a worker sends what is due:
it *claims* a batch by stamping its own lease token on rows that are still
queued and due (one conditional UPDATE, so two workers never take the same
row), sends them over one SMTP connection per mailbox, and writes each
outcome at once, only while its lease still holds. SMTP 4xx answers and
connection errors retry with exponential backoff and jitter; 5xx answers
fail the message with the server's reason.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import secrets
import smtplib
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import Error, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundig.activity.choices import Channel, Direction, Kind
from kundig.activity.services import SourceEntry, timeline_add_many
from kundig.core import crypto
from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.events import emit_many, on_commit_once
from kundig.core.permissions import require
from kundig.core.text import one_line

from . import merge
from .choices import MARKETING_PURPOSES, MessageStatus, Purpose, Security
from .models import (
    Mailbox,
    Message,
    MessageTemplate,
    SuppressedAddress,
    TemplateContent,
)
from .rendering import RenderError, check, render

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=4)
# Longer than a batch can take to send; an attempt still running after it
# is taken to be lost and the message goes out again.
LEASE = timedelta(minutes=10)
BATCH = 200
# Sent messages go on the timeline this many at a time (one transaction).
RECORD_EVERY = 50
# A mailbox's parallel connections open only for this many messages each.
PER_LANE = 25
SMTP_TIMEOUT = 30

_random = secrets.SystemRandom()


# --- Consent gates --------------------------------------------------------------------

# The privacy app registers the consent ledger here (messaging cannot import
# it: layers). The policy answers, for many contacts at once, who may receive
# a marketing purpose, and gives each marketing message its unsubscribe link.
# Without a policy no marketing message goes out at all.


@dataclass(frozen=True)
class ConsentPolicy:
    allowed: Callable[[Collection[int], str], set[int]]
    unsubscribe_url: Callable[[int, str], str]


_consent_policy: list[ConsentPolicy] = []


def consent_policy_register(policy: ConsentPolicy) -> ConsentPolicy:
    _consent_policy[:] = [policy]
    return policy


def contacts_may_receive(contact_ids: Collection[int], purpose: str) -> set[int]:
    """Which of ``contact_ids`` may receive a message of ``purpose``."""
    ids = {pk for pk in contact_ids if pk is not None}
    if purpose not in MARKETING_PURPOSES:
        return ids
    if not _consent_policy or not ids:
        return set()
    return _consent_policy[0].allowed(ids, purpose) & ids


def _unsubscribe(contact_id: int, purpose: str) -> tuple[str, dict]:
    """A marketing message's unsubscribe link and RFC 8058 headers."""
    if purpose not in MARKETING_PURPOSES or not _consent_policy:
        return "", {}
    url = _consent_policy[0].unsubscribe_url(contact_id, purpose)
    return url, {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- Mailboxes ------------------------------------------------------------------------

MAILBOX_FIELDS = (
    "name", "email", "sender_name", "is_default", "is_active",
    "smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_connections",
    "imap_host", "imap_port", "imap_security", "imap_username", "imap_folder",
)  # fmt: skip


def _mailbox_snapshot(mailbox: Mailbox) -> dict:
    # Passwords appear only as "changed", never as values.
    return {f: getattr(mailbox, f) for f in MAILBOX_FIELDS}


@transaction.atomic
def mailbox_save(
    *,
    actor,
    mailbox: Mailbox | None = None,
    smtp_password: str | None = None,
    imap_password: str | None = None,
    **data,
) -> Mailbox:
    """Create or change a mailbox. A password of None keeps the stored one."""
    require(actor, Permission.MANAGE)
    creating = mailbox is None
    mailbox = mailbox or Mailbox()
    before = {} if creating else _mailbox_snapshot(mailbox)
    for name, value in data.items():
        if name not in MAILBOX_FIELDS:
            raise TypeError(f"unknown mailbox field {name}")
        if isinstance(value, str):
            value = one_line(value)
        setattr(mailbox, name, value)
    mailbox.email = mailbox.email.lower()
    try:
        mailbox.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    changed_passwords = []
    if smtp_password is not None:
        mailbox.smtp_password_encrypted = crypto.encrypt(smtp_password)
        changed_passwords.append("smtp_password")
    if imap_password is not None:
        mailbox.imap_password_encrypted = crypto.encrypt(imap_password)
        changed_passwords.append("imap_password")
    if mailbox.is_default:
        Mailbox.objects.exclude(pk=mailbox.pk).filter(is_default=True).update(
            is_default=False
        )
    elif not Mailbox.objects.exclude(pk=mailbox.pk).filter(is_default=True).exists():
        mailbox.is_default = True  # the first mailbox is the default
    mailbox.save()
    if creating:
        audit_created(mailbox, actor=actor)
    else:
        after = _mailbox_snapshot(mailbox)
        after.update(dict.fromkeys(changed_passwords, "••••"))
        audit_changes(mailbox, actor=actor, before=before, after=after)
    return mailbox


def mailbox_default() -> Mailbox | None:
    return Mailbox.objects.filter(is_active=True).order_by("-is_default", "id").first()


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


def mailbox_test(mailbox: Mailbox) -> str | None:
    """Connect and log in to the mailbox's SMTP server; return the problem or None."""
    connection = smtp_connection(mailbox)
    try:
        connection.open()
    except smtplib.SMTPAuthenticationError:
        return _("The server refused the user name or password.")
    except (smtplib.SMTPException, OSError) as exc:
        return _("Could not connect: %(error)s") % {"error": _describe(exc)}
    finally:
        _close(connection)
    return None


# --- Templates ------------------------------------------------------------------------


@transaction.atomic
def template_save(
    *,
    actor,
    template: MessageTemplate | None = None,
    contents: dict[str, dict[str, str]],
    **data,
) -> MessageTemplate:
    """Create or change a template and its texts; refuse any problem with its line.

    ``contents`` maps a language to ``{"subject", "html", "text"}``; a
    language left out (or with everything empty) is removed.
    """
    require(actor, Permission.MESSAGING)
    creating = template is None
    template = template or MessageTemplate()
    before = (
        {}
        if creating
        else {"key": template.key, "name": template.name, "purpose": template.purpose}
    )
    for name in ("key", "name", "purpose", "mailbox"):
        if name in data:
            value = data[name]
            setattr(
                template, name, one_line(value) if isinstance(value, str) else value
            )
    errors: dict[str, list[str]] = {}
    try:
        template.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    kept: dict[str, dict[str, str]] = {}
    for language, parts in contents.items():
        parts = {k: (parts.get(k) or "") for k in ("subject", "html", "text")}
        if not any(v.strip() for v in parts.values()):
            continue
        problems = check(language=language, **parts)
        for part, messages in problems.items():
            errors[f"{part}_{language}"] = messages
        kept[language] = parts
    if not kept and "contents" not in errors:
        errors["subject_de"] = [_("Write the message in at least one language.")]
    if errors:
        raise ValidationError(errors)
    template.save()
    old = {c.language: c for c in template.contents.all()}
    changed = []
    for language, parts in kept.items():
        content = old.pop(language, None) or TemplateContent(
            template=template, language=language
        )
        if content.pk is None or any(
            getattr(content, k) != v for k, v in parts.items()
        ):
            changed.append(language)
            for key, value in parts.items():
                setattr(content, key, value)
            content.save()
    for content in old.values():
        changed.append(content.language)
        content.delete()
    if creating:
        audit_created(template, actor=actor)
        return template
    after = {"key": template.key, "name": template.name, "purpose": template.purpose}
    if changed:
        # The texts are long; the log says which languages changed, not how.
        before["texts"] = ""
        after["texts"] = _("changed: %(languages)s") % {
            "languages": ", ".join(sorted(changed))
        }
    audit_changes(template, actor=actor, before=before, after=after)
    return template


def template_content(
    template: MessageTemplate, language: str
) -> TemplateContent | None:
    """The template's text in ``language``, else German, else English, else any."""
    return _content_for({c.language: c for c in template.contents.all()}, language)


def template_preview(
    template: MessageTemplate, *, contact=None, language: str = "de", refs=None,
    extra=None,
):  # fmt: skip
    """Render ``template`` for a real contact (or the sample one) without sending."""
    mailbox = template.mailbox or mailbox_default() or Mailbox(name="Kundig", email="")
    if contact is not None:
        merged = merge.load(
            [merge.Recipient(contact.pk, refs or {}, extra or {})], mailbox=mailbox
        )[0]
        language = merged.language
        context = merged.context
    else:
        from .rendering import sample_context

        context = sample_context(language)
    content = template_content(template, language)
    if content is None:
        raise RenderError(_("The template has no text yet."))
    return render(
        subject=content.subject,
        html=content.html,
        text=content.text,
        context=context,
        language=content.language,
    )


# --- Queueing -------------------------------------------------------------------------


@dataclass
class Queued:
    """What queueing one message came to: the message, or why there is none."""

    key: str
    message: Message | None = None
    created: bool = False
    error: str = ""


@dataclass
class Outgoing:
    """One message to queue from a template."""

    key: str
    recipient: merge.Recipient
    headers: dict | None = None


def _domain(mailbox: Mailbox) -> str:
    return mailbox.email.rpartition("@")[2] or "kundig.invalid"


def new_message_id(mailbox: Mailbox) -> str:
    return make_msgid(idstring=uuid.uuid4().hex[:12], domain=_domain(mailbox))


def messages_queue(
    *,
    template: MessageTemplate,
    outgoing: list[Outgoing],
    actor=None,
    origin: str = "",
    automated: bool = True,
) -> list[Queued]:
    """Render and queue ``template`` for each recipient, in the current transaction.

    Returns one :class:`Queued` per item, in order. A recipient whose message
    cannot be rendered or addressed gets the reason and no message; the
    others are queued. An idempotency key already used returns its message.
    """
    mailbox = template.mailbox if template.mailbox_id else mailbox_default()
    if mailbox is None or not mailbox.is_active:
        reason = _("No active mailbox to send from; an administrator sets one up.")
        return [Queued(key=o.key, error=reason) for o in outgoing]
    existing = {
        m.idempotency_key: m
        for m in Message.objects.filter(idempotency_key__in=[o.key for o in outgoing])
    }
    todo = [o for o in outgoing if o.key not in existing]
    purpose = template.purpose
    allowed = contacts_may_receive([o.recipient.contact_id for o in todo], purpose)
    recipients, unsubscribe = [], {}
    for item in todo:
        recipient = item.recipient
        if recipient.contact_id in allowed and purpose in MARKETING_PURPOSES:
            url, unsubscribe[item.key] = _unsubscribe(recipient.contact_id, purpose)
            # A copy: callers may share one ``extra`` between recipients.
            recipient = replace(
                recipient, extra={**recipient.extra, "unsubscribe_url": url}
            )
        recipients.append(recipient)
    merged = merge.load(recipients, mailbox=mailbox)
    suppressed = _suppressed(m.email for m in merged if m and m.email)
    contents = {c.language: c for c in template.contents.all()}
    results: dict[str, Queued] = {
        key: Queued(key=key, message=message) for key, message in existing.items()
    }
    rows = []
    now = timezone.now()
    for item, data in zip(todo, merged, strict=True):
        if data is None:
            results[item.key] = Queued(
                key=item.key, error=_("The contact was deleted.")
            )
            continue
        problem = _recipient_problem(data, purpose, suppressed, allowed)
        if problem:
            results[item.key] = Queued(key=item.key, error=problem)
            continue
        content = _content_for(contents, data.language)
        if content is None:
            results[item.key] = Queued(
                key=item.key, error=_("The template has no text yet.")
            )
            continue
        try:
            rendered = render(
                subject=content.subject,
                html=content.html,
                text=content.text,
                context=data.context,
                language=content.language,
            )
        except RenderError as exc:
            results[item.key] = Queued(key=item.key, error=str(exc))
            continue
        headers = dict(item.headers or {}) | unsubscribe.get(item.key, {})
        if automated:
            headers.setdefault("Auto-Submitted", "auto-generated")
        rows.append(
            Message(
                mailbox=mailbox,
                contact_id=item.recipient.contact_id,
                template=template,
                purpose=template.purpose,
                idempotency_key=item.key,
                to_email=data.email,
                to_name=one_line(data.name)[:200],
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                headers=headers,
                message_id=new_message_id(mailbox),
                origin=origin[:200],
                created_by=actor if actor is not None and actor.pk else None,
                created_at=now,
                next_attempt_at=now,
            )
        )
    if rows:
        results.update(_insert(rows))
        _request_send()
    return [results[o.key] for o in outgoing]


def _insert(rows: list[Message]) -> dict[str, Queued]:
    """Insert the new messages; where a key was queued meanwhile, that one stands."""
    try:
        with transaction.atomic():
            Message.objects.bulk_create(rows, batch_size=1000)
    except IntegrityError:
        pass  # another transaction queued one of the keys first (or a key twice)
    else:
        if all(row.pk for row in rows):  # the database returned the new ids
            return {
                row.idempotency_key: Queued(
                    key=row.idempotency_key, message=row, created=True
                )
                for row in rows
            }
    for row in rows:  # a first batch may have got ids before the error
        row.pk = None
        row._state.adding = True
    Message.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    stored = Message.objects.filter(
        idempotency_key__in=[row.idempotency_key for row in rows]
    )
    mine = {row.idempotency_key: row.message_id for row in rows}
    return {
        message.idempotency_key: Queued(
            key=message.idempotency_key,
            message=message,
            created=message.message_id == mine[message.idempotency_key],
        )
        for message in stored
    }


def _suppressed(emails: Iterable[str]) -> set[str]:
    """Which of ``emails`` Kundig no longer sends to (lower-cased)."""
    return set(
        SuppressedAddress.objects.filter(
            email__in={e.lower() for e in emails}
        ).values_list("email", flat=True)
    )


def _content_for(contents: dict[str, TemplateContent], language: str):
    for choice in (language, "de", "en"):
        if choice in contents:
            return contents[choice]
    return next(iter(contents.values()), None)


def address_problem(email: str, suppressed: set[str] | None = None) -> str:
    """Why Kundig cannot write to ``email``, or ''. ``suppressed``: the blocked
    addresses already read for a batch (else they are read for this one)."""
    if not email:
        return _("The contact has no email address.")
    try:
        validate_email(email)
    except ValidationError:
        return _("The address %(email)s is not valid.") % {"email": email}
    if suppressed is None:
        suppressed = _suppressed([email])
    if email.lower() in suppressed:
        return _("Kundig no longer sends to %(email)s (it bounced or objected).") % {
            "email": email
        }
    return ""


def _recipient_problem(
    data: merge.Merge, purpose: str, suppressed: set[str], allowed: set[int]
) -> str:
    problem = address_problem(data.email, suppressed)
    if problem:
        return problem
    if data.contact.pk not in allowed:
        return _("No confirmed consent for %(purpose)s.") % {
            "purpose": Purpose(purpose).label
        }
    return ""


def message_queue(
    *, template: MessageTemplate, contact, key: str, refs=None, actor=None,
    origin: str = "", extra=None, headers=None, automated: bool = True,
    to_email: str = "",
) -> Queued:  # fmt: skip
    """Queue one message from ``template`` to ``contact`` (:func:`messages_queue`)."""
    return messages_queue(
        template=template,
        outgoing=[
            Outgoing(
                key=key,
                recipient=merge.Recipient(
                    contact.pk, refs or {}, extra or {}, email=to_email
                ),
                headers=headers,
            )
        ],
        actor=actor,
        origin=origin,
        automated=automated,
    )[0]


def _request_send() -> None:
    on_commit_once(_enqueue_send)


def _enqueue_send() -> None:
    from .tasks import outbox_send

    outbox_send.enqueue()


@transaction.atomic
def messages_cancel(*, contact_id: int, purposes: Iterable[str], reason: str) -> int:
    """Cancel the queued messages of these purposes to a contact; return how many."""
    return Message.objects.filter(
        contact_id=contact_id, purpose__in=list(purposes), status=MessageStatus.QUEUED
    ).update(
        status=MessageStatus.CANCELLED, last_error=reason[:500], next_attempt_at=None
    )


@transaction.atomic
def message_retry(*, actor, message: Message) -> Message:
    """Send a failed message again, from now."""
    require(actor, Permission.MESSAGING)
    if message.status != MessageStatus.FAILED:
        raise ValidationError(_("Only a failed message can be sent again."))
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED, next_attempt_at=timezone.now(), last_error=""
    )
    _request_send()
    message.refresh_from_db()
    return message


# --- Sending --------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: doubling, capped, jittered."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)
    return base * _random.uniform(0.5, 1.0)


def _claim(limit: int) -> tuple[str, list[Message]]:
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Message.objects.filter(
                status=MessageStatus.QUEUED, next_attempt_at__lte=now
            )
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not due:
            return token, []
        Message.objects.filter(
            pk__in=due, status=MessageStatus.QUEUED, next_attempt_at__lte=now
        ).update(lease=token, next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    claimed = list(
        Message.objects.filter(lease=token, status=MessageStatus.QUEUED)
        .select_related("mailbox")
        .order_by("mailbox_id", "id")
    )
    return token, claimed


def _finish(message: Message, token: str, **fields) -> bool:
    """Write an attempt's outcome if the lease is still ours; return whether it was.

    One statement, committed on its own: it runs inside
    :func:`_commit_without_waiting`, between the SMTP hand-overs.
    """
    return bool(
        Message.objects.filter(
            pk=message.pk, lease=token, status=MessageStatus.QUEUED
        ).update(lease="", **fields)
    )


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


def _describe(exc: BaseException) -> str:
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


def email_for(message: Message, connection=None) -> EmailMultiAlternatives:
    """The email as it goes on the wire: headers set, parts in order."""
    mailbox = message.mailbox
    sender = formataddr((one_line(mailbox.sender_name or mailbox.name), mailbox.email))
    recipient = (
        formataddr((one_line(message.to_name), message.to_email))
        if message.to_name
        else message.to_email
    )
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
        headers["References"] = one_line(
            f"{message.references} {message.in_reply_to}".strip()
        )
    for name, value in (message.headers or {}).items():
        headers[one_line(name)] = one_line(value)
    email = EmailMultiAlternatives(
        subject=one_line(message.subject),
        body=message.text,
        from_email=sender,
        to=[recipient],
        headers=headers,
        connection=connection,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    return email


def outbox_send_due(*, batch: int = BATCH, budget_seconds: float = 50) -> int:
    """Send queued messages that are due; return how many went out.

    Runs until nothing is due or ``budget_seconds`` have passed, one claimed
    batch at a time, one SMTP connection per mailbox and batch.
    """
    sent = 0
    deadline = time.monotonic() + budget_seconds
    _record_left_over()
    while time.monotonic() < deadline:
        token, claimed = _claim(batch)
        if not claimed:
            break
        by_mailbox: dict[int, list[Message]] = {}
        for message in claimed:
            by_mailbox.setdefault(message.mailbox_id, []).append(message)
        with _commit_without_waiting():
            for messages in by_mailbox.values():
                sent += _send_batch(messages, token)
    return sent


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


def _still_wanted(message: Message, suppressed: set[str], consented: set) -> str:
    if message.to_email.lower() in suppressed:
        return _("Kundig no longer sends to %(email)s (it bounced or objected).") % {
            "email": message.to_email
        }
    if (message.contact_id, message.purpose) not in consented:
        return _("The consent was withdrawn before the message went out.")
    return ""


def _send_batch(messages: list[Message], token: str) -> int:
    """Send one mailbox's claimed messages over its parallel SMTP connections."""
    mailbox = messages[0].mailbox
    # Blocked since they were queued (a bounce, an objection): one query.
    suppressed = _suppressed(m.to_email for m in messages)
    consented = _consented(messages)  # and withdrawn consents: one per purpose
    wanted = []
    for message in messages:
        reason = _still_wanted(message, suppressed, consented)
        if reason:
            _finish(message, token, status=MessageStatus.CANCELLED, last_error=reason,
                    next_attempt_at=None)  # fmt: skip
        else:
            wanted.append(message)
    lanes = _lanes(mailbox, len(wanted))
    if lanes <= 1:
        return _send_lane(mailbox, wanted, token)
    # Each lane its own SMTP connection and its own database connection; the
    # GIL is free while one waits for its server, so the others go on.
    with ThreadPoolExecutor(lanes, thread_name_prefix="outbox") as pool:
        return sum(
            pool.map(
                functools.partial(
                    _send_lane_in_thread, mailbox, token=token,
                    language=translation.get_language(),
                ),
                [wanted[lane::lanes] for lane in range(lanes)],
            )
        )  # fmt: skip


def _lanes(mailbox: Mailbox, count: int) -> int:
    """How many connections to send ``count`` messages over, at once."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # SQLite writes one transaction at a time anyway; and other threads
        # could not see the rows of a transaction still open here.
        return 1
    return max(1, min(mailbox.smtp_connections, math.ceil(count / PER_LANE)))


def _send_lane_in_thread(
    mailbox: Mailbox, messages: list[Message], *, token: str, language: str | None
) -> int:
    try:
        with translation.override(language), _commit_without_waiting():
            return _send_lane(mailbox, messages, token)
    finally:
        connection.close()  # this thread's own


def _send_lane(mailbox: Mailbox, messages: list[Message], token: str) -> int:
    """Send ``messages`` in order over one SMTP connection, reopened after a fault."""
    smtp = None
    sent = 0
    done: list[Message] = []  # sent, not yet on the timeline
    for message in messages:
        try:
            if smtp is None:
                smtp = smtp_connection(mailbox)
                smtp.open()
            email_for(message, smtp).send()
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            permanent = (_code(exc) or 0) >= 500 and not isinstance(
                exc, smtplib.SMTPAuthenticationError
            )
            _failed(message, token, exc, permanent=permanent)
            if not isinstance(
                exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError
            ):
                # The connection may be broken: start a new one for the next.
                _close(smtp)
                smtp = None
            continue
        if _finish(message, token, status=MessageStatus.SENT, sent_at=timezone.now(),
                   last_error="", next_attempt_at=None):  # fmt: skip
            sent += 1
            done.append(message)
            if len(done) >= RECORD_EVERY:
                _record_sent(done)
                done = []
    _close(smtp)
    _record_sent(done)
    return sent


def _close(connection) -> None:
    if connection is None:
        return
    with contextlib.suppress(Exception):  # it is being dropped anyway
        connection.close()


def _failed(
    message: Message, token: str, exc: BaseException, *, permanent: bool
) -> None:
    reason = _describe(exc)[:400]
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
    left = list(
        Message.objects.filter(
            status=MessageStatus.SENT,
            recorded_at__isnull=True,
            sent_at__lt=timezone.now() - LEASE,
        ).order_by("id")[:limit]
    )
    _record_sent(left)
