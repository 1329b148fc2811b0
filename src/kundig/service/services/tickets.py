"""Tickets: opened from any channel, answered, noted, moved along to solved.

Every write is here. A ticket opens once per source (a mail, an event, a
form), so a mail filed twice or an event handled again opens nothing new.
Mail from a customer continues the ticket its thread belongs to (the
customer answered our reply, or wrote again in the same conversation), and
opens a new one otherwise. A public reply goes out through the outbox as a
reply to the customer's last mail, so their mail program threads it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kundig.activity.choices import Direction, Kind
from kundig.activity.services import timeline_add
from kundig.commerce import selectors as commerce_selectors
from kundig.commerce import services as commerce_services
from kundig.commerce.models import Order, Shipment
from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.events import emit, is_historical
from kundig.core.notifications import notification_create
from kundig.core.permissions import require
from kundig.core.text import one_line, strip_control_characters
from kundig.core.visibility import can_see
from kundig.messaging import inbound as mail_intake
from kundig.messaging import replies
from kundig.messaging.models import InboundMessage

from .. import selectors
from ..choices import (
    OPEN_STATUSES,
    EntryKind,
    Priority,
    Sentiment,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from ..models import (
    ChatConversation,
    Queue,
    ServiceSettings,
    Ticket,
    TicketAttachment,
    TicketEntry,
)
from ..sentiment import sentiment as sentiment_of
from . import sla

SUBJECT_LENGTH = 300
TEXT_LENGTH = 100_000
# What a ticket's page may change, and how the audit log names it.
FIELDS = ("status", "priority", "category", "queue", "assignee")


def _snapshot(ticket: Ticket) -> dict:
    return {
        "status": ticket.get_status_display(),
        "priority": ticket.get_priority_display(),
        "category": ticket.get_category_display(),
        "queue": str(ticket.queue),
        "assignee": str(ticket.assignee or ""),
    }


def _clean_text(text: str, field: str, errors: dict, *, required: bool) -> str:
    text = strip_control_characters(text or "").strip()
    if required and not text:
        errors[field] = [_("Write something.")]
    elif len(text) > TEXT_LENGTH:
        errors[field] = [_("At most %(n)d characters.") % {"n": TEXT_LENGTH}]
    return text


# Scans a letter may carry: checked by their first bytes, not their name.
SCAN_TYPES = ("application/pdf", "image/png", "image/jpeg")
MAX_FILES = 5


def _checked_files(attachments, errors: dict) -> list[tuple[str, str, bytes]]:
    """The files as kept, or the reasons on ``errors["attachments"]``."""
    files = []
    for name, content_type, data in list(attachments or ())[: MAX_FILES + 1]:
        name = one_line(name)[:200] or "scan"
        kept, refused = mail_intake.attachment_check(name, content_type, data)
        if refused:
            errors.setdefault("attachments", []).append(f"{name}: {refused}")
        elif kept not in SCAN_TYPES:
            errors.setdefault("attachments", []).append(
                _("%(name)s: only PDF, PNG or JPEG files (checked by their content).")
                % {"name": name}
            )
        else:
            files.append((name, kept, data))
    if len(files) > MAX_FILES:
        errors.setdefault("attachments", []).append(
            _("At most %(n)d files.") % {"n": MAX_FILES}
        )
    return files


# --- Opening --------------------------------------------------------------------------


def ticket_open(
    *,
    actor,
    contact,
    subject: str,
    channel: str,
    body: str = "",
    category: str = TicketCategory.QUESTION,
    priority: str = Priority.NORMAL,
    queue: Queue | None = None,
    assignee=None,
    order=None,
    shipment=None,
    ret=None,
    mailbox=None,
    inbound=None,
    source: str | None = None,
    sentiment: str = "",
    attachments=(),
) -> Ticket:
    """Open a ticket for ``contact``; the same ``source`` opens it once.

    ``attachments``: files of the customer's message, as (name, content type,
    bytes) — a scanned letter: PDF, PNG or JPEG, checked by their content.

    ``body`` (or the mail ``inbound``) is the customer's first message. A
    ticket an agent logs (a call, a letter) is theirs unless ``assignee``
    says otherwise.
    """
    if actor is not None:
        require(actor, Permission.SERVICE_DESK)
        if not can_see(actor, contact):
            raise PermissionDenied
    if source:
        existing = Ticket.objects.filter(source=source).first()
        if existing is not None:
            return existing
    errors: dict[str, list[str]] = {}
    subject = one_line(subject)[:SUBJECT_LENGTH]
    if not subject:
        errors["subject"] = [_("Give the ticket a subject.")]
    for field, value, choices in (
        ("channel", channel, TicketChannel),
        ("category", category, TicketCategory),
        ("priority", priority, Priority),
    ):
        if value not in choices.values:
            errors[field] = [_("Choose one of the list.")]
    if sentiment and sentiment not in Sentiment.values:
        errors["sentiment"] = [_("Choose one of the list.")]
    files = _checked_files(attachments, errors)
    if not sentiment:
        # How the customer sounds, for the escalation rule on angry customers.
        first = body or (inbound.text if inbound is not None else "")
        sentiment = sentiment_of(first) if first else ""
    body = _clean_text(body, "body", errors, required=False)
    queue = queue or selectors.queue_default()
    if queue is None:
        errors["queue"] = [_("There is no queue yet; an administrator sets one up.")]
    if assignee is not None and not assignee.is_active:
        errors["assignee"] = [_("Choose an active user.")]
    for field, record in (("order", order), ("shipment", shipment), ("ret", ret)):
        owner = getattr(record, "contact_id", None)
        if record is not None and field != "order":
            owner = record.order.contact_id
        if record is not None and owner != contact.pk:
            errors[field] = [_("That belongs to another customer.")]
    if errors:
        raise ValidationError(errors)
    if (
        assignee is None
        and actor is not None
        and channel
        in (
            TicketChannel.PHONE,
            TicketChannel.LETTER,
        )
    ):
        assignee = actor  # who took the call answers it
    try:
        with transaction.atomic():
            ticket = _open(
                actor, contact, subject, channel, body, category, priority, queue,
                assignee, order, shipment, ret, mailbox, inbound, source, sentiment,
                files,
            )  # fmt: skip
    except IntegrityError:
        if not source:
            raise
        return Ticket.objects.get(source=source)  # opened at the same moment
    return ticket


def _open(
    actor, contact, subject, channel, body, category, priority, queue, assignee,
    order, shipment, ret, mailbox, inbound, source, sentiment, files=(),
) -> Ticket:  # fmt: skip
    if order is None and shipment is not None:
        order = shipment.order
    if order is None and ret is not None:
        order = ret.order
    ticket = Ticket(
        contact=contact,
        subject=subject,
        channel=channel,
        category=category,
        priority=priority,
        queue=queue,
        assignee=assignee,
        order=order,
        shipment=shipment,
        ret=ret,
        mailbox=mailbox or (inbound.mailbox if inbound is not None else None),
        source=source or "",
        sentiment=sentiment,
        created_by=actor if actor is not None and actor.pk else None,
    )
    sla.sla_set(ticket)
    ticket.save(force_insert=True)
    if body or inbound is not None or files:
        entry = TicketEntry.objects.create(
            ticket=ticket,
            kind=EntryKind.CUSTOMER,
            author=actor if actor is not None and actor.pk else None,
            body=body or (inbound.text if inbound is not None else ""),
            inbound=inbound,
            created_at=inbound.received_at if inbound is not None else timezone.now(),
        )
        for name, content_type, data in files:
            attachment = TicketAttachment(
                entry=entry, filename=name, content_type=content_type, size=len(data)
            )
            attachment.file.save(name, ContentFile(data), save=False)
            attachment.save()
    timeline_add(
        actor=actor if actor is not None and actor.pk else None,
        kind=Kind.TICKET,
        contact=contact,
        summary=_("Ticket %(number)s opened: %(subject)s")
        % {"number": ticket.number, "subject": subject},
        direction=Direction.INBOUND,
        source_type="service.ticket",
        source_id=f"{ticket.pk}:opened",
        source_url=ticket.get_absolute_url(),
    )
    audit_created(ticket, actor=actor)
    emit(
        "ticket.opened",
        ticket,
        actor=actor,
        contact_id=contact.pk,
        channel=channel,
        category=category,
        priority=priority,
        queue_id=queue.pk,
    )
    if sla.escalate_by_rules(ticket):
        ticket.refresh_from_db()
    elif assignee is not None and assignee != actor:
        _notify_assignee(ticket)
    return ticket


def tickets_from_mail(inbound_messages) -> list[Ticket]:
    """File customers' mails as tickets: continue the one its thread belongs to,
    else open one in the queue of the mailbox it came to."""
    filed = []
    for inbound in inbound_messages:
        with transaction.atomic():
            filed.append(ticket_file_mail(inbound))
    return filed


def ticket_file_mail(inbound) -> Ticket:
    """One customer mail as a ticket's entry; once per mail."""
    entry = TicketEntry.objects.filter(inbound=inbound).select_related("ticket").first()
    if entry is not None:
        return entry.ticket
    ticket = _thread_ticket(inbound)
    if ticket is None or ticket.status == TicketStatus.CLOSED:
        queue = (
            Queue.objects.filter(mailbox=inbound.mailbox_id).first()
            or selectors.queue_default()
        )
        about = {"order": ticket.order if ticket is not None else None}
        if ticket is None:
            # A customer whose parcel is late most likely writes about it.
            late = commerce_selectors.late_shipment_of(inbound.contact_id)
            if late is not None:
                about = {
                    "order": late.order,
                    "shipment": late,
                    "category": TicketCategory.LATE_DELIVERY,
                }
        return ticket_open(
            actor=None,
            contact=inbound.contact,
            subject=inbound.subject or _("(no subject)"),
            channel=TicketChannel.EMAIL,
            queue=queue,
            mailbox=inbound.mailbox,
            inbound=inbound,
            source=f"mail:{inbound.pk}",
            **about,
        )
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    TicketEntry.objects.create(
        ticket=ticket,
        kind=EntryKind.CUSTOMER,
        body=inbound.text,
        inbound=inbound,
        created_at=inbound.received_at,
    )
    customer_answered(ticket)
    return ticket


