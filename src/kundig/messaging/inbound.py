"""Incoming mail: file one raw mail for a mailbox, once, and answer what it says.

:func:`inbound_file` is the one way in. The IMAP reader (``imap.py``), the
demo's mail catcher and the tests hand it the raw bytes of one mail. It files
the mail once by its Message-ID: a second delivery returns the first filing
and has no effect. A mail from a person is matched to the contact by its
sender address (an unknown sender becomes a new contact), threaded to the
mail it answers (ours or theirs), put on the contact's timeline and announced
as ``message.received``. Automatic replies, bulk mail and mail from our own
addresses are filed and flagged, and do nothing else. A delivery status
report marks the message it reports on and blocks an address that bounced
hard; it creates no contact and no timeline entry.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity.choices import Direction, Kind
from kundig.activity.services import BODY_MAX_LENGTH, timeline_add
from kundig.contacts import selectors as contact_selectors
from kundig.contacts import services as contact_services
from kundig.contacts.choices import ChangeSource
from kundig.core.events import emit
from kundig.core.text import one_line

from . import mailparse
from .choices import Bounce, InboundKind
from .models import (
    InboundAttachment,
    InboundMessage,
    Mailbox,
    Message,
    SuppressedAddress,
)

logger = logging.getLogger(__name__)

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
MAIL_MAX_BYTES = 50 * 1024 * 1024


def attachment_limit() -> int:
    """The largest attachment kept, in bytes (``KUNDIG_MAIL_ATTACHMENT_MAX_BYTES``)."""
    return getattr(settings, "KUNDIG_MAIL_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES)


def mail_limit() -> int:
    """The largest mail read whole; a larger one is filed from its headers."""
    return getattr(settings, "KUNDIG_MAIL_MAX_BYTES", MAIL_MAX_BYTES)


@dataclass
class Filed:
    """What filing one mail came to."""

    message: InboundMessage
    created: bool
    contact_created: bool = False


def own_addresses() -> frozenset[str]:
    return frozenset(e.lower() for e in Mailbox.objects.values_list("email", flat=True))


def inbound_file(
    *, mailbox: Mailbox, raw: bytes, uid: int | None = None, size: int | None = None,
    headers_only: bool = False,
) -> Filed:  # fmt: skip
    """File the mail ``raw`` that arrived in ``mailbox``; once per Message-ID.

    ``headers_only`` says ``raw`` holds only the headers of a mail of
    ``size`` bytes that was too large to fetch. Raises only for a database
    problem or a bug; what cannot be read in the mail is noted on it.
    """
    parsed = mailparse.parse(
        raw, own_addresses=own_addresses(), headers_only=headers_only
    )
    existing = InboundMessage.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return Filed(message=existing, created=False)
    stored: list[InboundAttachment] = []
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    inbound = _create(mailbox, parsed, uid=uid, size=size or len(raw))
            except IntegrityError:  # filed at this moment by another reader
                return Filed(
                    message=InboundMessage.objects.get(message_id=parsed.message_id),
                    created=False,
                )
            if headers_only:
                too_large = _(
                    "The mail was larger than %(mb)d MB; only its headers were read."
                ) % {"mb": mail_limit() >> 20}
                inbound.note = f"{too_large} {inbound.note}".strip()[:500]
            _thread(inbound, parsed)
            if parsed.kind == InboundKind.BOUNCE:
                _record_bounce(inbound, parsed.report)
                inbound.save()
                return Filed(message=inbound, created=True)
            contact, created = _contact_for(parsed)
            inbound.contact = contact
            inbound.save()
            _store_attachments(inbound, parsed.attachments, stored)
            if parsed.kind == InboundKind.MAIL and contact is not None:
                _announce(inbound, contact, contact_created=created)
            return Filed(message=inbound, created=True, contact_created=created)
    except BaseException:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise


def inbound_file_unreadable(
    *, mailbox: Mailbox, raw: bytes, reason: str, uid: int | None = None
) -> Filed:
    """File what little can be read of a mail that :func:`inbound_file` failed on.

    The original is kept as an attachment (up to the attachment limit), so
    nothing is lost; the mail has no effect beyond being filed.
    """
    try:
        parsed = mailparse.parse(raw, headers_only=True)
    except Exception:  # not even the headers: a Message-ID from the bytes
        parsed = mailparse.ParsedMail(message_id=_digest_id(raw), size=len(raw))
    existing = InboundMessage.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return Filed(message=existing, created=False)
    with transaction.atomic():
        inbound = _create(mailbox, parsed, uid=uid, size=len(raw))
        inbound.note = (
            _("Kundig could not read this mail (%(reason)s); the original is attached.")
            % {"reason": one_line(reason)[:200]}
        )[:500]
        if parsed.from_email:
            inbound.contact = contact_selectors.contact_by_email(parsed.from_email)
        inbound.save()
        _store_attachments(
            inbound, [mailparse.Attachment("original.eml", "message/rfc822", raw)], []
        )
    return Filed(message=inbound, created=True)


def _digest_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@kundig.invalid>"


def _create(mailbox: Mailbox, parsed: mailparse.ParsedMail, *, uid, size: int):
    notes = [parsed.flag_reason, *parsed.problems]
    return InboundMessage.objects.create(
        mailbox=mailbox,
        kind=parsed.kind,
        note=" ".join(n for n in notes if n)[:500],
        from_email=parsed.from_email,
        from_name=parsed.from_name,
        to=", ".join(parsed.to),
        cc=", ".join(parsed.cc),
        subject=parsed.subject,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references),
        date=parsed.date,
        text=parsed.text,
        html=parsed.html,
        raw_size=min(size, 2**31 - 1),
        uid=uid,
    )


# --- Threads and contacts ------------------------------------------------------------


def _thread(inbound: InboundMessage, parsed: mailparse.ParsedMail) -> None:
    """Link ``inbound`` to the nearest mail it answers: ours or an earlier one."""
    wanted = parsed.thread_ids
    if not wanted:
        return
    ours = {m.message_id: m for m in Message.objects.filter(message_id__in=wanted)}
    theirs = {
        m.message_id: m
        for m in InboundMessage.objects.filter(message_id__in=wanted).exclude(
            pk=inbound.pk
        )
    }
    for message_id in wanted:
        if message_id in ours:
            inbound.reply_to_message = ours[message_id]
            return
        if message_id in theirs:
            inbound.reply_to_inbound = theirs[message_id]
            return


def _names(display: str) -> tuple[str, str]:
    display = one_line(display).strip("\"' ")
    if not display or "@" in display:
        return "", ""
    if "," in display:  # "Weber, Anna"
        last, _sep, first = display.partition(",")
        return first.strip()[:100], last.strip()[:100]
    *first, last = display.split()
    return " ".join(first)[:100], last[:100]


def _serialise(email: str) -> None:
    """On PostgreSQL, let one transaction at a time create a contact for ``email``.

    The key is the one the shop's buyer matching takes for an address, so a
    first order and a first mail of the same new person make one contact.
    """
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"email:{email}"]
        )


def _contact_for(parsed: mailparse.ParsedMail):
    """The sender's contact, and whether it was created for this mail."""
    if not parsed.from_email or parsed.kind == InboundKind.OWN:
        return None, False
    if parsed.kind != InboundKind.MAIL:
        # Out-of-office notes and newsletters find their contact, but a
        # stranger's newsletter is no new customer.
        return contact_selectors.contact_by_email(parsed.from_email), False
    _serialise(parsed.from_email)
    contact = contact_selectors.contact_by_email(parsed.from_email)
    if contact is not None:
        return contact, False
    first, last = _names(parsed.from_name)
    fields = {"lifecycle_stage": "lead", "source": "email", "owner": None, "team": None}
    emails = [contact_services.EmailData(parsed.from_email, is_primary=True)]
    for names in ({"first_name": first, "last_name": last}, {}):
        try:
            with transaction.atomic():
                contact = contact_services.contact_create(
                    actor=None,
                    fields={**fields, **names},
                    emails=emails,
                    source=ChangeSource.SYSTEM,
                )
            return contact, True
        except ValidationError as exc:
            # A display name the contact rules refuse: try without it.
            logger.info("New contact for inbound mail refused: %s", exc.messages)
    return None, False


