"""``kundig bench``: p50 and p95 server times of the pages and API calls that matter."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db import DatabaseError

from kundig.ops.bench import database, report
from kundig.ops.bench.suite import benchmark, scenarios_named
from kundig.ops.staticfiles import collectstatic_if_changed


def _count(value: str) -> int:
    """Parse a count; 1_000_000 and 1,000,000 are fine."""
    number = int(value.replace("_", "").replace(",", ""))
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Measure p50/p95 server times of the contact list, search-as-you-type, "
        "the 360° page and the API for an admin and a sales rep, on a PostgreSQL "
        f"database of its own ({database.URL_VARIABLE}, default "
        f"{database.DEFAULT_URL}). Creates, migrates and seeds it when it holds "
        "fewer contacts than asked for; later runs reuse it."
    )
    requires_system_checks = []  # the checks would connect to the wrong database

    def add_arguments(self, parser):
        add = parser.add_argument
        add("--contacts", type=_count, default=1_000_000, help="Default: 1,000,000.")
        add("--companies", type=_count, default=10_000, help="Default: 10,000.")
        add(
            "--activities",
            type=_count,
            default=10_000_000,
            help="Timeline entries; default: 10,000,000.",
        )
        add(
            "--requests",
            type=_count,
            default=200,
            help="Timed requests per endpoint and persona; default: 200.",
        )
        add("--warmup", type=_count, default=20, help="Untimed requests first; 20.")
        add(
            "--only",
            help="Comma-separated endpoints: list, list-filtered, search, 360, "
            "api-list, api-list-later, api-detail.",
        )
        add(
            "--database-url",
            help=f"Instead of {database.URL_VARIABLE}.",
        )
        add(
            "--no-seed",
            action="store_false",
            dest="seed_data",
            help="Use the database as it is, however many contacts it holds.",
        )
        add(
            "--cold",
            action="store_true",
            help="Do not read the database into memory first.",
        )
        add("--seed", type=int, default=1, help="Random seed of the requests; 1.")
        add(
            "--orders",
            type=_count,
            default=5_000_000,
            help="Orders the database should hold (seeded if fewer); 5,000,000.",
        )
        add(
            "--webhooks",
            type=_count,
            default=3000,
            help="Signed shop webhooks to post for the intake benchmark (0: skip); "
            "3,000.",
        )
        add(
            "--import-rows",
            type=_count,
            default=5000,
            help="Order rows to import for the import benchmark (0: skip); 5,000.",
        )
        add(
            "--mail-recipients",
            type=_count,
            default=100_000,
            help="Recipients of the send-step benchmark (0: skip the mail "
            "benchmark); 100,000.",
        )
        add(
            "--mail-send",
            type=_count,
            default=10_000,
            help="Of those, messages handed to the local SMTP sink; 10,000.",
        )
        add(
            "--smtp-latency",
            type=float,
            default=20,
            help="Then hand more of them to a sink that takes this many "
            "milliseconds to accept each mail, as a real server does (0: skip); 20.",
        )
        add(
            "--inbound",
            type=_count,
            default=2000,
            help="Incoming mails to parse and file; 2,000.",
        )
        add(
            "--tickets",
            type=_count,
            default=100_000,
            help="Open tickets for the service desk's pages and service-level "
            "scan (0: skip); 100,000.",
        )
        add(
            "--output",
            type=Path,
            help="Markdown report; default: var/bench/latest.md in the data directory.",
        )

    @no_translations
    def handle(self, *args, **options):
        if options["requests"] < 1:
            raise CommandError("--requests must be at least 1.")
        only = [k.strip() for k in (options["only"] or "").split(",") if k.strip()]
        # The pages link their CSS through the static files manifest; without
        # it (a fresh machine that never ran the demo) every page fails.
        if collectstatic_if_changed():
            self.stdout.write("Collected the static files.")
        try:
            scenarios_named(only)
            config = database.parse_url(database.bench_url(options["database_url"]))
        except (ValueError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        if settings.DEBUG:
            self.stderr.write(
                "KUNDIG_DEBUG is on: Django keeps every query in memory, so the "
                "times are not those of production."
            )
        target = database.describe_target(config)
        database.use_database(config)
        try:
            cache = self._prepare(target, options)
        except DatabaseError as exc:
            raise CommandError(
                f"Cannot use the benchmark database {target}: {exc}".strip()
                + f"\nStart PostgreSQL or point {database.URL_VARIABLE} at one."
            ) from None
        try:
            outcome = benchmark(
                requests=options["requests"],
                warmup=options["warmup"],
                seed=options["seed"],
                only=only or None,
                extra_info=[("Cache", cache)],
                write=self.stdout.write,
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        shop = None
        if options["webhooks"] or options["import_rows"]:
            from kundig.ops.bench.shop import shop_benchmark

            shop = shop_benchmark(
                database_url=database.bench_url(options["database_url"]),
                webhooks=options["webhooks"],
                import_rows=options["import_rows"],
                seed=options["seed"],
                write=self.stdout.write,
            )
        mail = None
        if options["mail_recipients"]:
            from kundig.ops.bench.mail import mail_benchmark

            mail = mail_benchmark(
                recipients=options["mail_recipients"],
                send=options["mail_send"],
                latency_ms=options["smtp_latency"],
                inbound=options["inbound"],
                seed=options["seed"],
                write=self.stdout.write,
            )
        service = None
        if options["tickets"]:
            from kundig.ops.bench.service import service_benchmark

            service = service_benchmark(
                tickets=options["tickets"],
                requests=options["requests"],
                warmup=options["warmup"],
                seed=options["seed"],
                write=self.stdout.write,
            )
        self.stdout.write("")
        self.stdout.write(outcome.text)
        if shop is not None:
            self.stdout.write("")
            self.stdout.write(shop.text())
        if mail is not None:
            self.stdout.write("")
            self.stdout.write(mail.text())
        if service is not None:
            self.stdout.write("")
            self.stdout.write(report.text_table(service[1]))
            self.stdout.write(service[0].text())
        if options["verbosity"] >= 2:
            for result in outcome.results:
                self.stdout.write(
                    f"\nSlowest: {result.scenario.label}, {result.persona.label}"
                )
                for ms, request in result.slowest():
                    self.stdout.write(f"  {ms:8.1f} ms  {request}")
        output = options["output"] or settings.DATA_DIR / "bench" / "latest.md"
        output.parent.mkdir(parents=True, exist_ok=True)
        markdown = outcome.markdown
        if shop is not None:
            markdown += "\n\n## Shop data\n\n" + shop.markdown() + "\n"
        if mail is not None:
            markdown += "\n\n## Mail\n\n" + mail.markdown() + "\n"
        if service is not None:
            markdown += (
                "\n\n## Service desk\n\n"
                + report.markdown_table(service[1])
                + "\n\n"
                + service[0].markdown()
                + "\n"
            )
        output.write_text(markdown, encoding="utf-8")
        self.stdout.write(f"\nWritten to {output}.")
        if outcome.errors:
            for error in outcome.errors[:20]:
                self.stderr.write(error)
            raise CommandError(f"{len(outcome.errors)} requests failed.")

    def _prepare(self, target: str, options) -> str:
        """Create, migrate, seed, vacuum and prewarm; return the state of the cache."""
        if database.create_if_missing():
            self.stdout.write(f"Created the database {target}.")
        pending = database.pending_migrations()
        if pending:
            self.stdout.write(f"Applying {pending} migrations to {target} …")
            call_command("migrate", interactive=False, verbosity=0)
        have = database.sizes()
        want = database.Sizes(
            options["contacts"], options["companies"], options["activities"]
        )
        load = database.missing(have, want) if options["seed_data"] else None
        if load is None:
            self.stdout.write(f"Benchmark database {target}: {have}.")
        else:
            self._seed(target, have, load)
        self._seed_orders(options["orders"] if options["seed_data"] else 0)
        if load is not None or database.never_vacuumed():
            self.stdout.write("VACUUM (ANALYZE), as autovacuum would …")
            database.vacuum()
        if options["cold"]:
            return "cold: the run starts with whatever the OS cache holds (--cold)"
        self.stdout.write("Reading tables and indexes into memory (pg_prewarm) …")
        problem = database.prewarm()
        if problem:
            self.stderr.write(f"Could not prewarm, measuring cold: {problem}")
            return f"not prewarmed ({problem})"
        return "warm: tables and indexes read into the OS cache first (pg_prewarm)"

    def _seed_orders(self, want: int) -> None:
        from django.apps import apps

        have = apps.get_model("commerce", "Order").objects.count()
        if have >= want:
            return
        self.stdout.write(
            f"Seeding {want - have:,} orders (the database has {have:,}) …"
        )
        call_command(
            "seed",
            contacts=0,
            companies=0,
            activities=0,
            tasks=0,
            orders=want - have,
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def _seed(self, target, have, load) -> None:
        minutes, gigabytes = database.seeding_estimate(load)
        took = "under a minute" if minutes < 1 else f"about {minutes:.0f} minutes"
        disk = f"{gigabytes:.1f} GB" if gigabytes >= 1 else f"{gigabytes * 1000:.0f} MB"
        self.stdout.write(
            f"Benchmark database {target} holds {have}.\n"
            f"Seeding {load}: {took} and {disk} of disk on 2 cores "
            f"(the full 1M contacts and 10M entries: ~13 minutes, ~6 GB). "
            f"Later runs reuse the data."
        )
        call_command(
            "seed",
            contacts=load.contacts,
            companies=load.companies,
            activities=load.activities,
            stdout=self.stdout,
            stderr=self.stderr,
        )
