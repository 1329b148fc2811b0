"""``kundig seed``: bulk-generate realistic German data for benchmarks."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from kundig.ops.fakedata.checks import check_all
from kundig.ops.fakedata.db import INDEX_MODES
from kundig.ops.fakedata.seeder import SEED_PASSWORD, SeedOptions, seed


def _count(value: str) -> int:
    """Parse a count; 1_000_000 and 1,000,000 are fine."""
    number = int(value.replace("_", "").replace(",", ""))
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate realistic German contacts, companies, timeline entries and tasks "
        "in bulk (COPY on PostgreSQL). Appends to the data that is there."
    )

    def add_arguments(self, parser):
        add = parser.add_argument
        add("--contacts", type=_count, default=1000, help="Default: 1000.")
        add("--companies", type=_count, help="Default: contacts / 10.")
        add(
            "--activities", type=_count, help="Timeline entries; default contacts x 10."
        )
        add("--tasks", type=_count, help="Default: contacts / 10.")
        add(
            "--orders",
            type=_count,
            default=0,
            help="Orders (with lines and timeline entries) over the contacts; "
            "the buyers' figures are computed afterwards. Default: 0.",
        )
        add(
            "--users",
            type=_count,
            default=20,
            help="Seed users over the teams Nord, Süd, West, Ost, Service and "
            "Marketing; existing seed users are reused.",
        )
        add(
            "--batch-size",
            type=_count,
            default=5000,
            help="Records per batch (timeline entries: ten times as many).",
        )
        add("--seed", type=int, help="Random seed, for reproducible data.")
        add(
            "--indexes",
            choices=INDEX_MODES,
            default="auto",
            help="PostgreSQL: drop indexes and foreign keys before a large load and "
            "rebuild them after it, in one transaction. auto: when the load adds "
            "at least 100,000 rows and at least as many as the table holds.",
        )
        add(
            "--no-check",
            action="store_false",
            dest="check",
            help="Skip checking a sample of the new data against the invariants.",
        )

    def handle(self, *args, **options):
        contacts = options["contacts"]
        if options["users"] < 1:
            raise CommandError("--users must be at least 1.")
        companies = options["companies"]
        activities = options["activities"]
        result = seed(
            SeedOptions(
                contacts=contacts,
                companies=contacts // 10 if companies is None else companies,
                activities=contacts * 10 if activities is None else activities,
                tasks=options["tasks"],
                orders=options["orders"],
                users=options["users"],
                batch_size=options["batch_size"],
                seed=options["seed"],
                index_mode=options["indexes"],
            ),
            write=self.stdout.write if options["verbosity"] else lambda _line: None,
        )
        total = sum(result.seconds.values())
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(result.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Seeded in {total:,.1f} s: {counts}."))
        if result.exact_keys:
            self.stdout.write(
                self.style.WARNING(
                    "The fast search keys disagreed with kundig.core.text.search_key; "
                    "the run fell back to it (slower, still exact)."
                )
            )
        if options["check"]:
            started = time.monotonic()
            problems = check_all(
                limit=500,
                generated_at=dt.datetime.fromtimestamp(result.started_at, dt.UTC),
            )
            if problems:
                for problem in problems[:20]:
                    self.stderr.write(problem)
                raise CommandError(f"{len(problems)} problems in the generated data.")
            self.stdout.write(
                f"Checked a sample of the new data against the services' invariants "
                f"in {time.monotonic() - started:.1f} s: fine."
            )
        self.stdout.write(
            f"Seed users log in with their email address and the password "
            f"{SEED_PASSWORD!r}."
        )
