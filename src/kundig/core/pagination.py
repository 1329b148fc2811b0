"""Pagination that stays fast on big tables: the count stops at a cap."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

COUNT_CAP = 10_000
# From this offset on, a page's ids are read first and its rows after: the
# skipped rows then cost an index entry each, not a row (a "deferred join").
DEFERRED_FROM = 500
# Up to this many matches, they are read unordered and only they are sorted.
# Walking an index in the list's order and testing each row is quick when
# matches are common and can take seconds when they are rare: "VIP" and
# "Customer" are each common, VIP customers may be none (ADR 0012).
FEW = 1000


@dataclass
class Page:
    object_list: list
    number: int
    per_page: int
    count: int
    count_capped: bool

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return 0 if not self.count else (self.number - 1) * self.per_page + 1

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    def page_range(self, around: int = 2) -> list[int | None]:
        """Page numbers to show, with None where pages are left out."""
        last = self.num_pages
        wanted = {1, last, *range(self.number - around, self.number + around + 1)}
        pages: list[int | None] = []
        for n in sorted(p for p in wanted if 1 <= p <= last):
            if pages and pages[-1] is not None and n - pages[-1] > 1:
                pages.append(None)
            pages.append(n)
        return pages


def paginate(
    qs: QuerySet, page: str | int | None, *, per_page: int = 50, cap: int = COUNT_CAP
) -> Page:
    """Return one page of ``qs``; counting stops at ``cap`` rows."""
    count = qs.order_by()[: cap + 1].count()
    capped = count > cap
    count = min(count, cap)
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    last = max(1, -(-count // per_page))
    number = min(number, last)
    offset = (number - 1) * per_page
    if not count:
        rows = []
    elif count <= FEW:
        ids = list(qs.order_by().values_list("pk", flat=True)[: FEW + 1])
        rows = list(qs.filter(pk__in=ids)[offset : offset + per_page])
    elif offset < DEFERRED_FROM:
        rows = list(qs[offset : offset + per_page])
    else:
        ids = list(qs.values_list("pk", flat=True)[offset : offset + per_page])
        rows = list(qs.filter(pk__in=ids))
    return Page(rows, number, per_page, count, capped)
