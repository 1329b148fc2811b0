"""Bulk-generate realistic German CRM data for benchmarks (the ``seed`` command)."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models.functions import Lower

from kundig.core.models import Tag, User
from kundig.core.services import tags_get_or_create, team_get_or_create

from . import pools, tables
from .clock import DAY
from .db import Writer, writer_for
from .keys import KeyBuilder
from .records import (
    CompanyInfo,
    ContactInfo,
    Owner,
    RecordFactory,
    Rows,
    Weighted,
    local_part,
)
from .timeline import ContactPool, EntryFactory, TaskFactory

SEED_PASSWORD = "kundig-seed"  # noqa: S105 - documented, for local benchmark databases
YEARS = 3


@dataclass
class SeedOptions:
    contacts: int = 1000
    companies: int = 100
    activities: int = 10_000
    tasks: int | None = None  # default: contacts / 10
    orders: int = 0
    users: int = 20
    batch_size: int = 5000
    seed: int | None = None
    index_mode: str = "auto"


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    rebuilt_indexes: list[str] = field(default_factory=list)
    exact_keys: bool = False
    started_at: float = 0.0  # POSIX time the generated data is relative to


class Progress:
    """Report a phase's progress (records and rows per second) every few seconds.

    A contact is one record but several rows (emails, phones, addresses, …);
    a timeline entry is one of each.
    """

    def __init__(self, write: Callable[[str], None], every: float = 2.0) -> None:
        self.write = write
        self.every = every

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.rows = label, total, 0, 0
        self.started = self.last = time.monotonic()

    def advance(self, records: int, rows: int | None = None) -> None:
        self.done += records
        self.rows += records if rows is None else rows
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            elapsed = max(now - self.started, 1e-9)
            self.write(
                f"  {self.label}: {self.done:,} / {self.total:,} "
                f"({self.done / elapsed:,.0f}/s, {self.rows / elapsed:,.0f} rows/s)"
            )

    def finish(self) -> float:
        seconds = time.monotonic() - self.started
        elapsed = max(seconds, 1e-9)
        self.write(
            f"{self.label}: {self.done:,} in {seconds:,.1f} s "
            f"({self.done / elapsed:,.0f}/s; {self.rows:,} rows, "
            f"{self.rows / elapsed:,.0f} rows/s)"
        )
        return seconds


# --- users and tags -------------------------------------------------------------------


def seed_users(count: int, *, password: str = SEED_PASSWORD) -> list[Owner]:
    """Return ``count`` seed users over the teams, creating those that do not exist."""
    wanted = []
    for i in range(count):
        if i < len(pools.SEED_USER_PLAN):
            role, team = pools.SEED_USER_PLAN[i]
        else:
            role, team = "sales", pools.REGIONAL_TEAMS[i % len(pools.REGIONAL_TEAMS)]
        if i < len(pools.SEED_USER_NAMES):
            first, last = pools.SEED_USER_NAMES[i]
        else:
            first = pools.FIRST_NAMES_FEMALE[i % len(pools.FIRST_NAMES_FEMALE)]
            last = pools.LAST_NAMES_COMMON[i % len(pools.LAST_NAMES_COMMON)]
        local = f"{local_part(first)}.{local_part(last)}.{i + 1:03d}"
        email = f"{local}@{pools.SEED_USER_DOMAIN}"
        wanted.append((email, first, last, role, team))
    existing = {
        u.email: u
        for u in User.objects.filter(email__in=[w[0] for w in wanted]).select_related(
            "team"
        )
    }
    teams = {
        name: team_get_or_create(name=name) for name in {w[4] for w in wanted} if name
    }
    hashed = make_password(password)  # hashed once: seeding 10,000 users stays fast
    new = [
        User(
            email=email,
            first_name=first,
            last_name=last,
            role=role,
            team=teams.get(team),
            password=hashed,
            is_staff=role == "admin",
            is_superuser=role == "admin",
        )
        for email, first, last, role, team in wanted
        if email not in existing
    ]
    User.objects.bulk_create(new, batch_size=500)
    users = User.objects.filter(email__in=[w[0] for w in wanted]).order_by("id")
    return [Owner(u.pk, u.team_id, u.role) for u in users if u.is_active]


def seed_tags() -> dict[str, int]:
    """Return the ids of the pool's tags, creating missing ones in their colours."""
    names = [name for name, _color, _w in pools.TAG_NAMES]
    had = set(
        Tag.objects.annotate(lname=Lower("name"))
        .filter(lname__in=[n.lower() for n in names])
        .values_list("lname", flat=True)
    )
    tags = tags_get_or_create(names)
    colors = {name.lower(): color for name, color, _w in pools.TAG_NAMES}
    for tag in tags:
        if tag.name.lower() not in had:
            Tag.objects.filter(pk=tag.pk).update(color=colors[tag.name.lower()])
    return {tag.name: tag.pk for tag in tags}