def customer_answered(ticket: Ticket) -> None:
    """The customer wrote on ``ticket`` (locked): it is someone's to do again."""
    before = ticket.status
    fields = ["status", "reopened", "solved_at", "updated_at"]
    if before != TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
        if before == TicketStatus.SOLVED:
            ticket.reopened += 1
            ticket.solved_at = None
        fields += sla.sla_status_changed(ticket, before, timezone.now())
    ticket.save(update_fields=fields)
    emit(
        "ticket.customer_replied",
        ticket,
        contact_id=ticket.contact_id,
        reopened=before == TicketStatus.SOLVED,
    )
    if ticket.assignee_id:
        _notify_assignee(ticket, answered=True)


def _thread_ticket(inbound) -> Ticket | None:
    """The ticket ``inbound`` continues, by the mail it answers."""
    if inbound.reply_to_message_id:
        entry = (
            TicketEntry.objects.filter(message_id=inbound.reply_to_message_id)
            .select_related("ticket")
            .first()
        )
        if entry is not None:
            return entry.ticket
    if inbound.reply_to_inbound_id:
        entry = (
            TicketEntry.objects.filter(inbound_id=inbound.reply_to_inbound_id)
            .select_related("ticket")
            .first()
        )
        if entry is not None:
            return entry.ticket
    return None


