from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission

from .models import InboundMessage, Message


def messages_visible_to(user) -> QuerySet[Message]:
    """Messages to contacts ``user`` may see (and none without a contact)."""
    return Message.objects.filter(
        contact__in=contact_selectors.contacts_visible_to(user)
    ).select_related("mailbox", "template")


def contact_messages(*, user, contact, limit: int = 10) -> list[Message]:
    return list(
        messages_visible_to(user)
        .filter(contact=contact)
        .order_by("-created_at", "-id")[:limit]
    )


def inbound_visible_to(user) -> QuerySet[InboundMessage]:
    """Incoming mail of contacts ``user`` may see.

    Mail without a contact (delivery reports of unknown messages, mail that
    could not be read) is for those who manage the mailboxes.
    """
    visible = Q(contact__in=contact_selectors.contacts_visible_to(user))
    if user.is_authenticated and user.has_role_permission(Permission.MANAGE):
        visible |= Q(contact__isnull=True)
    return InboundMessage.objects.filter(visible).select_related("mailbox", "contact")


def contact_inbound(*, user, contact, limit: int = 10) -> list[InboundMessage]:
    return list(
        inbound_visible_to(user)
        .filter(contact=contact)
        .prefetch_related("attachments")
        .order_by("-received_at", "-id")[:limit]
    )


def inbound_get(*, user, pk) -> InboundMessage:
    """The incoming mail ``pk`` with attachments if ``user`` may see it; else 404."""
    return get_object_or_404(
        inbound_visible_to(user)
        .select_related("reply_to_message", "reply_to_inbound")
        .prefetch_related("attachments"),
        pk=pk,
    )


def inbound_thread(*, user, inbound: InboundMessage) -> list:
    """The mails answering ``inbound`` that ``user`` may see, ours and theirs."""
    answers = list(
        inbound_visible_to(user).filter(reply_to_inbound=inbound)[:50]
    ) + list(messages_visible_to(user).filter(in_reply_to=inbound.message_id)[:50])
    return sorted(answers, key=_when)


def _when(mail):
    return getattr(mail, "received_at", None) or mail.created_at
