"""Reads of the timeline and of tasks, always within the viewer's visibility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, Max, Q, QuerySet, When, Window
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kundig.contacts.selectors import (
    companies_visible_to,
    contact_ids_of_company,
    contacts_visible_to,
)
from kundig.core.choices import Visibility

from .choices import Direction, Kind, TaskStatus
from .models import Task, TimelineEntry

TIMELINE_PAGE = 25


# --- Cursors --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in a newest-first timeline: entries strictly older than this."""

    occurred_at: dt.datetime
    pk: int

    def encode(self) -> str:
        return f"{self.occurred_at.isoformat()}_{self.pk}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """Return the cursor in ``raw``; raise ValueError if it is malformed."""
        if not raw:
            return None
        stamp, _sep, pk = raw.rpartition("_")
        try:
            moment = parse_datetime(stamp) if stamp else None
            if moment is not None and timezone.is_naive(moment):
                moment = timezone.make_aware(moment, dt.UTC)
            if moment is not None:
                moment.astimezone(dt.UTC)  # out of range for a year 1 or 9999 stamp
        except (ValueError, OverflowError):
            raise ValueError("bad cursor") from None
        if moment is None or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
            raise ValueError("bad cursor")
        return cls(moment, int(pk))


def _page(
    qs: QuerySet, *, before: Cursor | None, limit: int
) -> tuple[list, Cursor | None]:
    if before is not None:
        qs = qs.filter(
            Q(occurred_at__lt=before.occurred_at)
            | Q(occurred_at=before.occurred_at, pk__lt=before.pk)
        )
    rows = list(qs.order_by("-occurred_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = Cursor(rows[-1].occurred_at, rows[-1].pk) if more and rows else None
    return rows, cursor


def _filtered(
    qs: QuerySet, *, kinds=None, channels=None, related=("actor", "contact", "company")
) -> QuerySet:
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if channels:
        qs = qs.filter(channel__in=channels)
    return qs.select_related(*related)


# --- Timelines ------------------------------------------------------------------------


def timeline_entries_visible_to(user) -> QuerySet[TimelineEntry]:
    """Return the entries whose contact (or, without one, company) ``user`` may see."""
    qs = TimelineEntry.objects.all()
    if user.effective_visibility == Visibility.ALL:
        return qs
    return qs.filter(
        Q(contact__in=contacts_visible_to(user).values("pk"))
        | Q(contact__isnull=True, company__in=companies_visible_to(user).values("pk"))
    )


def contact_timeline_qs(*, contact) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(contact=contact)


def company_timeline_qs(*, user, company) -> QuerySet[TimelineEntry]:
    """Entries of the company itself and of its contacts ``user`` may see."""
    own_entries = Q(company=company) & (
        Q(contact__isnull=True) | Q(contact__in=contacts_visible_to(user).values("pk"))
    )
    return TimelineEntry.objects.filter(
        own_entries | Q(contact__in=contact_ids_of_company(user=user, company=company))
    )


def contact_timeline(
    *,
    contact,
    before: Cursor | None = None,
    kinds=None,
    channels=None,
    limit: int = TIMELINE_PAGE,
) -> tuple[list[TimelineEntry], Cursor | None]:
    """Return one page of a contact's timeline, newest first, and the next cursor."""
    # Every entry is the contact's: the one given, not 25 copies read again.
    qs = _filtered(
        contact_timeline_qs(contact=contact),
        kinds=kinds,
        channels=channels,
        related=("actor", "company"),
    )
    entries, cursor = _page(qs, before=before, limit=limit)
    for entry in entries:
        entry.contact = contact
    return entries, cursor


def company_timeline(
    *,
    user,
    company,
    before: Cursor | None = None,
    kinds=None,
    channels=None,
    limit: int = TIMELINE_PAGE,
) -> tuple[list[TimelineEntry], Cursor | None]:
    qs = _filtered(
        company_timeline_qs(user=user, company=company), kinds=kinds, channels=channels
    )
    return _page(qs, before=before, limit=limit)


def recent_activity(*, user, limit: int = 15) -> list[TimelineEntry]:
    qs = timeline_entries_visible_to(user).select_related("actor", "contact", "company")
    return list(qs.order_by("-occurred_at", "-id")[:limit])