# --- Answering ------------------------------------------------------------------------


# A visitor whose chat window has not asked for news this long has gone.
CHAT_AWAY = dt.timedelta(minutes=2)


def _mail_if_gone(actor, ticket: Ticket, text: str, key: str) -> None:
    """The visitor left the chat: the answer goes to their address as well."""
    chat = ChatConversation.objects.get(ticket_id=ticket.pk)
    if chat.last_seen_at and chat.last_seen_at > timezone.now() - CHAT_AWAY:
        return
    replies.message_write(
        actor=actor,
        contact=ticket.contact,
        subject=f"{one_line(ticket.subject)[:200]} [{ticket.number}]",
        text=text,
        key=hashlib.sha256(f"chat-mail:{key}".encode()).hexdigest()[:32],
        mailbox=ticket.mailbox or ticket.queue.mailbox,
        origin=_("Ticket %(number)s") % {"number": ticket.number},
    )


def is_chat(ticket: Ticket) -> bool:
    """Whether ``ticket`` is a website chat (answered there, not by mail)."""
    return ChatConversation.objects.filter(ticket_id=ticket.pk).exists()


@transaction.atomic
def ticket_reply(
    *,
    actor,
    ticket: Ticket,
    text: str,
    key: str,
    status: str = TicketStatus.WAITING_CUSTOMER,
) -> TicketEntry:
    """Answer the customer by mail, as a reply to their last mail; once per ``key``.
    A chat's ticket is answered in the chat instead.

    The ticket then waits on the customer (or takes ``status``).
    """
    require(actor, Permission.SERVICE_DESK)
    existing = TicketEntry.objects.filter(
        Q(message__idempotency_key=f"write:{key}") | Q(key=f"write:{key}"),
        ticket=ticket,
    ).first()
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    text = _clean_text(text, "text", errors, required=True)
    if status not in TicketStatus.values:
        errors["status"] = [_("Choose one of the list.")]
    if errors:
        raise ValidationError(errors)
    if is_chat(ticket):
        require(actor, Permission.WRITE)
        if not can_see(actor, ticket.contact):
            raise PermissionDenied
        try:
            with transaction.atomic():
                entry = TicketEntry.objects.create(
                    ticket=ticket, kind=EntryKind.REPLY, author=actor, body=text,
                    key=f"write:{key}",
                )  # fmt: skip
        except IntegrityError:  # the same form, sent twice at once
            return TicketEntry.objects.get(key=f"write:{key}")
        _mail_if_gone(actor, ticket, text, key)
        _answered(actor, ticket, status)
        emit("ticket.replied", ticket, actor=actor, contact_id=ticket.contact_id)
        return entry
    last = (
        ticket.entries.filter(kind=EntryKind.CUSTOMER, inbound__isnull=False)
        .select_related("inbound__mailbox")
        .order_by("-created_at", "-id")
        .first()
    )
    reply_to = last.inbound if last is not None else None
    subject = replies.reply_subject(reply_to.subject if reply_to else ticket.subject)
    queued = replies.message_write(
        actor=actor,
        contact=ticket.contact,
        subject=f"{subject} [{ticket.number}]"
        if ticket.number not in subject
        else subject,
        text=text,
        key=key,
        reply_to=reply_to,
        mailbox=ticket.mailbox or ticket.queue.mailbox,
        origin=_("Ticket %(number)s") % {"number": ticket.number},
    )
    entry = TicketEntry.objects.create(
        ticket=ticket,
        kind=EntryKind.REPLY,
        author=actor,
        body=text,
        message=queued.message,
    )
    _answered(actor, ticket, status)
    emit("ticket.replied", ticket, actor=actor, contact_id=ticket.contact_id)
    return entry


