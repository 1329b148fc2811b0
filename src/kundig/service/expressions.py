"""Expressions the ticket list sorts by, and its indexes are built on.

An index serves an ORDER BY only when it holds exactly the same expression;
both import them from here.
"""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Value, When

from kundig.activity.choices import PRIORITY_ORDER

from .choices import OPEN_STATUSES

PRIORITY_RANK = Case(
    *[When(priority=value, then=Value(rank)) for value, rank in PRIORITY_ORDER.items()],
    default=Value(len(PRIORITY_ORDER)),
    output_field=IntegerField(),
)
# The clock that runs out next: the answer's until it is answered, then the
# solution's unless it waits on the customer; none once solved or closed.
DUE_AT = Case(
    When(
        status__in=OPEN_STATUSES,
        first_response_at__isnull=True,
        then=F("first_response_due_at"),
    ),
    When(
        status__in=OPEN_STATUSES,
        sla_paused_at__isnull=True,
        then=F("resolution_due_at"),
    ),
    default=None,
)
