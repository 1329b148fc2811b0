from __future__ import annotations

from django.db.models import QuerySet

from kundig.contacts import selectors as contact_selectors

from .models import Message


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