def _announce(inbound: InboundMessage, contact, *, contact_created: bool) -> None:
    text = mailparse.without_quote(inbound.text)
    timeline_add(
        actor=None,
        kind=Kind.EMAIL,
        contact=contact,
        summary=inbound.subject or _("(no subject)"),
        body=text[:BODY_MAX_LENGTH],
        direction=Direction.INBOUND,
        occurred_at=min(inbound.date or inbound.received_at, timezone.now()),
        source_type="messaging.inbound",
        source_id=str(inbound.pk),
        source_url=inbound.get_absolute_url(),
    )
    emit(
        "message.received",
        inbound,
        contact_id=contact.pk,
        mailbox=inbound.mailbox.email,
        answers_message=inbound.reply_to_message_id,
        answers_inbound=inbound.reply_to_inbound_id,
        contact_created=contact_created,
    )


# --- Attachments ---------------------------------------------------------------------

BLOCKED_EXTENSIONS = frozenset(
    {".app", ".apk", ".bat", ".cmd", ".com", ".cpl", ".dll", ".dmg", ".exe", ".hta",
     ".iso", ".jar", ".js", ".jse", ".lnk", ".msi", ".msp", ".pif", ".ps1", ".reg",
     ".scr", ".sh", ".vbe", ".vbs", ".wsf", ".wsh"}
)  # fmt: skip
BLOCKED_TYPES = frozenset(
    {"application/x-msdownload", "application/x-dosexec", "application/x-executable",
     "application/x-sh", "application/javascript", "text/javascript",
     "application/java-archive", "application/x-msi", "application/hta"}
)  # fmt: skip
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa", b"#!")
# Types whose content is checked against their first bytes before the declared
# type is believed; a file that does not match is kept as plain bytes.
SIGNATURES = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04",),
}
OCTET_STREAM = "application/octet-stream"