# --- helpers --------------------------------------------------------------------------


def creation_times(rng: random.Random, count: int, *, start: float, end: float):
    """Return ``count`` sorted moments in [start, end], denser towards ``end``."""
    span = end - start
    moments = []
    for _ in range(count):
        u = rng.random()
        x = u if rng.random() < 0.45 else u**0.5  # growth: later years bring more
        moments.append(start + x * span)
    moments.sort()
    return moments


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def existing_companies(
    rng: random.Random, *, limit: int = 200_000
) -> list[CompanyInfo]:
    """Return companies already in the database, for contacts to link to."""
    company = apps.get_model("contacts", "Company")
    areas = [c[2] for c in pools.CITIES]
    result = []
    rows = company.objects.order_by("created_at").values_list(
        "id", "name", "website", "owner_id", "team_id", "created_at"
    )[:limit]
    for pk, name, website, owner, team, created in rows.iterator(chunk_size=5000):
        host = website.split("//")[-1].removeprefix("www.") if website else ""
        domain = host or "firma.example"
        info = CompanyInfo(
            pk, name, domain, rng.choice(areas), owner, team, created.timestamp()
        )
        result.append(info)
    return result


def existing_contacts(rng: random.Random, companies: list[CompanyInfo]) -> ContactPool:
    """Return the contacts already in the database as a pool for entries and tasks."""
    contact = apps.get_model("contacts", "Contact")
    link = apps.get_model("contacts", "ContactCompany")
    pool = ContactPool()
    index_of = {c.id: i for i, c in enumerate(companies)}
    company_of = {
        contact_id: index_of[company_id]
        for contact_id, company_id in link.objects.filter(is_primary=True).values_list(
            "contact_id", "company_id"
        )
        if company_id in index_of
    }
    rows = contact.objects.order_by("created_at", "id").values_list(
        "id", "created_at", "owner_id", "team_id", "lifecycle_stage", "salutation",
        "first_name", "last_name",
    )  # fmt: skip
    for pk, created, owner, team, stage, salutation, first, last in rows.iterator(
        chunk_size=10_000
    ):
        if salutation == "frau":
            addressee = f"Frau {last}".strip()
        elif salutation == "herr":
            addressee = f"Herr {last}".strip()
        else:
            addressee = f"{first} {last}".strip() or "Kundin"
        company = company_of.get(pk, -1)
        info = ContactInfo(
            pk, created.timestamp(), owner, team, stage, addressee, company
        )
        pool.add(info)
    pool.finish(rng)
    return pool


# --- the seed -------------------------------------------------------------------------