@transaction.atomic
def ticket_note(*, actor, ticket: Ticket, text: str) -> TicketEntry:
    """An internal note on the ticket: for the team, never sent."""
    require(actor, Permission.SERVICE_DESK)
    errors: dict[str, list[str]] = {}
    text = _clean_text(text, "text", errors, required=True)
    if errors:
        raise ValidationError(errors)
    return TicketEntry.objects.create(
        ticket=ticket, kind=EntryKind.NOTE, author=actor, body=text
    )


def _answered(actor, ticket: Ticket, status: str) -> None:
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    fields = ["updated_at"]
    if ticket.first_response_at is None:
        ticket.first_response_at = timezone.now()
        fields.append("first_response_at")
    if ticket.status != status:
        _set_status(actor, ticket, status, fields)
    ticket.save(update_fields=fields)


# --- Changing -------------------------------------------------------------------------


@transaction.atomic
def ticket_update(*, actor, ticket: Ticket, **changes) -> Ticket:
    """Change a ticket's status, priority, category, queue or assignee."""
    require(actor, Permission.SERVICE_DESK)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown ticket fields {sorted(unknown)}")
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    before = _snapshot(ticket)
    errors: dict[str, list[str]] = {}
    for field, choices in (
        ("status", TicketStatus),
        ("priority", Priority),
        ("category", TicketCategory),
    ):
        if field in changes and changes[field] not in choices.values:
            errors[field] = [_("Choose one of the list.")]
    assignee = changes.get("assignee")
    if assignee is not None and assignee != ticket.assignee and not assignee.is_active:
        errors["assignee"] = [_("Choose an active user.")]
    if errors:
        raise ValidationError(errors)
    fields = ["updated_at"]
    old_assignee = ticket.assignee_id
    for field in ("priority", "category", "queue", "assignee"):
        if field in changes and getattr(ticket, field) != changes[field]:
            setattr(ticket, field, changes[field])
            fields.append(field)
    if "priority" in fields or "category" in fields:
        fields += sla.sla_set(ticket)  # another service level may fit now
    if "status" in changes and changes["status"] != ticket.status:
        _set_status(actor, ticket, changes["status"], fields)
    ticket.save(update_fields=fields)
    audit_changes(ticket, actor=actor, before=before, after=_snapshot(ticket))
    if ticket.assignee_id != old_assignee:
        emit(
            "ticket.assigned",
            ticket,
            actor=actor,
            contact_id=ticket.contact_id,
            assignee_id=ticket.assignee_id,
        )
        if ticket.assignee is not None and ticket.assignee != actor:
            _notify_assignee(ticket)
    moved = before["category"] != ticket.get_category_display()
    if moved and sla.escalate_by_rules(ticket):
        ticket.refresh_from_db()
    return ticket


