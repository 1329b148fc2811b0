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
# (plain strings, and the lookups below in alphabetical order: an index on an
# expression compares equal to its migration's only as the migration writes it)
_OPEN = tuple(status.value for status in OPEN_STATUSES)

# The clock that runs out next: the answer's until it is answered, then the
# solution's unless it waits on the customer; none once solved or closed.
DUE_AT = Case(
    When(
        first_response_at__isnull=True,
        status__in=_OPEN,
        then=F("first_response_due_at"),
    ),
    When(
        sla_paused_at__isnull=True,
        status__in=_OPEN,
        then=F("resolution_due_at"),
    ),
    default=None,
)
