"""Reading tickets: who may see which, and what their pages need."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Role, Visibility

from .choices import OPEN_STATUSES, OfferStatus
from .expressions import DUE_AT, PRIORITY_RANK
from .models import (
    Article,
    CrisisPlan,
    GoodwillOffer,
    KeywordRule,
    Queue,
    SlaPolicy,
    StepDone,
    Survey,
    Ticket,
    TicketEntry,
)

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
        if number.isascii() and number.isdigit() and len(number) < 19:
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
            "sla_policy",
            "chat",
        ),
        pk=pk,
    )


def ticket_entries(ticket: Ticket) -> QuerySet[TicketEntry]:
    return ticket.entries.select_related(
        "author", "inbound", "message"
    ).prefetch_related("attachments")


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


def crisis_plans() -> QuerySet[CrisisPlan]:
    return CrisisPlan.objects.select_related("responsible").prefetch_related(
        "steps", "options"
    )


def plans_by_category() -> dict[str, CrisisPlan]:
    return {plan.category: plan for plan in CrisisPlan.objects.filter(is_active=True)}


def ticket_offers(ticket: Ticket) -> list[GoodwillOffer]:
    return list(
        ticket.offers.select_related("offered_by", "approver", "decided_by").order_by(
            "-created_at", "-id"
        )
    )


def steps_done(ticket: Ticket) -> dict[int, StepDone]:
    """The plan steps ticked off on ``ticket``, by step id."""
    return {
        done.step_id: done
        for done in StepDone.objects.filter(ticket=ticket).select_related("done_by")
    }


def offers_to_decide(*, user) -> QuerySet[GoodwillOffer]:
    """Goodwill waiting for approval that may be ``user``'s to decide.

    Those asked of them, and those on tickets of the queues they lead or
    own; all of them for administrators and managers; always only on tickets
    they may see. Whether their limit covers the amount is
    :func:`services.may_decide`'s to say.
    """
    offers = GoodwillOffer.objects.filter(status=OfferStatus.PENDING)
    if user.effective_visibility != Visibility.ALL:
        offers = offers.filter(ticket__in=tickets_visible_to(user))
    if user.role not in (Role.ADMIN, Role.MANAGER):
        offers = offers.filter(
            Q(approver=user)
            | Q(ticket__queue__team_lead=user)
            | Q(ticket__queue__escalation_owner=user)
        )
    return offers.select_related(
        "ticket__queue", "ticket__contact__figures", "contact", "offered_by", "approver"
    ).order_by("created_at", "id")


def offers_asked_by(*, user, limit: int = 20) -> QuerySet[GoodwillOffer]:
    """What ``user`` offered lately, granted or not."""
    offers = GoodwillOffer.objects.filter(offered_by=user)
    if user.effective_visibility != Visibility.ALL:
        offers = offers.filter(ticket__in=tickets_visible_to(user))
    return offers.select_related(
        "ticket", "contact", "decided_by", "approver"
    ).order_by("-created_at", "-id")[:limit]


def ticket_survey(ticket: Ticket) -> Survey | None:
    """The rating asked after the ticket was solved, if one was."""
    return ticket.surveys.order_by("-created_at", "-id").first()


def keyword_rules() -> QuerySet[KeywordRule]:
    return KeywordRule.objects.select_related("queue", "assignee")


def articles_exist() -> bool:
    return Article.objects.exists()