def _set_status(actor, ticket: Ticket, status: str, fields: list[str]) -> None:
    """Move ``ticket`` to ``status`` (the caller saves ``fields``)."""
    before = ticket.status
    ticket.status = status
    fields.append("status")
    now = timezone.now()
    fields += sla.sla_status_changed(ticket, before, now)
    if status == TicketStatus.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.solved_at = ticket.solved_at or now
        fields += ["closed_at", "solved_at"]
    elif before in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        ticket.reopened += 1
        ticket.solved_at = ticket.closed_at = None
        fields += ["reopened", "solved_at", "closed_at"]
    emit(
        "ticket.status_changed",
        ticket,
        actor=actor,
        contact_id=ticket.contact_id,
        before=before,
        after=status,
    )
    if status == TicketStatus.SOLVED:
        emit("ticket.solved", ticket, actor=actor, contact_id=ticket.contact_id)
        timeline_add(
            actor=actor if actor is not None and actor.pk else None,
            kind=Kind.TICKET,
            contact=ticket.contact,
            summary=_("Ticket %(number)s solved: %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject},
            direction=Direction.OUTBOUND,
            source_type="service.ticket",
            source_id=f"{ticket.pk}:solved:{ticket.reopened}",
            source_url=ticket.get_absolute_url(),
        )


def _notify_assignee(ticket: Ticket, *, answered: bool = False) -> None:
    user = ticket.assignee
    with translation.override(user.language):
        title = (
            _("%(contact)s answered on ticket %(number)s")
            if answered
            else _("Ticket %(number)s is yours: %(subject)s")
        ) % {
            "contact": ticket.contact,
            "number": ticket.number,
            "subject": ticket.subject,
        }
        notification_create(
            user=user,
            title=title,
            url=ticket.get_absolute_url(),
            dedupe_key=f"ticket:{ticket.pk}:{'answered' if answered else 'assigned'}:"
            f"{ticket.entries.count()}",
        )


def new_form_key() -> str:
    """A one-time key for a reply form (a double click sends one mail)."""
    return uuid.uuid4().hex


# --- From mail and shop events --------------------------------------------------------


def tickets_from_mail_events(events) -> list[Ticket]:
    """``message.received``: each customer mail continues or opens a ticket."""
    ids = [event.subject_id for event in events if not is_historical(event)]
    mails = (
        InboundMessage.objects.filter(pk__in=ids, contact__isnull=False)
        .select_related("mailbox", "contact")
        .order_by("received_at", "id")
    )
    return tickets_from_mail(mails)


def tickets_from_shop_events(events) -> list[Ticket]:
    """A late parcel, an item that cannot be delivered: a ticket, if switched on.

    If the customer's order already has an open ticket (they wrote first),
    the fact goes on that one as a note instead.
    """
    wanted = ServiceSettings.current()
    opened = []
    for event in events:
        if is_historical(event):
            continue
        with transaction.atomic():
            if event.name == "shipment.late" and wanted.open_on_late_shipment:
                opened.append(_late_shipment(event))
            elif event.name == "product.unavailable" and wanted.open_on_unavailable:
                opened.append(_unavailable(event))
            elif (
                event.name == "revocation.rejected"
                and wanted.open_on_revocation_rejected
            ):
                opened.append(_revocation_rejected(event))
    return [ticket for ticket in opened if ticket is not None]


def _late_shipment(event) -> Ticket | None:
    shipment = (
        Shipment.objects.filter(pk=event.subject_id)
        .select_related("order__contact")
        .first()
    )
    if shipment is None:
        return None
    order = shipment.order
    promised = shipment.promised_for
    text = _("The parcel of order %(number)s was promised for %(date)s and has "
             "not arrived.%(carrier)s") % {
        "number": order.number,
        "date": date_format(promised, "SHORT_DATE_FORMAT") if promised else "?",
        "carrier": f" {shipment.carrier} {shipment.tracking_number}".rstrip()
        if shipment.carrier or shipment.tracking_number
        else "",
    }  # fmt: skip
    return _about_order(
        event,
        order,
        subject=_("Order %(number)s: the parcel is late") % {"number": order.number},
        text=text,
        category=TicketCategory.LATE_DELIVERY,
        shipment=shipment,
    )


def _revocation_rejected(event) -> Ticket | None:
    order = (
        Order.objects.filter(pk=(event.payload or {}).get("order_id"))
        .select_related("contact")
        .first()
    )
    if order is None:
        return None
    return _about_order(
        event,
        order,
        subject=_("Order %(number)s: revocation rejected") % {"number": order.number},
        text=_(
            "The revocation of order %(number)s was rejected. The customer may "
            "dispute it: check the reason, and answer before they ask."
        )
        % {"number": order.number},
        category=TicketCategory.REVOCATION_DISPUTE,
    )


def _unavailable(event) -> Ticket | None:
    order = Order.objects.filter(pk=event.subject_id).select_related("contact").first()
    if order is None:
        return None
    item = (event.payload or {}).get("name") or (event.payload or {}).get("sku") or "?"
    return _about_order(
        event,
        order,
        subject=_("Order %(number)s: %(item)s cannot be delivered")
        % {"number": order.number, "item": item},
        text=_("%(item)s of order %(number)s cannot be delivered.")
        % {"item": item, "number": order.number},
        category=TicketCategory.OUT_OF_STOCK,
    )


def _about_order(event, order, *, subject, text, category, shipment=None) -> Ticket:
    source = f"event:{event.pk}"
    ticket = Ticket.objects.filter(source=source).first()
    if ticket is not None:
        return ticket  # handled before
    ticket = (
        Ticket.objects.filter(order=order, status__in=OPEN_STATUSES)
        .order_by("-created_at")
        .first()
    )
    if ticket is not None:
        TicketEntry.objects.create(ticket=ticket, kind=EntryKind.NOTE, body=text)
        return ticket
    return ticket_open(
        actor=None,
        contact=order.contact,
        subject=subject,
        channel=TicketChannel.SHOP,
        body=text,
        category=category,
        priority=Priority.HIGH,
        order=order,
        shipment=shipment,
        source=source,
    )


@transaction.atomic
def ticket_return_announce(
    *, actor, ticket: Ticket, lines: dict, reason: str, comment: str, key: str
):
    """Announce a return of the ticket's order for the customer, and tie it to
    the ticket (its category becomes *return* if it was a question)."""
    require(actor, Permission.SERVICE_DESK)
    if ticket.order_id is None:
        raise ValidationError(_("This ticket is not about an order."))
    ret = commerce_services.return_announce(
        actor=actor, order=ticket.order, lines=lines, reason=reason,
        comment=comment, key=key,
    )  # fmt: skip
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.ret_id == ret.pk:
        return ret  # the same form again
    fields = ["ret", "updated_at"]
    ticket.ret = ret
    if ticket.category == TicketCategory.QUESTION:
        ticket.category = TicketCategory.RETURN
        fields.append("category")
    ticket.save(update_fields=fields)
    TicketEntry.objects.create(
        ticket=ticket, kind=EntryKind.NOTE, author=actor,
        body=_("Return %(rma)s announced.") % {"rma": ret.rma_number},
    )  # fmt: skip
    return ret


# --- Merging and splitting ------------------------------------------------------------


@transaction.atomic
def ticket_merge(*, actor, ticket: Ticket, into: Ticket) -> Ticket:
    """Merge ``ticket`` into ``into`` (the same customer's): its conversation
    and goodwill move over, it is closed with a note, and mail answering it
    now continues ``into``."""
    require(actor, Permission.SERVICE_DESK)
    first, second = sorted([ticket.pk, into.pk])
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",))
        .filter(pk__in=[first, second])
        .order_by("pk")
    }
    ticket, into = locked.get(ticket.pk), locked.get(into.pk)
    errors = []
    if ticket is None or into is None or ticket.pk == into.pk:
        errors.append(_("Choose another ticket to merge into."))
    elif ticket.contact_id != into.contact_id:
        errors.append(_("Only tickets of the same customer can be merged."))
    elif is_chat(ticket) or is_chat(into):
        errors.append(_("A website chat cannot be merged."))
    elif ticket.merged_into_id:
        errors.append(_("This ticket was merged already."))
    elif not into.is_open:
        errors.append(_("The ticket to merge into is closed or solved."))
    if errors:
        raise ValidationError({"into": errors})
    ticket.entries.update(ticket=into)
    ticket.offers.update(ticket=into)
    TicketEntry.objects.create(
        ticket=into, kind=EntryKind.NOTE, author=actor,
        body=_("Ticket %(number)s was merged into this one.")
        % {"number": ticket.number},
    )  # fmt: skip
    TicketEntry.objects.create(
        ticket=ticket, kind=EntryKind.NOTE, author=actor,
        body=_("Merged into ticket %(number)s.") % {"number": into.number},
    )  # fmt: skip
    before = _snapshot(ticket)
    ticket.merged_into = into
    fields = ["merged_into", "updated_at"]
    if ticket.status != TicketStatus.CLOSED:
        _set_status(actor, ticket, TicketStatus.CLOSED, fields)
    ticket.save(update_fields=fields)
    audit_changes(ticket, actor=actor, before=before, after=_snapshot(ticket))
    emit("ticket.merged", ticket, actor=actor, contact_id=ticket.contact_id,
         into_id=into.pk)  # fmt: skip
    return into


