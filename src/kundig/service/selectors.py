"""Reading tickets: who may see which, and what their pages need."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Visibility

from .choices import OPEN_STATUSES
from .expressions import DUE_AT, PRIORITY_RANK
from .models import Queue, SlaPolicy, Ticket, TicketEntry

# A search word matches the tickets of at most this many customers.
SEARCH_CUSTOMERS = 200


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """The tickets of contacts ``user`` may see, and those assigned to them."""
    tickets = Ticket.objects.all()
    if not user.is_authenticated:
        return tickets.none()
    if user.effective_visibility == Visibility.ALL:
        return tickets  # (no subquery over every contact)
    return tickets.filter(
        Q(contact__in=contact_selectors.contacts_visible_to(user)) | Q(assignee=user)
    )


def _search(qs, query: str, user):
    """Every word in the subject or in the customer (their name, address, phone,
    company: as search-as-you-type finds them); ``#12`` is ticket 12."""
    for word in query.split():
        match = Q(subject__icontains=word)
        customers = contact_selectors.contact_ids_matching(
            user=user, query=word, limit=SEARCH_CUSTOMERS
        )
        if customers:
            match |= Q(contact_id__in=customers)
        number = word.removeprefix("#")
        if number.isdigit() and len(number) < 19:
            match |= Q(pk=int(number))
        qs = qs.filter(match)
    return qs


def _filtered(qs, filters: dict, user):
    """``qs`` narrowed to the list's ``filters`` (as the list page reads them)."""
    if filters["status"] == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters["status"] != "all":
        qs = qs.filter(status=filters["status"])
    if filters["queue"]:
        qs = qs.filter(queue_id=filters["queue"])
    if filters["assignee"] == "mine":
        qs = qs.filter(assignee=user)
    elif filters["assignee"] == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters["assignee"]:
        qs = qs.filter(assignee_id=int(filters["assignee"]))
    for field in ("priority", "category", "channel"):
        if filters[field]:
            qs = qs.filter(**{field: filters[field]})
    if filters["contact"]:
        qs = qs.filter(contact_id=filters["contact"])
    if filters["q"]:
        qs = _search(qs, filters["q"], user)
    if filters.get("due") == "overdue":
        qs = qs.filter(
            Q(first_response_breached_at__isnull=False)
            | Q(resolution_breached_at__isnull=False),
            status__in=OPEN_STATUSES,
        )
    return qs


SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "priority": ("priority_rank", "-created_at", "-id"),
    "changed": ("-updated_at", "-id"),
    "due": (F("due_at").asc(nulls_last=True), "created_at", "id"),
}


def tickets_filtered(*, user, filters: dict) -> QuerySet[Ticket]:
    """The ticket list: what ``user`` sees, filtered and sorted as ``filters`` say.

    ``filters``: status (``open``, ``all`` or a status), queue, assignee
    (``mine``, ``none`` or a user id), priority, category, channel, contact,
    q (words in the subject or the customer's name, ``#12`` for ticket 12),
    due (``overdue``: a clock ran out and the ticket is still open),
    sort (a key of :data:`SORTS`). Each ticket has ``due_at``, the clock
    that runs out next (:data:`DUE_AT`).
    """
    qs = (
        _filtered(tickets_visible_to(user), filters, user)
        .select_related("contact", "queue", "assignee")
        .annotate(due_at=DUE_AT)
    )
    if filters["sort"] == "priority":
        qs = qs.annotate(priority_rank=PRIORITY_RANK)
    return qs.order_by(*SORTS[filters["sort"]])


def ticket_get(*, user, pk: int) -> Ticket:
    """One ticket ``user`` may see, with what its page shows; 404 otherwise."""
    return get_object_or_404(
        tickets_visible_to(user).select_related(
            "contact",
            "queue",
            "assignee",
            "order",
            "shipment",
            "ret",
            "mailbox",
            "created_by",
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


def sla_policies() -> QuerySet[SlaPolicy]:
    """The service levels in the order they are tried."""
    return SlaPolicy.objects.order_by("position", "id")