class Seeder:
    """One seed run: companies, contacts, tasks, then the timeline, batch by batch."""

    def __init__(self, options: SeedOptions, write: Callable[[str], None]) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.writer: Writer = writer_for(
            connection, index_mode=options.index_mode, log=write
        )
        self.result = SeedResult(started_at=time.time())
        self.progress = Progress(write)
        self.write = write
        self.now = self.result.started_at
        self.start = self.now - YEARS * 365 * DAY
        self.batch = max(100, options.batch_size)
        self.companies: list[CompanyInfo] = []
        self.pool = ContactPool()

    def run(self) -> SeedResult:
        tables.check_columns()
        with transaction.atomic():
            self.users = seed_users(self.options.users)
            tag_ids = seed_tags()
        self.keys = KeyBuilder()
        self.factory = RecordFactory(
            rng=self.rng,
            ts=self.writer.ts,
            keys=self.keys,
            owners=self.users,
            tag_ids=tag_ids,
            now=self.now,
        )
        self.seed_companies(self.options.companies)
        self.seed_contacts(self.options.contacts)
        if len(self.pool):
            self.pool.finish(self.rng)
        else:
            if not self.companies:
                self.companies = existing_companies(self.rng)
            self.pool = existing_contacts(self.rng, self.companies)
        if not len(self.pool) and (self.options.activities or self.options.tasks):
            self.write("No contacts to add timeline entries or tasks to.")
        tasks = self.options.tasks
        completions = self.seed_tasks(
            tasks if tasks is not None else self.options.contacts // 10
        )
        self.seed_timeline(self.options.activities, completions)
        self.seed_orders(self.options.orders)

        started = time.monotonic()
        touched = [t for t in tables.ALL if self.result.counts.get(t.key)]
        self.writer.analyze(touched)
        self.result.seconds["analyze"] = time.monotonic() - started
        self.write(f"analyze: {self.result.seconds['analyze']:,.1f} s")
        self.result.rebuilt_indexes = self.writer.rebuilt
        self.result.exact_keys = self.keys.fell_back
        return self.result

    def _count(self, rows: Rows) -> int:
        for key, items in rows.tables.items():
            self.result.counts[key] = self.result.counts.get(key, 0) + len(items)
        return sum(len(items) for items in rows.tables.values())

    def seed_companies(self, count: int) -> None:
        if count <= 0:
            if self.options.contacts:
                self.companies = existing_companies(self.rng)
            return
        moments = creation_times(self.rng, count, start=self.start, end=self.now)
        expected = {
            tables.COMPANY: count,
            tables.ADDRESS: count,
            tables.COMPANY_TAG: count // 3,
        }
        self.progress.start("companies", count)
        with self.writer.phase(expected):
            for chunk in _chunks(moments, self.batch):
                rows = Rows()
                with self.writer.batch():
                    ids = self.writer.reserve_ids(tables.COMPANY, len(chunk))
                    for pk, ts in zip(ids, chunk, strict=True):
                        self.companies.append(self.factory.company(pk, ts, rows))
                    self.writer.write_rows(rows)
                self.progress.advance(len(chunk), self._count(rows))
        self.result.seconds["companies"] = self.progress.finish()

    def seed_contacts(self, count: int) -> None:
        if count <= 0:
            return
        rng = self.rng
        moments = creation_times(rng, count, start=self.start, end=self.now - DAY)
        company_pick = None
        if self.companies:
            # A few companies have many contacts, most have one or two.
            company_pick = Weighted(
                range(len(self.companies)),
                [min(rng.paretovariate(1.2), 200.0) for _ in self.companies],
            )
        expected = {
            tables.CONTACT: count,
            tables.EMAIL: count,
            tables.PHONE: count,
            tables.ADDRESS: count,
            tables.LINK: count // 3,
            tables.STAGE: count,
            tables.CONTACT_TAG: count // 3,
        }
        self.progress.start("contacts", count)
        with self.writer.phase(expected):
            for chunk in _chunks(moments, self.batch):
                rows = Rows()
                with self.writer.batch():
                    ids = self.writer.reserve_ids(tables.CONTACT, len(chunk))
                    for pk, ts in zip(ids, chunk, strict=True):
                        info = self.factory.contact(
                            pk,
                            ts,
                            rows,
                            companies=self.companies,
                            company_pick=company_pick,
                        )
                        self.pool.add(info)
                    self.writer.write_rows(rows)
                self.progress.advance(len(chunk), self._count(rows))
        self.result.seconds["contacts"] = self.progress.finish()

    def seed_tasks(self, count: int) -> list[tuple]:
        """Write ``count`` tasks; return the timeline rows of the done ones."""
        completions: list[tuple] = []
        if count <= 0 or not len(self.pool):
            return completions
        factory = TaskFactory(
            rng=self.rng,
            ts=self.writer.ts,
            users=self.users,
            companies=self.companies,
            now=self.now,
        )
        self.progress.start("tasks", count)
        with self.writer.phase({tables.TASK: count}):
            for chunk in _chunks(range(count), self.batch):
                rows = Rows()
                with self.writer.batch():
                    ids = self.writer.reserve_ids(tables.TASK, len(chunk))
                    for pk in ids:
                        index = self.pool.pick(self.rng, self.now)
                        row, done = factory.task(pk, self.pool, index)
                        rows.add("task", row)
                        if done is not None:
                            completions.append(done)
                    self.writer.write_rows(rows)
                self.progress.advance(len(chunk), self._count(rows))
        self.result.seconds["tasks"] = self.progress.finish()
        return completions

    def seed_timeline(self, count: int, completions: list[tuple]) -> None:
        if count <= 0 or not len(self.pool):
            return
        completions = completions[:count]
        factory = EntryFactory(
            rng=self.rng,
            ts=self.writer.ts,
            users=self.users,
            companies=self.companies,
            now=self.now,
        )
        chunk = self.batch * 10
        self.progress.start("timeline entries", count)
        with self.writer.phase({tables.TIMELINE: count}):
            stream = factory.stream(
                self.pool, count - len(completions), start=self.start, chunk=chunk
            )
            chunks = self._counted("timeline", [completions], stream)
            self.writer.write_chunks(tables.TIMELINE, chunks)
        self.result.seconds["timeline"] = self.progress.finish()

    def seed_orders(self, count: int) -> None:
        """Orders with lines and timeline entries; then every buyer's figures."""
        if count <= 0 or not len(self.pool):
            return
        from .orders import order_chunks, refresh_figures

        ids = self.writer.reserve_ids(tables.ORDER, count)
        self.progress.start("orders", count)
        with self.writer.phase(
            {tables.ORDER: count, tables.ORDER_LINE: count * 2, tables.TIMELINE: count}
        ):
            for orders, lines, entries in order_chunks(
                rng=self.rng,
                pool=self.pool,
                count=count,
                ids=ids,
                ts=self.writer.ts,
                now=self.now,
                chunk=self.batch,
            ):
                with self.writer.batch():
                    self.writer.write(tables.ORDER, orders)
                    self.writer.write(tables.ORDER_LINE, lines)
                    self.writer.write(tables.TIMELINE, entries)
                for key, rows in (
                    ("order", orders),
                    ("order_line", lines),
                    ("timeline", entries),
                ):
                    self.result.counts[key] = self.result.counts.get(key, 0) + len(rows)
                self.progress.advance(len(orders), len(orders) + len(lines))
        started = time.monotonic()
        figures = refresh_figures()
        self.write(
            f"customer figures: {figures:,} in {time.monotonic() - started:.1f} s"
        )
        self.result.seconds["orders"] = self.progress.finish()

    def _counted(self, key: str, *streams):
        """Yield the chunks of ``streams``, counting each once it has been taken."""
        for stream in streams:
            for rows in stream:
                if not rows:
                    continue
                yield rows
                self.result.counts[key] = self.result.counts.get(key, 0) + len(rows)
                self.progress.advance(len(rows))


def seed(
    options: SeedOptions, *, write: Callable[[str], None] | None = None
) -> SeedResult:
    """Generate and store the data ``options`` ask for; return counts and timings."""
    write = write or (lambda line: print(line, file=sys.stdout, flush=True))
    return Seeder(options, write).run()
