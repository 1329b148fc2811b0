"""Messaging: mailboxes, templates, and queueing each message once.

Queueing writes a :class:`Message` row in the caller's transaction, keyed by
an idempotency key that names the reason and the recipient; queueing the same
message again finds the first row. After commit a worker sends what is due
(:mod:`kundig.messaging.outbox`, whose entry points are re-exported here).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from email.utils import make_msgid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core import bulk, crypto
from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.events import on_commit_once
from kundig.core.permissions import require
from kundig.core.text import one_line

from . import gate, merge
from .choices import MARKETING_PURPOSES, MessageStatus, Purpose
from .gate import ConsentPolicy as ConsentPolicy  # re-exported: the layers
from .gate import consent_policy_register as consent_policy_register
from .gate import contacts_may_receive
from .models import Mailbox, Message, MessageTemplate, TemplateContent
from .outbox import MAX_ATTEMPTS as MAX_ATTEMPTS
from .outbox import PER_LANE as PER_LANE
from .outbox import backoff as backoff
from .outbox import describe_error, smtp_connection
from .outbox import outbox_send_due as outbox_send_due
from .outbox import wire_message as wire_message
from .rendering import RenderError, check, render

logger = logging.getLogger(__name__)


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


def mailbox_test(mailbox: Mailbox) -> str | None:
    """Connect and log in to the mailbox's SMTP server; return the problem or None."""
    connection = smtp_connection(mailbox)
    try:
        connection.open()
    except smtplib.SMTPAuthenticationError:
        return _("The server refused the user name or password.")
    except (smtplib.SMTPException, OSError) as exc:
        return _("Could not connect: %(error)s") % {"error": describe_error(exc)}
    finally:
        with contextlib.suppress(Exception):  # it is being dropped anyway
            connection.close()
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
            url, unsubscribe[item.key] = gate.unsubscribe(recipient.contact_id, purpose)
            # A copy: callers may share one ``extra`` between recipients.
            recipient = replace(
                recipient, extra={**recipient.extra, "unsubscribe_url": url}
            )
        recipients.append(recipient)
    merged = merge.load(recipients, mailbox=mailbox)
    blocked = gate.suppressed(m.email for m in merged if m and m.email)
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
        problem = _recipient_problem(data, purpose, blocked, allowed)
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
            bulk.insert_objects(rows)
    except IntegrityError:
        pass  # another transaction queued one of the keys first (or a key twice)
    else:
        return {
            row.idempotency_key: Queued(
                key=row.idempotency_key, message=row, created=True
            )
            for row in rows
        }
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
        suppressed = gate.suppressed([email])
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
