"""Service levels and escalation: the clocks of a ticket, and who takes over.

When a ticket opens, the first service level that fits it sets two clocks:
*answer by* and *solve by*, counted in the desk's business hours (or around
the clock), with a warning at 80 % of each. While the ticket waits on the
customer, the solution's clock stands still. The scheduler's scan
(:func:`sla_scan`) marks what came due — once, in groups, with the ticket
rows locked so two scans cannot both mark one — and emits
``ticket.sla_warning`` and ``ticket.sla_breached``. A breach escalates:
an overdue answer to the queue's team lead, an overdue solution to its
escalation owner (whoever of them is set), who then owns the ticket and is
told.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundig.core import bulk
from kundig.core.audit import audit_changes
from kundig.core.choices import Permission
from kundig.core.events import emit, emit_many
from kundig.core.notifications import notification_create
from kundig.core.permissions import require

from ..calendar import ALWAYS
from ..choices import OPEN_STATUSES, EntryKind, Sentiment, TicketStatus
from ..models import ServiceSettings, SlaPolicy, Ticket, TicketEntry
from .crisis import is_valued

WARN_AT = 0.8  # of a clock's time, the warning
SCAN_BATCH = 1000
TEAM_LEAD, ESCALATION_OWNER = 1, 2


def _clock(policy: SlaPolicy):
    return (
        ServiceSettings.current().business_hours() if policy.business_hours else ALWAYS
    )


def sla_policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active service level that fits ``ticket``."""
    for policy in SlaPolicy.objects.filter(is_active=True).order_by("position", "id"):
        if policy.fits(ticket):
            return policy
    return None


def sla_set(ticket: Ticket) -> list[str]:
    """Set ``ticket``'s clocks from the service level that fits it (not saved).

    Counted from when the ticket opened; time it waited on the customer
    does not count toward the solution. Returns the fields it set.
    """
    policy = sla_policy_for(ticket)
    ticket.sla_policy = policy
    fields = ["sla_policy", "first_response_due_at", "first_response_warn_at",
              "resolution_due_at", "resolution_warn_at"]  # fmt: skip
    if policy is None:
        for field in fields[1:]:
            setattr(ticket, field, None)
        return fields
    clock = _clock(policy)
    start = ticket.created_at
    answer, solve = policy.first_response_minutes, policy.resolution_minutes
    paused = ticket.sla_paused_minutes
    ticket.first_response_due_at = clock.add(start, answer)
    ticket.first_response_warn_at = clock.add(start, answer * WARN_AT)
    ticket.resolution_due_at = clock.add(start, solve + paused)
    ticket.resolution_warn_at = clock.add(start, solve * WARN_AT + paused)
    return fields


def sla_status_changed(ticket: Ticket, before: str, now: dt.datetime) -> list[str]:
    """Stop the solution's clock while the ticket waits on the customer, and go on
    after (not saved). Returns the fields it set."""
    waiting = TicketStatus.WAITING_CUSTOMER
    if ticket.status == waiting and before != waiting:
        ticket.sla_paused_at = now
        return ["sla_paused_at"]
    if before == waiting and ticket.sla_paused_at is not None:
        if ticket.sla_policy_id is not None:
            clock = _clock(ticket.sla_policy)
            ticket.sla_paused_minutes += clock.between(ticket.sla_paused_at, now)
        ticket.sla_paused_at = None
        return ["sla_paused_at", "sla_paused_minutes", *sla_set(ticket)]
    return []


# --- The scan -------------------------------------------------------------------------


@dataclass
class ScanResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0


def _due(clock: str, stage: str, now):
    """The tickets whose ``clock`` (first_response, resolution) is due at
    ``stage`` (warn, due) and not yet marked; the partial indexes serve."""
    marked = "warned_at" if stage == "warn" else "breached_at"
    filters = {
        f"{clock}_{stage}_at__lte": now,
        f"{clock}_{marked}__isnull": True,
        "status__in": OPEN_STATUSES,
    }
    if clock == "first_response":
        filters["first_response_at__isnull"] = True
    else:
        filters["sla_paused_at__isnull"] = True
    return Ticket.objects.filter(**filters).order_by(f"{clock}_{stage}_at", "id")


