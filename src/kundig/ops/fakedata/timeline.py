"""Generate timeline entries and tasks for a pool of contacts.

Entries are spread over a period with more activity towards the present and
over contacts with a heavy-tailed weight, so that most contacts have a few
entries and some have hundreds. They are generated window by window in
chronological order, as a live system would have written them, and never
before their contact was created.
"""

from __future__ import annotations

import bisect
import functools
import html
import random
import string
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast
from django.urls import NoReverseMatch, reverse

from kundig.activity.choices import DEFAULT_CHANNEL
from kundig.contacts.choices import LifecycleStage
from kundig.core.sanitize import text_or_html_to_safe_html

from . import texts
from .clock import DAY, TsFormat, iso
from .pools import CITIES
from .records import CompanyInfo, ContactInfo, Owner, Weighted, money

STAGES = tuple(LifecycleStage.values)
_STAGE_INDEX = {s: i for i, s in enumerate(STAGES)}
_PROSPECT = bytes(s in texts.PROSPECT_STAGES for s in STAGES)

# Kinds a system records (the shop, the mailer), with no user as the actor.
_SYSTEM_KINDS = frozenset({"order", "shipment", "return", "campaign", "survey"})
_BUSINESS_HOURS_KINDS = frozenset({"call", "meeting", "letter", "note", "ticket"})