# --- Key figures ----------------------------------------------------------------------


@dataclass
class KeyFigures:
    interactions: int
    interactions_90d: int
    last_interaction: dt.datetime | None
    last_inbound: dt.datetime | None
    open_tasks: int
    overdue_tasks: int
    by_kind: list[tuple[str, str, int]]
    months: list[tuple[str, int]]


def _first_of_month(day: dt.date, *, back: int = 0) -> dt.date:
    """Return the first day of the month ``back`` months before ``day``'s."""
    months = day.year * 12 + day.month - 1 - back
    return dt.date(months // 12, months % 12 + 1, 1)


def _key_figures(entries: QuerySet, tasks: QuerySet, open_tasks=None) -> KeyFigures:
    """Return the key figures of ``entries`` and ``tasks`` in one or two queries.

    ``open_tasks``, the list from ``open_tasks_for_contact``, carries the
    task counts; without it they take a query of their own.

    The timeline is read once, grouped by kind, direction and month: a few
    dozen rows even for a company with a hundred thousand entries, from
    which every figure is summed up here.
    """
    now = timezone.now()
    since_90 = now - dt.timedelta(days=90)
    since_year = timezone.make_aware(
        dt.datetime.combine(_first_of_month(timezone.localdate(), back=11), dt.time.min)
    )
    # Months only for the chart's year; older entries group by kind alone.
    month = Case(
        When(occurred_at__gte=since_year, then=TruncMonth("occurred_at")),
        default=None,
    )
    groups = list(
        entries.annotate(month=month)
        .values("kind", "direction", "month")
        .annotate(
            n=Count("pk"),
            recent=Count("pk", filter=Q(occurred_at__gte=since_90)),
            last=Max("occurred_at"),
        )
        .order_by()
    )
    per_kind: dict[str, int] = {}
    per_month: dict[dt.date, int] = {}
    for row in groups:
        per_kind[row["kind"]] = per_kind.get(row["kind"], 0) + row["n"]
        month = row["month"]
        if month is None:
            continue
        if isinstance(month, dt.datetime):
            # Inside CASE, PostgreSQL's truncation comes back as local wall
            # time without a zone; SQLite's as an aware datetime.
            month = timezone.localtime(month) if timezone.is_aware(month) else month
            month = month.date()
        per_month[month] = per_month.get(month, 0) + row["n"]
    by_kind = [
        (kind, str(Kind(kind).label), n)
        for kind, n in sorted(per_kind.items(), key=lambda item: -item[1])
        if kind in Kind.values
    ]
    months = []
    cursor = timezone.localdate().replace(day=1)
    for _ in range(12):
        months.append((cursor.strftime("%Y-%m"), per_month.get(cursor, 0)))
        cursor = (cursor - dt.timedelta(days=1)).replace(day=1)
    if open_tasks is None:
        task_totals = tasks.filter(status=TaskStatus.OPEN).aggregate(
            open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))
        )
    else:
        first = open_tasks[0] if open_tasks else None
        task_totals = {
            "open": first.open_total if first else 0,
            "overdue": first.overdue_total if first else 0,
        }
    return KeyFigures(
        interactions=sum(row["n"] for row in groups),
        interactions_90d=sum(row["recent"] for row in groups),
        last_interaction=max(
            (row["last"] for row in groups if row["kind"] != Kind.NOTE), default=None
        ),
        last_inbound=max(
            (row["last"] for row in groups if row["direction"] == Direction.INBOUND),
            default=None,
        ),
        open_tasks=task_totals["open"],
        overdue_tasks=task_totals["overdue"],
        by_kind=by_kind,
        months=list(reversed(months)),
    )


def contact_key_figures(*, contact, open_tasks=None) -> KeyFigures:
    """Return the figures of a contact's 360° page; see ``_key_figures``."""
    return _key_figures(
        contact_timeline_qs(contact=contact),
        Task.objects.filter(contact=contact),
        open_tasks,
    )


def company_key_figures(*, user, company) -> KeyFigures:
    return _key_figures(
        company_timeline_qs(user=user, company=company),
        company_tasks_qs(user=user, company=company),
    )