def attachment_check(filename: str, content_type: str, data: bytes) -> tuple[str, str]:
    """Return ``(content type to keep, reason it is refused or '')``."""
    limit = attachment_limit()
    if len(data) > limit:
        return OCTET_STREAM, _("Larger than %(mb)s MB; not kept.") % {
            "mb": f"{limit / 1024 / 1024:g}"
        }
    extension = ("." + filename.rpartition(".")[2].lower()) if "." in filename else ""
    if (
        extension in BLOCKED_EXTENSIONS
        or content_type in BLOCKED_TYPES
        or data.startswith(EXECUTABLE_MAGIC)
    ):
        return OCTET_STREAM, _("A program or script; not kept, for safety.")
    signatures = SIGNATURES.get(content_type)
    if signatures is not None and not data.startswith(signatures):
        return OCTET_STREAM, ""
    if "/" not in content_type:
        return OCTET_STREAM, ""
    return content_type, ""


def _store_attachments(
    inbound: InboundMessage,
    attachments: list[mailparse.Attachment],
    stored: list[InboundAttachment],
) -> None:
    """Keep the files that pass :func:`attachment_check`; note the others.

    ``stored`` collects the files written, for the caller to remove if its
    transaction fails.
    """
    for item in attachments:
        content_type, refused = attachment_check(
            item.filename, item.content_type, item.data
        )
        attachment = InboundAttachment(
            message=inbound,
            filename=item.filename,
            content_type=content_type,
            size=min(len(item.data), 2**31 - 1),
            refused=refused,
        )
        if not refused:
            attachment.file.save(item.filename, ContentFile(item.data), save=False)
            stored.append(attachment)
        attachment.save()


# --- Bounces -------------------------------------------------------------------------


def _original(report: mailparse.Report, recipient: mailparse.FailedRecipient):
    """Our message the report is about: named by its Message-ID (which only
    the receiving servers saw) and sent to the address that failed. Anyone
    can mail a report naming any address; without both, it proves nothing."""
    if not report.original_message_id:
        return None
    found = Message.objects.filter(message_id=report.original_message_id).first()
    addresses = {recipient.email.lower(), (recipient.original or "").lower()}
    if found is None or found.to_email.lower() not in addresses:
        return None
    return found


def _record_bounce(inbound: InboundMessage, report: mailparse.Report) -> None:
    """Mark the messages the report names; block the addresses that bounced hard."""
    notes = []
    for recipient in report.recipients:
        reason = one_line(f"{recipient.status} {recipient.diagnostic}".strip())[:400]
        original = _original(report, recipient)
        if recipient.hard and original is not None:
            SuppressedAddress.objects.get_or_create(
                email=recipient.email,
                defaults={
                    "reason": (_("Hard bounce: %(reason)s") % {"reason": reason})[:300]
                },
            )
        if original is not None:
            if inbound.reply_to_message_id is None:
                inbound.reply_to_message = original
                inbound.contact_id = original.contact_id
            # A hard bounce is final; a later soft one does not undo it.
            if recipient.hard or original.bounce != Bounce.HARD:
                Message.objects.filter(pk=original.pk).update(
                    bounce=Bounce.HARD if recipient.hard else Bounce.SOFT,
                    bounce_reason=reason,
                    bounced_at=timezone.now(),
                )
        notes.append(
            (_("%(email)s bounced hard: %(reason)s") if recipient.hard
             else _("%(email)s bounced softly: %(reason)s"))
            % {"email": recipient.email, "reason": reason}
        )  # fmt: skip
        logger.info(
            "Bounce (%s) for message %s: %s",
            "hard" if recipient.hard else "soft",
            original.pk if original is not None else "?",
            recipient.status,
        )
    if notes:
        inbound.note = " · ".join(notes)[:500]
