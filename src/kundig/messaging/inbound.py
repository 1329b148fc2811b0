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
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity.choices import Channel, Direction, Kind
from kundig.activity.services import BODY_MAX_LENGTH, SourceEntry, timeline_add_many
from kundig.contacts import selectors as contact_selectors
from kundig.contacts import services as contact_services
from kundig.contacts.choices import ChangeSource
from kundig.core import bulk
from kundig.core.events import emit_many
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
        return _file_parsed(
            mailbox, parsed, uid=uid, size=size or len(raw),
            headers_only=headers_only, stored=stored,
        )  # fmt: skip
    except BaseException:
        _remove(stored)
        raise


def _remove(stored: list[InboundAttachment]) -> None:
    for attachment in stored:
        attachment.file.storage.delete(attachment.file.name)


def _too_large_note(note: str) -> str:
    too_large = _("The mail was larger than %(mb)d MB; only its headers were read.") % {
        "mb": mail_limit() >> 20
    }
    return f"{too_large} {note}".strip()[:500]


def _file_parsed(
    mailbox: Mailbox, parsed: mailparse.ParsedMail, *, uid, size: int,
    headers_only: bool, stored: list[InboundAttachment],
) -> Filed:  # fmt: skip
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = _create(mailbox, parsed, uid=uid, size=size)
        except IntegrityError:  # filed at this moment by another reader
            return Filed(
                message=InboundMessage.objects.get(message_id=parsed.message_id),
                created=False,
            )
        if headers_only:
            inbound.note = _too_large_note(inbound.note)
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
            _announce(inbound, contact_created=created)
        return Filed(message=inbound, created=True, contact_created=created)


@dataclass
class Incoming:
    """One fetched mail, as :func:`inbound_file` takes it."""

    raw: bytes
    uid: int | None = None
    size: int | None = None
    headers_only: bool = False


def inbound_file_many(*, mailbox: Mailbox, mails: list[Incoming]) -> list[Filed]:
    """File ``mails`` as :func:`inbound_file` would file each, in order, at once.

    The outcome is the same (a mail may answer one earlier in the batch, two
    mails of one new sender make one contact), in a number of queries that
    does not grow with the batch: one lookup each for known Message-IDs,
    threads and senders, and one bulk insert each for the mails, their
    attachments, timeline entries and events. Only a delivery report and a
    new sender's contact take queries of their own. The IMAP reader files
    each fetch this way, in one transaction with its progress.

    Raises for a mail the parser fails on, and ``IntegrityError`` when
    another reader filed one of them at this moment; the caller then files
    the batch one mail at a time, which handles both.
    """
    own = own_addresses()
    batch = [
        (item, mailparse.parse(
            item.raw, own_addresses=own, headers_only=item.headers_only
        ))
        for item in mails
    ]  # fmt: skip
    known = {
        m.message_id: m
        for m in InboundMessage.objects.filter(
            message_id__in={parsed.message_id for _item, parsed in batch}
        )
    }
    stored: list[InboundAttachment] = []
    try:
        with transaction.atomic():
            return _file_batch(mailbox, batch, known, stored)
    except BaseException:
        _remove(stored)
        raise


def _file_batch(mailbox, batch, known, stored) -> list[Filed]:
    results: list[Filed | None] = [None] * len(batch)
    seen: set[str] = set()
    fresh: list[int] = []
    for n, (item, parsed) in enumerate(batch):
        if parsed.message_id in known or parsed.message_id in seen:
            continue  # a second delivery: answered below
        seen.add(parsed.message_id)
        if parsed.kind == InboundKind.BOUNCE:
            results[n] = _file_parsed(
                mailbox, parsed, uid=item.uid, size=item.size or len(item.raw),
                headers_only=item.headers_only, stored=stored,
            )  # fmt: skip
            known[parsed.message_id] = results[n].message
        else:
            fresh.append(n)
    if fresh:
        _create_many(mailbox, [(n, *batch[n]) for n in fresh], known, results)
    for n, (_item, parsed) in enumerate(batch):
        if results[n] is None:
            results[n] = Filed(message=known[parsed.message_id], created=False)
    _finish_many([(results[n], batch[n][1]) for n in fresh], stored)
    return results