class ContactPool:
    """Contacts to hang entries and tasks on, in compact arrays sorted by creation."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.created = array("d")
        self.owner = array("q")  # 0: none
        self.team = array("q")
        self.stage = bytearray()
        self.addressee: list[str] = []
        self.company = array("q")  # index into companies, -1: none
        self.cum: list[float] = []
        self._sorted = True

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, info: ContactInfo) -> None:
        if self.created and info.created_ts < self.created[-1]:
            self._sorted = False
        self.ids.append(info.id)
        self.created.append(info.created_ts)
        self.owner.append(info.owner_id or 0)
        self.team.append(info.team_id or 0)
        self.stage.append(_STAGE_INDEX.get(info.stage, 1))
        self.addressee.append(info.addressee)
        self.company.append(info.company_index)

    def finish(
        self,
        rng: random.Random,
        *,
        weights: dict[int, float] | None = None,
        cap: float = 100.0,
    ) -> None:
        """Sort by creation time and draw each contact's activity weight.

        ``weights`` fixes the weight of some contacts (by id), e.g. to give
        the contacts a demo shows first a long history.
        """
        if not self._sorted:
            order = sorted(range(len(self.ids)), key=self.created.__getitem__)
            for name in ("ids", "created", "owner", "team", "company"):
                old = getattr(self, name)
                setattr(self, name, array(old.typecode, (old[i] for i in order)))
            self.stage = bytearray(self.stage[i] for i in order)
            self.addressee = [self.addressee[i] for i in order]
            self._sorted = True
        total = 0.0
        cum = []
        pareto = rng.paretovariate
        fixed = weights or {}
        for pk in self.ids:
            weight = min(pareto(1.3), cap)
            total += fixed.get(pk, weight)
            cum.append(total)
        self.cum = cum

    def pick(self, rng: random.Random, ts: float) -> int:
        """Return the index of a weighted contact created before ``ts`` (-1 if none)."""
        hi = bisect.bisect_right(self.created, ts)
        if hi == 0:
            return -1
        return bisect.bisect_left(self.cum, rng.random() * self.cum[hi - 1], 0, hi)


@dataclass
class _Compiled:
    kind: str
    summary: str
    body: str
    slots: tuple[str, ...]
    direction: str | None
    b2b: bool
    functions: tuple = ()


def _slots(*formats: str) -> tuple[str, ...]:
    names = []
    for fmt in formats:
        for _text, name, _spec, _conv in string.Formatter().parse(fmt):
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _compile() -> dict[str, tuple[list[_Compiled], list[_Compiled]]]:
    compiled = {}
    for kind, templates in texts.TIMELINE_TEMPLATES.items():
        items = [
            _Compiled(
                kind, t.summary, t.body, _slots(t.summary, t.body), t.direction, t.b2b
            )
            for t in templates
        ]
        compiled[kind] = (items, [c for c in items if not c.b2b] or items)
    return compiled


class EntryFactory:
    """Make timeline rows in the column order of ``tables.TIMELINE``."""

    def __init__(
        self,
        *,
        rng: random.Random,
        ts: TsFormat,
        users: list[Owner],
        companies: list[CompanyInfo],
        now: float,
    ) -> None:
        self.rng = rng
        self.ts = ts
        self.now = now
        self.companies = companies
        self.company_created = [c.created_ts for c in companies]
        self.templates = _compile()
        self.kinds_customer = Weighted(
            texts.KIND_WEIGHTS_CUSTOMER, texts.KIND_WEIGHTS_CUSTOMER.values()
        )
        self.kinds_prospect = Weighted(
            texts.KIND_WEIGHTS_PROSPECT, texts.KIND_WEIGHTS_PROSPECT.values()
        )
        self.channels = {
            kind: Weighted([c for c, _w in pairs], [w for _c, w in pairs])
            for kind, pairs in texts.KIND_CHANNELS.items()
        }
        writers = [u for u in users if u.role != "read_only"]
        self.sales = [u.id for u in writers if u.role in ("sales", "manager")] or [
            u.id for u in writers
        ]
        self.service = [u.id for u in writers if u.role == "service"] or self.sales
        self.cities = [c[1] for c in CITIES]
        # Shop records are unique per (source type, source id, kind): number them
        # on from the highest number already stored.
        self.numbers = first_source_numbers()
        functions = self._slot_functions()
        for every, _plain in self.templates.values():
            for tpl in every:
                tpl.functions = tuple((slot, functions[slot]) for slot in tpl.slots)

    # --- slots ---------------------------------------------------------------------

    def _slot_functions(self) -> dict:
        """Return a function per slot: (pool, contact index, company index) -> text."""
        rng = self.rng
        choice, randrange = rng.choice, rng.randrange
        companies, cities = self.companies, self.cities

        def name(pool, index, _company):
            return (
                pool.addressee[index] if pool is not None and index >= 0 else "Kundin"
            )

        def company(_pool, _index, index):
            return companies[index].name if index >= 0 else "Ihre Firma"

        def amount(*_):
            return money(round(min(rng.lognormvariate(4.2, 0.8), 4999.0), 2))

        return {
            "name": name,
            "company": company,
            # An order mentioned in passing: one of those numbered so far.
            "order": lambda *_: str(
                randrange(ORDER_NUMBERS_FROM, self.numbers["order"])
            ),
            "amount": amount,
            "product": lambda *_: choice(texts.PRODUCTS),
            "product2": lambda *_: choice(texts.PRODUCTS),
            "carrier": lambda *_: choice(texts.CARRIERS),
            "tracking": lambda *_: f"00340434{randrange(10**11, 10**12)}",
            "ticket": lambda *_: f"T-{randrange(10_000, 99_999)}",
            "fair": lambda *_: choice(texts.FAIRS),
            "campaign": lambda *_: choice(texts.CAMPAIGNS),
            "weekday": lambda *_: choice(texts.WEEKDAYS),
            "days": lambda *_: str(randrange(2, 11)),
            "score": lambda *_: choice("555444321"),
            "nps": lambda *_: choice(_NPS),
            "city": lambda *_: choice(cities),
        }

    def fill(
        self, tpl: _Compiled, pool, index: int, company: int, *, order: str = ""
    ) -> tuple[str, str]:
        """Return (summary, body) of ``tpl`` for one entry about ``order``, if given.

        Only company names can hold characters HTML must escape ("Becker &
        Wolf OHG"); the other slot values come from pools free of them.
        """
        raw = {slot: fn(pool, index, company) for slot, fn in tpl.functions}
        if order and "order" in raw:
            raw["order"] = order
        summary = tpl.summary.format_map(raw)
        if "company" in raw:
            raw["company"] = html.escape(raw["company"], quote=False)
        body = tpl.body.format_map(raw)
        return summary[:300], body

    def next_number(self, kind: str) -> str:
        """Return the next order, shipment or return number (unique per kind)."""
        number = self.numbers[kind]
        self.numbers[kind] = number + 1
        return str(number)

    # --- entries -------------------------------------------------------------------

    def entry(
        self,
        pool: ContactPool | None,
        index: int,
        ts: float,
        *,
        company: int = -1,
        kind: str | None = None,
    ) -> tuple:
        """Return one timeline row for contact ``index`` of ``pool`` (or a company)."""
        rng = self.rng
        if pool is not None and index >= 0:
            contact_id = pool.ids[index]
            company = pool.company[index]
            prospect = _PROSPECT[pool.stage[index]]
            owner = pool.owner[index]
        else:
            contact_id, prospect, owner = None, False, 0
        if kind is None:
            kind = (self.kinds_prospect if prospect else self.kinds_customer).draw(rng)
        every, plain = self.templates[kind]
        tpl = rng.choice(every if company >= 0 else plain)
        source_type = texts.KIND_SOURCES.get(kind, "")
        source_id = self.next_number(kind) if source_type else ""
        summary, body = self.fill(
            tpl, pool, index, company, order=source_id if kind == "order" else ""
        )
        channel_pick = self.channels.get(kind)
        channel = channel_pick.draw(rng) if channel_pick else _DEFAULT_CHANNEL[kind]
        direction = tpl.direction or _DIRECTION.get(kind, "out")
        if kind in _BUSINESS_HOURS_KINDS:
            shifted = _business_hours(ts, rng)
            if contact_id is not None:
                floor = pool.created[index]
            else:
                floor = self.companies[company].created_ts
            if floor <= shifted <= self.now:
                ts = shifted
        if kind in _SYSTEM_KINDS:
            actor = None
        elif kind == "ticket":
            actor = rng.choice(self.service)
        elif direction == "in" and rng.random() < 0.5:
            actor = None
        else:
            actor = owner or (rng.choice(self.sales) if self.sales else None)
        duration = None
        if kind == "call":
            duration = rng.randrange(2, 41)
        elif kind == "meeting":
            duration = (
                rng.randrange(15, 61) if channel == "video" else rng.randrange(30, 121)
            )
        stamp = self.ts(ts)
        company_id = self.companies[company].id if contact_id is None else None
        return (
            contact_id,
            company_id,
            kind,
            channel,
            direction,
            stamp,
            actor,
            summary,
            body,
            source_type,
            source_id,
            "",
            duration,
            stamp,
        )

    def stream(
        self,
        pool: ContactPool,
        total: int,
        *,
        start: float,
        company_share: float = 0.03,
        chunk: int = 50_000,
    ) -> Iterator[list[tuple]]:
        """Yield ``total`` entries in chronological chunks between ``start`` and now."""
        rng = self.rng
        if total <= 0 or not len(pool):
            return
        span = max(self.now - start, DAY)
        windows = max(20, min(3000, total // 5000))
        width = span / windows
        weights = []
        for w in range(windows):
            end = start + (w + 1) * width
            existing = bisect.bisect_right(pool.created, end)
            weights.append(existing * (1.0 + 1.6 * (w + 1) / windows))
        counts = _apportion(total, weights)
        buffer: list[tuple] = []
        for w, count in enumerate(counts):
            if not count:
                continue
            low = start + w * width
            moments = sorted(low + rng.random() * width for _ in range(count))
            for ts in moments:
                if self.companies and rng.random() < company_share:
                    c = bisect.bisect_right(self.company_created, ts)
                    if c:
                        buffer.append(
                            self.entry(None, -1, ts, company=rng.randrange(c))
                        )
                        continue
                index = pool.pick(rng, ts)
                if index < 0:
                    index = 0
                    ts = pool.created[0] + 60.0
                buffer.append(self.entry(pool, index, ts))
            if len(buffer) >= chunk:
                yield buffer
                buffer = []
        if buffer:
            yield buffer


ORDER_NUMBERS_FROM = 1_000_000


def first_source_numbers() -> dict[str, int]:
    """Return, per shop kind, the number after the highest numeric source ID stored."""
    entry = apps.get_model("activity", "TimelineEntry")
    numbers = {}
    for kind, source_type in texts.KIND_SOURCES.items():
        top = entry.objects.filter(
            source_type=source_type, kind=kind, source_id__regex=r"^[0-9]{1,15}$"
        ).aggregate(top=Max(Cast("source_id", BigIntegerField())))["top"]
        numbers[kind] = max(top or 0, ORDER_NUMBERS_FROM) + 1
    return numbers


_DEFAULT_CHANNEL = {str(k): str(v) for k, v in DEFAULT_CHANNEL.items()}
_DIRECTION = {"note": "internal", "task_completed": "internal"}
_NPS = ("10", "10", "9", "9", "9", "8", "8", "7", "6", "5", "3")


def _business_hours(ts: float, rng: random.Random) -> float:
    """Move ``ts`` to a weekday between 7:00 and 17:00 UTC (8/9 to 18/19 in Germany)."""
    day = int(ts // DAY)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    if weekday >= 5:
        day -= weekday - 4  # to Friday
    return day * DAY + 7 * 3600 + rng.random() * 10 * 3600


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder)."""
    weight_sum = sum(weights)
    if weight_sum <= 0:
        counts = [0] * len(weights)
        counts[-1] = total
        return counts
    exact = [total * w / weight_sum for w in weights]
    counts = [int(x) for x in exact]
    rest = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i])
    for i in by_remainder[len(by_remainder) - rest :]:
        counts[i] += 1
    return counts