def sla_scan(*, now: dt.datetime | None = None) -> ScanResult:
    """Mark the clocks that came due: warnings, then breaches and their escalation.

    A group of tickets at a time, each group in one transaction with its
    rows locked (skipped if another scan holds them), so a scan cut off
    half-way goes on where it stopped and none is marked twice.
    """
    now = now or timezone.now()
    result = ScanResult()
    for clock in ("first_response", "resolution"):
        for stage in ("warn", "due"):
            while True:
                with transaction.atomic():
                    tickets = list(
                        _due(clock, stage, now)
                        .select_for_update(skip_locked=True, of=("self",))
                        .select_related(
                            "queue__team_lead", "queue__escalation_owner", "assignee"
                        )[:SCAN_BATCH]
                    )
                    if not tickets:
                        break
                    _mark(tickets, clock, stage, now, result)
                if len(tickets) < SCAN_BATCH:
                    break
    return result


def _mark(tickets: list[Ticket], clock: str, stage: str, now, result) -> None:
    marked = "warned_at" if stage == "warn" else "breached_at"
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        **{f"{clock}_{marked}": now}
    )
    name = "ticket.sla_warning" if stage == "warn" else "ticket.sla_breached"
    emit_many(
        (name, "service.ticket", t.pk, {
            "contact_id": t.contact_id, "clock": clock,
            "due_at": getattr(t, f"{clock}_due_at").isoformat(),
        })
        for t in tickets
    )  # fmt: skip
    if stage == "warn":
        result.warned += len(tickets)
        _tell_warned(tickets, clock)
        return
    result.breached += len(tickets)
    level = TEAM_LEAD if clock == "first_response" else ESCALATION_OWNER
    result.escalated += _escalate_many(tickets, level, now, reason=clock)


def _tell_warned(tickets: list[Ticket], clock: str) -> None:
    """One notification per person: their tickets whose clock runs out soon."""
    by_user = defaultdict(list)
    for ticket in tickets:
        user = ticket.assignee or ticket.queue.team_lead
        if user is not None and user.is_active:
            by_user[user].append(ticket)
    for user, theirs in by_user.items():
        with translation.override(user.language):
            title = (
                ngettext(
                    "Answer soon: %(n)d ticket is close to its deadline",
                    "Answer soon: %(n)d tickets are close to their deadline",
                    len(theirs),
                )
                if clock == "first_response"
                else ngettext(
                    "Solve soon: %(n)d ticket is close to its deadline",
                    "Solve soon: %(n)d tickets are close to their deadline",
                    len(theirs),
                )
            ) % {"n": len(theirs)}
            notification_create(
                user=user,
                title=title,
                body=", ".join(f"{t.number} {t.subject}" for t in theirs[:20]),
                url=theirs[0].get_absolute_url(),
            )


# --- Escalation -----------------------------------------------------------------------


def escalation_target(ticket: Ticket, level: int):
    """Who takes ``ticket`` at ``level`` (or the next level that has someone)."""
    queue = ticket.queue
    people = {TEAM_LEAD: queue.team_lead, ESCALATION_OWNER: queue.escalation_owner}
    for candidate in range(level, ESCALATION_OWNER + 1):
        user = people.get(candidate)
        if user is not None and user.is_active:
            return candidate, user
    return None, None


def _reason_text(reason: str) -> str:
    return {
        "first_response": _("the answer is overdue"),
        "resolution": _("the solution is overdue"),
        "category": _("the category calls for it"),
        "negative": _("the customer sounds angry"),
        "valued": _("it is a valued customer"),
    }.get(reason, reason)


def escalation_reason(ticket: Ticket, desk: ServiceSettings) -> str:
    """Why ``ticket`` goes to the escalation owner at once, or ''."""
    categories = {c.strip() for c in desk.escalate_categories.split(",") if c.strip()}
    if ticket.category in categories:
        return "category"
    if desk.escalate_negative and ticket.sentiment == Sentiment.NEGATIVE:
        return "negative"
    if desk.escalate_valued and is_valued(ticket.contact, desk):
        return "valued"
    return ""