@transaction.atomic
def ticket_split(*, actor, ticket: Ticket, entry: TicketEntry) -> Ticket:
    """Make a customer's message a ticket of its own (same customer, queue and
    category); the new one starts open, the message moves over."""
    require(actor, Permission.SERVICE_DESK)
    if entry.ticket_id != ticket.pk or entry.kind != EntryKind.CUSTOMER:
        raise ValidationError({"entry": _("Choose one of the customer's messages.")})
    if ticket.entries.filter(kind=EntryKind.CUSTOMER).count() < 2:
        raise ValidationError(
            {"entry": _("The customer's only message cannot be split off.")}
        )
    subject = one_line(entry.inbound.subject if entry.inbound_id else "")
    new = ticket_open(
        actor=actor,
        contact=ticket.contact,
        subject=subject or _("Split from %(number)s") % {"number": ticket.number},
        channel=ticket.channel,
        category=ticket.category,
        priority=ticket.priority,
        queue=ticket.queue,
        assignee=actor,
        order=ticket.order,
        mailbox=ticket.mailbox,
        source=f"split:{entry.pk}",
    )
    TicketEntry.objects.filter(pk=entry.pk).update(ticket=new)
    TicketEntry.objects.create(
        ticket=ticket, kind=EntryKind.NOTE, author=actor,
        body=_("A message was split off into ticket %(number)s.")
        % {"number": new.number},
    )  # fmt: skip
    emit("ticket.split", new, actor=actor, contact_id=new.contact_id,
         from_id=ticket.pk)  # fmt: skip
    return new
