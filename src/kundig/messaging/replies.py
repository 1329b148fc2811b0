"""Mail people write on a contact's page: a reply to an incoming mail, or a new one.

The mail is queued in the outbox like every other message and goes out with
it; once sent it lands on the contact's timeline. A reply carries
In-Reply-To and References, so the customer's mail program shows it in the
conversation. The form's one-time key makes a double click queue one mail.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kundig.core.choices import Permission
from kundig.core.permissions import require
from kundig.core.text import one_line, strip_control_characters
from kundig.core.visibility import can_see

from . import mailparse, merge, services
from .choices import Purpose
from .models import InboundMessage, Message

SUBJECT_LENGTH = 300
TEXT_LENGTH = 100_000
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|antw|sv)\s*:", re.IGNORECASE)
_KEY = re.compile(r"^[0-9a-f]{32}$")


def reply_subject(subject: str) -> str:
    """``Re: subject``, without stacking prefixes."""
    subject = one_line(subject)
    if _REPLY_PREFIX.match(subject):
        return subject[:SUBJECT_LENGTH]
    return f"Re: {subject}".strip()[:SUBJECT_LENGTH]


def reply_text(inbound: InboundMessage) -> str:
    """The start of a reply: room to write, then the mail quoted."""
    when = timezone.localtime(inbound.date or inbound.received_at)
    intro = _("On %(when)s, %(who)s wrote:") % {
        "when": date_format(when, "SHORT_DATETIME_FORMAT"),
        "who": inbound.from_name or inbound.from_email,
    }
    lines = mailparse.without_quote(inbound.text).splitlines()[:60]
    return "\n\n\n" + intro + "\n" + "\n".join(f"> {line}" for line in lines)


@transaction.atomic
def message_write(
    *, actor, contact, subject: str, text: str, key: str,
    reply_to: InboundMessage | None = None, mailbox=None, origin: str = "",
) -> services.Queued:  # fmt: skip
    """Queue a mail ``actor`` wrote to ``contact``, optionally answering ``reply_to``.

    ``key`` is the form's one-time key: the same key queues one mail. It goes
    out from the mailbox ``reply_to`` came to, else ``mailbox``, else the
    default one. ``origin`` says what it answers (a ticket, …) in the outbox.
    Raises ValidationError with the fields' problems, PermissionDenied if
    ``actor`` may not write or not see the contact.
    """
    require(actor, Permission.WRITE)
    if not can_see(actor, contact):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not _KEY.match(key or ""):
        errors["__all__"] = [_("The form has expired; open it again.")]
    if reply_to is not None and reply_to.contact_id != contact.pk:
        raise ValidationError({"__all__": [_("That mail is not from this contact.")]})
    existing = Message.objects.filter(idempotency_key=f"write:{key}").first()
    if existing is not None:
        return services.Queued(key=existing.idempotency_key, message=existing)
    subject = one_line(subject)
    if not subject:
        errors["subject"] = [_("Write a subject.")]
    elif len(subject) > SUBJECT_LENGTH:
        errors["subject"] = [_("At most %(n)d characters.") % {"n": SUBJECT_LENGTH}]
    text = strip_control_characters(text or "").strip()
    if not text:
        errors["text"] = [_("Write a message.")]
    elif len(text) > TEXT_LENGTH:
        errors["text"] = [_("At most %(n)d characters.") % {"n": TEXT_LENGTH}]
    if reply_to is not None and reply_to.mailbox.is_active:
        mailbox = reply_to.mailbox
    elif mailbox is None or not mailbox.is_active:
        mailbox = services.mailbox_default()
    if mailbox is None:
        errors.setdefault("__all__", []).append(
            _("No active mailbox to send from; an administrator sets one up.")
        )
    to_email, to_name = _recipient(contact, reply_to)
    problem = services.address_problem(to_email)
    if problem:
        errors.setdefault("__all__", []).append(problem)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            message = _create(
                actor, contact, mailbox, key, to_email, to_name, subject, text,
                reply_to, origin,
            )  # fmt: skip
    except IntegrityError:  # the same form sent twice at once: the first stands
        existing = Message.objects.get(idempotency_key=f"write:{key}")
        return services.Queued(key=existing.idempotency_key, message=existing)
    services._request_send()
    return services.Queued(key=message.idempotency_key, message=message, created=True)


def _create(
    actor, contact, mailbox, key, to_email, to_name, subject, text, reply_to, origin
):
    return Message.objects.create(
        mailbox=mailbox,
        contact=contact,
        purpose=Purpose.TRANSACTIONAL,
        idempotency_key=f"write:{key}",
        to_email=to_email,
        to_name=one_line(to_name)[:200],
        subject=subject,
        text=text,
        message_id=services.new_message_id(mailbox),
        in_reply_to=reply_to.message_id if reply_to is not None else "",
        references=(reply_to.references or reply_to.in_reply_to)
        if reply_to is not None
        else "",
        origin=(origin or ("reply" if reply_to is not None else "written"))[:200],
        created_by=actor,
    )


def _recipient(contact, reply_to: InboundMessage | None) -> tuple[str, str]:
    if reply_to is not None and reply_to.from_email:
        return reply_to.from_email, reply_to.from_name or contact.full_name
    return merge.primary_email(contact), contact.full_name