def escalate_by_rules(ticket: Ticket) -> bool:
    """Hand ``ticket`` to its queue's escalation owner if a rule says so."""
    if ticket.escalation_level >= ESCALATION_OWNER or not ticket.is_open:
        return False
    reason = escalation_reason(ticket, ServiceSettings.current())
    if not reason:
        return False
    return _escalate_many([ticket], ESCALATION_OWNER, timezone.now(), reason=reason) > 0


def _escalate_many(tickets: list[Ticket], level: int, now, *, reason: str) -> int:
    """Hand ``tickets`` up to ``level``; one note each, one notification per person."""
    moved = defaultdict(list)
    notes = []
    events = []
    for ticket in tickets:
        target_level, user = escalation_target(ticket, max(level, 1))
        if user is None or target_level <= ticket.escalation_level:
            continue
        moved[(target_level, user)].append(ticket)
    for (target_level, user), theirs in moved.items():
        Ticket.objects.filter(pk__in=[t.pk for t in theirs]).update(
            escalation_level=target_level, escalated_at=now, assignee=user
        )
        with translation.override(user.language):
            text = _("Escalated to %(user)s: %(reason)s.") % {
                "user": user,
                "reason": _reason_text(reason),
            }
            notification_create(
                user=user,
                title=ngettext(
                    "%(n)d ticket escalated to you",
                    "%(n)d tickets escalated to you",
                    len(theirs),
                )
                % {"n": len(theirs)},
                body=", ".join(f"{t.number} {t.subject}" for t in theirs[:20]),
                url=theirs[0].get_absolute_url(),
            )
        for ticket in theirs:
            notes.append(TicketEntry(ticket=ticket, kind=EntryKind.NOTE, body=text))
            events.append((
                "ticket.escalated", "service.ticket", ticket.pk,
                {"contact_id": ticket.contact_id, "level": target_level,
                 "assignee_id": user.pk, "reason": reason},
            ))  # fmt: skip
    bulk.insert_objects(notes)
    emit_many(events)
    return len(events)


@transaction.atomic
def ticket_escalate(*, actor, ticket: Ticket, reason: str = "") -> Ticket:
    """Hand ``ticket`` to the next level: the team lead, then the escalation owner."""
    require(actor, Permission.SERVICE_DESK)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("queue__team_lead", "queue__escalation_owner", "assignee")
        .get(pk=ticket.pk)
    )
    level, user = escalation_target(ticket, ticket.escalation_level + 1)
    if user is None:
        raise ValidationError(
            _("There is nobody above: set the queue's team lead or escalation owner.")
        )
    before = {
        "assignee": str(ticket.assignee or ""),
        "escalation": ticket.escalation_level,
    }
    ticket.escalation_level, ticket.escalated_at, ticket.assignee = (
        level, timezone.now(), user
    )  # fmt: skip
    ticket.save(update_fields=["escalation_level", "escalated_at", "assignee",
                               "updated_at"])  # fmt: skip
    audit_changes(ticket, actor=actor, before=before,
                  after={"assignee": str(user), "escalation": level})  # fmt: skip
    reason = reason.strip()[:300] or _("escalated by %(user)s") % {"user": actor}
    TicketEntry.objects.create(
        ticket=ticket, kind=EntryKind.NOTE, author=actor,
        body=_("Escalated to %(user)s: %(reason)s.") % {"user": user, "reason": reason},
    )  # fmt: skip
    emit("ticket.escalated", ticket, actor=actor, contact_id=ticket.contact_id,
         level=level, assignee_id=user.pk, reason=reason)  # fmt: skip
    if user != actor:
        with translation.override(user.language):
            notification_create(
                user=user,
                title=_("Ticket %(number)s escalated to you: %(subject)s")
                % {"number": ticket.number, "subject": ticket.subject},
                url=ticket.get_absolute_url(),
            )
    return ticket