def _create_many(mailbox, fresh, known, results) -> None:
    """Insert the new mails of a batch with their threads and contacts."""
    wanted = {i for _n, _item, parsed in fresh for i in parsed.thread_ids}
    ours = {m.message_id: m.pk for m in Message.objects.filter(message_id__in=wanted)}
    theirs = {
        m.message_id: m.pk for m in InboundMessage.objects.filter(message_id__in=wanted)
    }
    senders = contact_selectors.contacts_by_email(
        parsed.from_email
        for _n, _item, parsed in fresh
        if parsed.kind in (InboundKind.MAIL, InboundKind.AUTO_REPLY, InboundKind.BULK)
    )
    # New senders' contacts are made under a lock per address, held until
    # the fetch commits: taken in one order, two readers cannot deadlock.
    for address in sorted(
        {p.from_email for _n, _item, p in fresh if p.kind == InboundKind.MAIL}
        - senders.keys()
        - {""}
    ):
        contact_services.email_lock(address)
    ids = bulk.reserve_ids(InboundMessage, len(fresh))
    rows = []
    for pk, (n, item, parsed) in zip(ids, fresh, strict=True):
        size = item.size or len(item.raw)
        inbound = _unsaved(mailbox, parsed, uid=item.uid, size=size)
        inbound.pk = pk
        if item.headers_only:
            inbound.note = _too_large_note(inbound.note)
        for message_id in parsed.thread_ids:  # the nearest mail it answers
            if message_id in ours:
                inbound.reply_to_message_id = ours[message_id]
                break
            if message_id in theirs:
                inbound.reply_to_inbound_id = theirs[message_id]
                break
        contact, created = None, False
        if parsed.kind == InboundKind.MAIL and parsed.from_email not in senders:
            contact, created = _contact_for(parsed)
            if contact is not None:
                senders[parsed.from_email] = contact
        elif parsed.kind != InboundKind.OWN:
            contact = senders.get(parsed.from_email)
        inbound.contact = contact
        theirs[parsed.message_id] = pk  # later mails of the batch may answer it
        known[parsed.message_id] = inbound
        results[n] = Filed(message=inbound, created=True, contact_created=created)
        rows.append(inbound)
    InboundMessage.objects.bulk_create(rows)


def _finish_many(filed: list[tuple[Filed, mailparse.ParsedMail]], stored) -> None:
    """Attachments, timeline entries and events of newly filed mails, in bulk."""
    attachments, entries, events = [], [], []
    for result, mail in filed:
        inbound = result.message
        attachments += _attachment_rows(inbound, mail.attachments, stored)
        if mail.kind == InboundKind.MAIL and inbound.contact is not None:
            entries.append(_entry(inbound))
            events.append(_event(inbound, contact_created=result.contact_created))
    InboundAttachment.objects.bulk_create(attachments)
    timeline_add_many(entries)
    emit_many(events)


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
    inbound = _unsaved(mailbox, parsed, uid=uid, size=size)
    inbound.save(force_insert=True)
    return inbound


def _unsaved(mailbox: Mailbox, parsed: mailparse.ParsedMail, *, uid, size: int):
    notes = [parsed.flag_reason, *parsed.problems]
    return InboundMessage(
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


def _contact_for(parsed: mailparse.ParsedMail):
    """The sender's contact, and whether it was created for this mail."""
    if not parsed.from_email or parsed.kind == InboundKind.OWN:
        return None, False
    if parsed.kind != InboundKind.MAIL:
        # Out-of-office notes and newsletters find their contact, but a
        # stranger's newsletter is no new customer.
        return contact_selectors.contact_by_email(parsed.from_email), False
    contact_services.email_lock(parsed.from_email)
    contact = contact_selectors.contact_by_email(parsed.from_email)
    if contact is not None:
        return contact, False
    first, last = contact_services.names_from_display(parsed.from_name)
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


def _announce(inbound: InboundMessage, *, contact_created: bool) -> None:
    timeline_add_many([_entry(inbound)])
    emit_many([_event(inbound, contact_created=contact_created)])


def _entry(inbound: InboundMessage) -> SourceEntry:
    """The timeline entry of a mail from a person."""
    return SourceEntry(
        contact_id=inbound.contact_id,
        kind=Kind.EMAIL,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        occurred_at=min(inbound.date or inbound.received_at, timezone.now()),
        summary=inbound.subject or _("(no subject)"),
        body=mailparse.without_quote(inbound.text)[:BODY_MAX_LENGTH],
        source_type="messaging.inbound",
        source_id=str(inbound.pk),
        source_url=inbound.get_absolute_url(),
    )


def _event(inbound: InboundMessage, *, contact_created: bool):
    """``message.received``: a person wrote; playbooks may start or go on."""
    return (
        "message.received",
        InboundMessage._meta.label_lower,
        inbound.pk,
        {
            "contact_id": inbound.contact_id,
            "mailbox": inbound.mailbox.email,
            "answers_message": inbound.reply_to_message_id,
            "answers_inbound": inbound.reply_to_inbound_id,
            "contact_created": contact_created,
        },
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
    InboundAttachment.objects.bulk_create(
        _attachment_rows(inbound, attachments, stored)
    )


def _attachment_rows(
    inbound: InboundMessage,
    attachments: list[mailparse.Attachment],
    stored: list[InboundAttachment],
) -> list[InboundAttachment]:
    """Keep the files that pass :func:`attachment_check`; note the others.

    Returns the rows to insert. ``stored`` collects the files written, for
    the caller to remove if its transaction fails.
    """
    rows = []
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
        rows.append(attachment)
    return rows


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
