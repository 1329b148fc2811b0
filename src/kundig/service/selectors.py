"""Reading tickets: who may see which, and what their pages need."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from kundig.contacts import selectors as contact_selectors

from .choices import OPEN_STATUSES
from .models import Queue, Ticket, TicketEntry


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """The tickets of contacts ``user`` may see, and those assigned to them."""
    tickets = Ticket.objects.all()
    if not user.is_authenticated:
        return tickets.none()
    return tickets.filter(
        Q(contact__in=contact_selectors.contacts_visible_to(user)) | Q(assignee=user)
    )


def ticket_get(*, user, pk: int) -> Ticket:
    """One ticket ``user`` may see, with what its page shows; 404 otherwise."""
    return get_object_or_404(
        tickets_visible_to(user).select_related(
            "contact", "queue", "assignee", "order", "shipment", "ret", "mailbox"
        ),
        pk=pk,
    )


def ticket_entries(ticket: Ticket) -> QuerySet[TicketEntry]:
    return ticket.entries.select_related("author", "inbound", "message")


def tickets_of_contact(*, user, contact, limit: int = 10) -> list[Ticket]:
    """The contact's latest tickets, open ones first."""
    tickets = list(
        tickets_visible_to(user)
        .filter(contact=contact)
        .select_related("queue", "assignee")
        .order_by("-created_at", "-id")[:limit]
    )
    return sorted(tickets, key=lambda t: t.status not in OPEN_STATUSES)


def queue_default() -> Queue | None:
    return Queue.objects.filter(is_default=True).first() or Queue.objects.first()


def queues() -> QuerySet[Queue]:
    return Queue.objects.select_related("team", "mailbox", "escalation_owner")