def company_tasks_qs(*, user, company) -> QuerySet[Task]:
    """Tasks of the company itself and of its contacts ``user`` may see.

    A task filed under the company but about a contact the viewer may not
    see stays out, like that contact's timeline entries.
    """
    own = Q(company=company) & (
        Q(contact__isnull=True) | Q(contact__in=contacts_visible_to(user).values("pk"))
    )
    return Task.objects.filter(
        own | Q(contact__in=contact_ids_of_company(user=user, company=company))
    )


# --- Tasks ----------------------------------------------------------------------------


def tasks_visible_to(user) -> QuerySet[Task]:
    """Tasks ``user`` is assigned or created, and tasks on records ``user`` may see."""
    qs = Task.objects.all()
    if user.effective_visibility == Visibility.ALL:
        return qs
    return qs.filter(
        Q(assignee=user)
        | Q(created_by=user)
        | Q(contact__in=contacts_visible_to(user).values("pk"))
        | Q(contact__isnull=True, company__in=companies_visible_to(user).values("pk"))
    )


def task_get(*, user, pk) -> Task:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        tasks_visible_to(user).select_related(
            "assignee", "contact", "company", "created_by", "completed_by"
        ),
        pk=pk,
    )


@dataclass
class MyTasks:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    overdue_count: int
    today_count: int
    upcoming_count: int

    @property
    def count(self) -> int:
        return self.overdue_count + self.today_count + self.upcoming_count


def my_tasks(*, user, upcoming_days: int = 14, limit: int = 50) -> MyTasks:
    """Return the user's open tasks: overdue, due today and coming up, with counts."""
    now = timezone.now()
    end_of_today = timezone.localtime(now).replace(
        hour=23, minute=59, second=59, microsecond=999999
    )
    horizon = end_of_today + dt.timedelta(days=upcoming_days)
    mine = Task.objects.filter(assignee=user, status=TaskStatus.OPEN)
    groups = {
        "overdue": Q(due_at__lt=now),
        "today": Q(due_at__gte=now, due_at__lte=end_of_today),
        "upcoming": Q(due_at__gt=end_of_today, due_at__lte=horizon),
    }
    counts = mine.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in groups.items()}
    )
    rows = {
        name: list(
            mine.filter(condition)
            .select_related("contact", "company")
            .order_by("due_at", "id")[:limit]
        )
        for name, condition in groups.items()
    }
    return MyTasks(**rows, **{f"{name}_count": counts[name] for name in groups})


def open_tasks_for_contact(*, contact, limit: int = 20) -> list[Task]:
    """Return the first ``limit`` open tasks, each with how many are open and overdue.

    ``open_total`` and ``overdue_total`` count all of them, not only those
    returned, so that the key figures need no query of their own.
    """
    return list(
        Task.objects.filter(contact=contact, status=TaskStatus.OPEN)
        .select_related("assignee")
        .annotate(
            open_total=Window(Count("pk")),
            overdue_total=Window(Count("pk", filter=Q(due_at__lt=timezone.now()))),
        )
        .order_by("due_at", "id")[:limit]
    )


def open_tasks_for_company(*, user, company, limit: int = 20) -> list[Task]:
    return list(
        company_tasks_qs(user=user, company=company)
        .filter(status=TaskStatus.OPEN)
        .select_related("assignee", "contact")
        .order_by("due_at", "id")[:limit]
    )


# Kinds that are a conversation with the customer, not a record of a purchase.
INTERACTION_KINDS = (
    Kind.EMAIL, Kind.CALL, Kind.MEETING, Kind.CHAT, Kind.LETTER, Kind.SOCIAL,
    Kind.TICKET, Kind.SURVEY,
)  # fmt: skip


def interactions_since(since: dt.datetime) -> QuerySet[TimelineEntry]:
    """Conversations with contacts since ``since`` (for "no contact for N days").

    Filter further by ``contact_id``; the contact index serves it.
    """
    return TimelineEntry.objects.filter(
        kind__in=INTERACTION_KINDS, occurred_at__gte=since, contact__isnull=False
    )