# --- Tasks ----------------------------------------------------------------------------


@dataclass
class TaskPlan:
    """Open and done tasks; done tasks also get a task_completed timeline entry."""

    rows: list[tuple]
    completions: list[tuple]


class TaskFactory:
    def __init__(
        self,
        *,
        rng: random.Random,
        ts: TsFormat,
        users: list[Owner],
        companies: list[CompanyInfo],
        now: float,
    ) -> None:
        self.rng = rng
        self.ts = ts
        self.now = now
        self.companies = companies
        writers = [u for u in users if u.role != "read_only"]
        self.user_ids = {u.id for u in writers}
        self.fallback = [u.id for u in writers if u.role in ("service", "admin")] or [
            u.id for u in writers
        ]
        self.templates = [
            (title, text_or_html_to_safe_html(description), bool(b2b))
            for title, description, b2b in texts.TASK_TEMPLATES
        ]
        self.plain = [t for t in self.templates if not t[2]]
        self.priorities = Weighted(
            texts.TASK_PRIORITIES, texts.TASK_PRIORITIES.values()
        )

    def assignee_for(self, owner: int) -> int:
        """Return a user who may see the contact: its owner, or someone who sees all."""
        if owner and owner in self.user_ids:
            return owner
        return self.rng.choice(self.fallback)

    def task(
        self,
        task_id: int,
        pool: ContactPool,
        index: int,
        *,
        due: float | None = None,
        done: bool | None = None,
        assignee: int | None = None,
        title: str | None = None,
        description: str | None = None,
        remind_before: float | None = None,
    ) -> tuple[tuple, tuple | None]:
        """Return the task row and, if it is done, its task_completed timeline row."""
        rng, now = self.rng, self.now
        contact_id = pool.ids[index]
        b2b = pool.company[index] >= 0
        if title is None:
            title, description, _b = rng.choice(self.templates if b2b else self.plain)
        description = description or ""
        if due is None:
            due = now + (rng.random() * 75 - 30) * DAY
            due = (int(due // 900)) * 900.0  # on the quarter hour
        if done is None:
            done = rng.random() < (0.55 if due < now else 0.08)
        assignee = assignee or self.assignee_for(pool.owner[index])
        created = min(now - 60, due - (1 + rng.random() * 20) * DAY)
        created = max(created, pool.created[index] + 60)
        if remind_before is None:
            remind_before = 0.0 if rng.random() < 0.8 else DAY
        remind = due - remind_before
        reminded = remind if remind <= now else None
        completed = None
        completion = None
        if done:
            completed = due + (rng.random() * 5 - 3) * DAY
            lower, upper = created + 60, now - 60
            if not lower <= completed <= upper:
                completed = lower + rng.random() * max(upper - lower, 0.0)
            completion = (
                contact_id,
                None,
                "task_completed",
                "internal",
                "internal",
                self.ts(completed),
                assignee,
                title,
                description,
                "activity.task",
                f"{task_id}:{iso(completed)}",
                _task_url(task_id),
                None,
                self.ts(completed),
            )
        row = (
            task_id,
            title,
            description,
            self.ts(due),
            self.priorities.draw(rng),
            "done" if done else "open",
            self.ts(remind),
            self.ts(reminded) if reminded is not None else None,
            self.ts(completed) if completed is not None else None,
            self.ts(created),
            self.ts(completed if completed is not None else created),
            assignee,
            None,
            assignee if done else None,
            contact_id,
            assignee,
        )
        return row, completion


def _task_url(task_id: int) -> str:
    """Return the task's page, as ``Task.get_absolute_url`` does, or "" without one."""
    if not _task_pages():
        return ""
    return reverse("activity:task_detail", args=[task_id])


@functools.cache
def _task_pages() -> bool:
    try:
        reverse("activity:task_detail", args=[1])
    except NoReverseMatch:
        return False
    return True
