"""The service dashboard's figures (read side only), over the tickets a user sees.

Each figure is one query, grouped in the database where SQL can say it on
both databases (counts by queue, category, age); weekly medians and shares
are taken in Python from the few columns of the period's solved tickets,
because SQLite has no percentile and date arithmetic differs between the
two databases.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from kundig.commerce import selectors as commerce_selectors
from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Visibility

from .choices import OPEN_STATUSES, EntryKind, SurveyKind, TicketCategory
from .models import Queue, Survey
from .selectors import tickets_visible_to

# Age buckets of open tickets: name, at least … and less than … days old.
AGES = (("day", 0, 1), ("three_days", 1, 3), ("week", 3, 7), ("older", 7, None))


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday of ``moment``'s week, in the local time zone."""
    day = timezone.localtime(moment).date()
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Week:
    start: dt.date
    solved: int = 0
    with_sla: int = 0
    sla_met: int = 0
    first_contact: int = 0
    response_hours: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)
    csat: list[int] = field(default_factory=list)
    nps: list[int] = field(default_factory=list)

    @property
    def sla_rate(self) -> float | None:
        return _share(self.sla_met, self.with_sla)

    @property
    def fcr_rate(self) -> float | None:
        return _share(self.first_contact, self.solved)

    @property
    def response_median(self) -> float | None:
        return _median(self.response_hours)

    @property
    def resolution_median(self) -> float | None:
        return _median(self.resolution_hours)

    @property
    def csat_average(self) -> float | None:
        return round(statistics.fmean(self.csat), 2) if self.csat else None

    @property
    def nps_score(self) -> float | None:
        return nps(self.nps)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def nps(scores: list[int]) -> float | None:
    """Promoters (9, 10) less detractors (0 to 6), in per cent of all answers."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round(100 * (promoters - detractors) / len(scores), 1)


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return max((end - start).total_seconds() / 3600, 0)


def _on_time(row: dict) -> bool:
    answered, solved = row["first_response_at"], row["solved_at"]
    answer_ok = (
        row["first_response_breached_at"] is None
        and answered is not None
        and answered <= row["first_response_due_at"]
    )
    solve_ok = row["resolution_breached_at"] is None and (
        row["resolution_due_at"] is None or solved <= row["resolution_due_at"]
    )
    return answer_ok and solve_ok


@dataclass
class Dashboard:
    since: dt.datetime
    weeks: list[Week]
    open_by_queue: list[dict]
    open_total: int
    overdue: int
    categories: list[tuple[str, int]]
    products: list[tuple[str, int]]
    return_reasons: list[dict]
    totals: Week


def dashboard(*, user, weeks: int = 12, queue: Queue | None = None) -> Dashboard:
    """The dashboard for ``user``: the last ``weeks`` weeks, of one queue or all."""
    now = timezone.now()
    first = week_of(now) - dt.timedelta(weeks=weeks - 1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    tickets = tickets_visible_to(user)
    if queue is not None:
        tickets = tickets.filter(queue=queue)
    by_week = {first + dt.timedelta(weeks=n): Week(first + dt.timedelta(weeks=n))
               for n in range(weeks)}  # fmt: skip
    totals = Week(first)

    solved = (
        tickets.filter(solved_at__gte=since)
        .annotate(replies=Count("entries", filter=Q(entries__kind=EntryKind.REPLY)))
        .values(
            "created_at",
            "solved_at",
            "first_response_at",
            "first_response_due_at",
            "first_response_breached_at",
            "resolution_due_at",
            "resolution_breached_at",
            "reopened",
            "replies",
        )
    )
    for row in solved:
        week = by_week.get(week_of(row["solved_at"]))
        if week is None:
            continue
        for bucket in (week, totals):
            bucket.solved += 1
            if row["first_response_at"]:
                bucket.response_hours.append(
                    _hours(row["created_at"], row["first_response_at"])
                )
            bucket.resolution_hours.append(_hours(row["created_at"], row["solved_at"]))
            if row["first_response_due_at"] is not None:
                bucket.with_sla += 1
                bucket.sla_met += _on_time(row)
            bucket.first_contact += row["replies"] == 1 and not row["reopened"]

    surveys = Survey.objects.filter(answered_at__gte=since)
    if user.effective_visibility != Visibility.ALL or queue is not None:
        surveys = surveys.filter(
            Q(ticket__in=tickets)
            | Q(
                ticket__isnull=True,
                contact__in=contact_selectors.contacts_visible_to(user),
            )
        )
        if queue is not None:
            surveys = surveys.filter(ticket__isnull=False)
    for kind, answered_at, score in surveys.values_list("kind", "answered_at", "score"):
        week = by_week.get(week_of(answered_at))
        if week is None:
            continue
        for bucket in (week, totals):
            (bucket.csat if kind == SurveyKind.CSAT else bucket.nps).append(score)

    open_tickets = tickets.filter(status__in=OPEN_STATUSES)
    ages = {}
    for name, low, high in AGES:
        condition = Q(created_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - dt.timedelta(days=high))
        ages[name] = Count("id", filter=condition)
    by_queue = list(
        open_tickets.values("queue__name").annotate(total=Count("id"), **ages)
        .order_by("-total", "queue__name")
    )  # fmt: skip
    overdue = open_tickets.filter(
        Q(first_response_breached_at__isnull=False, first_response_at__isnull=True)
        | Q(resolution_breached_at__isnull=False)
    ).count()

    recent = tickets.filter(created_at__gte=now - dt.timedelta(days=30))
    labels = dict(TicketCategory.choices)
    categories = [
        (str(labels.get(row["category"], row["category"])), row["n"])
        for row in recent.values("category").annotate(n=Count("id")).order_by("-n")
    ]
    products = commerce_selectors.products_of_orders(
        recent.filter(order__isnull=False).values("order_id"), limit=10
    )
    return Dashboard(
        since=since,
        weeks=list(by_week.values()),
        open_by_queue=by_queue,
        open_total=sum(row["total"] for row in by_queue),
        overdue=overdue,
        categories=categories,
        products=products,
        return_reasons=commerce_selectors.return_reasons_by_product(
            user=user, since=since
        ),
        totals=totals,
    )
