"""The public channels. The website chat: a visitor asks, the help articles
answer first, then a person — every chat is a ticket (channel *chat*),
answered from the ticket. The contact form: a request becomes a ticket
(channel *web*), answered by mail.

A conversation is reached only with its token (32 random bytes, kept as a
hash), which the visitor's browser keeps. Visitors are limited: five new
chats an hour from one address, ten messages a minute in one chat, 2,000
characters a message; five forms an hour from one address. Messages are text;
the widget shows them as text.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.commerce import selectors as commerce_selectors
from kundig.contacts import selectors as contact_selectors
from kundig.contacts import services as contacts
from kundig.contacts.choices import ChangeSource
from kundig.core.crypto import digest
from kundig.core.text import one_line, strip_control_characters

from .. import selectors
from ..choices import EntryKind, TicketChannel, TicketStatus
from ..models import ChatConversation, Ticket, TicketEntry, WebFormEntry
from .knowledge import articles_find
from .tickets import customer_answered, ticket_open

MESSAGE_LENGTH = 2000
FORM_MESSAGE_LENGTH = 10_000
CHATS_PER_HOUR = 5
FORMS_PER_HOUR = 5
MESSAGES_PER_MINUTE = 10


class TooMany(Exception):
    """Too many chats or messages from one visitor; try again later."""


def _message(text: str, errors: dict, field: str = "message") -> str:
    text = strip_control_characters(text or "").strip()
    if not text:
        errors[field] = [_("Write a message.")]
    elif len(text) > MESSAGE_LENGTH:
        errors[field] = [_("At most %(n)d characters.") % {"n": MESSAGE_LENGTH}]
    return text


def chat_suggest(*, question: str, language: str) -> list[dict]:
    """Help articles that may answer ``question`` before a person is asked."""
    return [
        {"title": article.title, "url": article.get_absolute_url()}
        for article in articles_find(question=question, language=language, limit=3)
    ]


@transaction.atomic
def _contact_for(name: str, email: str, language: str):
    """The contact with ``email``, or a new one with that name."""
    contacts.email_lock(email)
    contact = contact_selectors.contact_by_email(email)
    if contact is not None:
        return contact
    first, last = contacts.names_from_display(name)
    return contacts.contact_create(
        actor=None,
        fields={
            "first_name": first,
            "last_name": last or name[:100],
            "language": language if language in ("de", "en") else "de",
        },
        emails=[contacts.EmailData(email=email, is_primary=True)],
        tags=["web"],
        source=ChangeSource.SYSTEM,
    )


def _person(name: str, email: str, errors: dict) -> tuple[str, str]:
    name = one_line(name)[:100]
    if not name:
        errors["name"] = [_("Tell us your name.")]
    email = one_line(email).lower()[:254]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Give an email address, so we can answer you.")]
    return name, email


@transaction.atomic
def web_form_send(
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    order_number: str,
    language: str,
    client: str,
    key: str,
) -> Ticket:
    """A request from the public contact form: a ticket (channel web), once per
    form ``key``; the order is linked if the sender has one of that number."""
    errors: dict[str, list[str]] = {}
    name, email = _person(name, email, errors)
    subject = one_line(subject)[:200]
    if not subject:
        errors["subject"] = [_("Give your request a subject.")]
    message = strip_control_characters(message or "").strip()
    if not message:
        errors["message"] = [_("Write a message.")]
    elif len(message) > FORM_MESSAGE_LENGTH:
        errors["message"] = [
            _("At most %(n)d characters.") % {"n": FORM_MESSAGE_LENGTH}
        ]
    if not key or len(key) > 64:
        errors["key"] = [_("The form is out of date; load the page again.")]
    if errors:
        raise ValidationError(errors)
    existing = Ticket.objects.filter(source=f"form:{key}").first()
    if existing is not None:
        return existing
    client_hash = digest(client)
    since = timezone.now() - dt.timedelta(hours=1)
    if (
        WebFormEntry.objects.filter(
            client_hash=client_hash, created_at__gte=since
        ).count()
        >= FORMS_PER_HOUR
    ):
        raise TooMany
    contact = _contact_for(name, email, language)
    number = one_line(order_number).removeprefix("#")[:64]
    order = (
        commerce_selectors.orders_of_customer(contact.pk)
        .filter(Q(number=number) | Q(external_id=number))
        .first()
        if number
        else None
    )
    ticket = ticket_open(
        actor=None,
        contact=contact,
        subject=subject,
        channel=TicketChannel.WEB,
        body=message,
        queue=selectors.queue_default(),
        order=order,
        source=f"form:{key}",
    )
    WebFormEntry.objects.create(ticket=ticket, client_hash=client_hash)
    return ticket


@transaction.atomic
def chat_start(
    *, name: str, email: str, message: str, language: str, client: str
) -> tuple[ChatConversation, str]:
    """Open a chat (a ticket) for the visitor; return it and its token."""
    errors: dict[str, list[str]] = {}
    name, email = _person(name, email, errors)
    message = _message(message, errors)
    if errors:
        raise ValidationError(errors)
    client_hash = digest(client)
    since = timezone.now() - dt.timedelta(hours=1)
    if (
        ChatConversation.objects.filter(
            client_hash=client_hash, created_at__gte=since
        ).count()
        >= CHATS_PER_HOUR
    ):
        raise TooMany
    contact = _contact_for(name, email, language)
    ticket = ticket_open(
        actor=None,
        contact=contact,
        subject=_("Chat: %(message)s") % {"message": one_line(message)[:80]},
        channel=TicketChannel.CHAT,
        body=message,
        queue=selectors.queue_default(),
        source=f"chat:{uuid.uuid4().hex}",
    )
    # What was written in the chat carries a key; the chat shows only that.
    ticket.entries.filter(kind=EntryKind.CUSTOMER).update(
        key=f"chat:{uuid.uuid4().hex}"
    )
    token = secrets.token_urlsafe(32)
    conversation = ChatConversation.objects.create(
        ticket=ticket,
        token_hash=digest(token),
        client_hash=client_hash,
        last_seen_at=timezone.now(),
    )
    return conversation, token


def chat_get(token: str) -> ChatConversation | None:
    if not token or len(token) > 100:
        return None
    return (
        ChatConversation.objects.filter(token_hash=digest(token))
        .select_related("ticket")
        .first()
    )


@transaction.atomic
def chat_post(*, conversation: ChatConversation, text: str) -> TicketEntry:
    """The visitor writes in their chat."""
    errors: dict[str, list[str]] = {}
    text = _message(text, errors, "text")
    if errors:
        raise ValidationError(errors)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(
        pk=conversation.ticket_id
    )
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError({"text": [_("This chat is closed. Start a new one.")]})
    recent = ticket.entries.filter(
        kind=EntryKind.CUSTOMER,
        created_at__gte=timezone.now() - dt.timedelta(minutes=1),
    ).count()
    if recent >= MESSAGES_PER_MINUTE:
        raise TooMany
    entry = TicketEntry.objects.create(
        ticket=ticket, kind=EntryKind.CUSTOMER, body=text,
        key=f"chat:{uuid.uuid4().hex}",
    )  # fmt: skip
    customer_answered(ticket)
    return entry


def chat_messages(*, conversation: ChatConversation, after: int = 0) -> list[dict]:
    """The chat's messages after the one with id ``after``: only what was
    written in the chat (never notes, never the customer's mail). Asking
    counts as the visitor being there."""
    ChatConversation.objects.filter(pk=conversation.pk).update(
        last_seen_at=timezone.now()
    )
    entries = (
        conversation.ticket.entries.filter(
            Q(key__startswith="chat:") | Q(key__startswith="write:"),
            kind__in=[EntryKind.CUSTOMER, EntryKind.REPLY],
            pk__gt=after,
        )
        .select_related("author")
        .order_by("id")[:200]
    )
    return [
        {
            "id": entry.pk,
            "from": "visitor" if entry.kind == EntryKind.CUSTOMER else "agent",
            "name": (entry.author.first_name if entry.author else "")
            if entry.kind == EntryKind.REPLY
            else "",
            "text": entry.body,
            "at": timezone.localtime(entry.created_at).strftime("%H:%M"),
        }
        for entry in entries
    ]
