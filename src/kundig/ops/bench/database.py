"""The benchmark database: PostgreSQL, a database of its own, seeded once, reused."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

import dj_database_url
import django
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

URL_VARIABLE = "KUNDIG_BENCH_DATABASE_URL"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kundig_bench"

# Measured on the reference machine (2 cores): seeding 1M contacts, 10M
# timeline entries took about 13 minutes and left a 5.6 GB database.
FULL_CONTACTS, FULL_ACTIVITIES, FULL_MINUTES = 1_000_000, 10_000_000, 13.0
KB_PER_CONTACT, KB_PER_ACTIVITY = 1.7, 0.39  # with their emails, phones, indexes …
CONTACT_SHARE = 0.35  # of the seeding time, the rest goes to the timeline


@dataclass(frozen=True)
class Sizes:
    contacts: int
    companies: int
    activities: int

    def __str__(self) -> str:
        return (
            f"{self.contacts:,} contacts, {self.companies:,} companies and "
            f"{self.activities:,} timeline entries"
        )


def bench_url(explicit: str | None = None) -> str:
    """Return the benchmark database's URL: the option, the variable, or the default."""
    return explicit or os.environ.get(URL_VARIABLE, "").strip() or DEFAULT_URL


def parse_url(url: str) -> dict:
    """Return the Django database settings of ``url``; PostgreSQL only."""
    try:
        config = dj_database_url.parse(url, conn_max_age=600)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(
            f"{URL_VARIABLE}={url!r} is not a database URL; use "
            f"postgres://user:pass@host:5432/name ({exc})."
        ) from None
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"{URL_VARIABLE}={url!r}: the benchmark runs on PostgreSQL, "
            f"the database its targets are set for."
        )
    return config


def use_database(config: dict) -> None:
    """Point the ``default`` connection at ``config`` for the rest of the process.

    Django's test runner switches to the test database the same way: it
    closes the connection and changes the settings it connects with.
    """
    connections["default"].close()
    configured = connections.configure_settings({"default": dict(config)})["default"]
    settings.DATABASES["default"] = configured
    connections.settings["default"] = configured
    connections["default"] = connections.create_connection("default")


def describe_target(config: dict) -> str:
    """Return ``user@host:port/name`` of a database, without its password."""
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    user = f"{config['USER']}@" if config.get("USER") else ""
    return f"{user}{host}{port}/{config['NAME']}"


def create_if_missing() -> bool:
    """Create the database the ``default`` connection names; return whether it did."""
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone():
            return False
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    return True


def pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def sizes() -> Sizes:
    """Return how many contacts, companies and timeline entries the database holds."""
    return Sizes(
        contacts=apps.get_model("contacts", "Contact").objects.count(),
        companies=apps.get_model("contacts", "Company").objects.count(),
        activities=apps.get_model("activity", "TimelineEntry").objects.count(),
    )


def missing(have: Sizes, want: Sizes) -> Sizes | None:
    """Return what to seed so that ``have`` reaches ``want``; None if it has enough.

    The contacts decide: a database with enough of them is used as it is.
    """
    if have.contacts >= want.contacts:
        return None
    return Sizes(
        contacts=want.contacts - have.contacts,
        companies=max(0, want.companies - have.companies),
        activities=max(0, want.activities - have.activities),
    )


def seeding_estimate(load: Sizes) -> tuple[float, float]:
    """Return the minutes and gigabytes seeding ``load`` takes, roughly."""
    share = (
        CONTACT_SHARE * load.contacts / FULL_CONTACTS
        + (1 - CONTACT_SHARE) * load.activities / FULL_ACTIVITIES
    )
    gigabytes = (
        load.contacts * KB_PER_CONTACT + load.activities * KB_PER_ACTIVITY
    ) / 1e6
    return FULL_MINUTES * share, gigabytes


def never_vacuumed() -> bool:
    """Return whether the contacts were never vacuumed (autovacuum may be off)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum IS NULL AND last_autovacuum IS NULL "
            "FROM pg_stat_user_tables WHERE relname = 'contacts_contact'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def vacuum() -> None:
    """VACUUM (ANALYZE) the database, as autovacuum does on a live one.

    A freshly loaded table has no visibility map yet, so index-only scans
    still visit the table; after a vacuum they do not.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def prewarm() -> str | None:
    """Read every table and index once, so that the run starts from a warm cache.

    A server that has been running holds its hot data in memory; a benchmark
    that starts cold measures the disk instead. Uses ``pg_prewarm`` (shipped
    with PostgreSQL) to read into the operating system's cache; returns why
    not if it cannot.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cursor.execute(
                "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'i', 't', 'm') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            )
    except DatabaseError as exc:
        return str(exc).strip()
    return None


# --- what the figures were measured on ------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return None


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def machine_info(have: Sizes) -> list[tuple[str, str]]:
    """Return (label, value) pairs describing the machine, the database and the data."""
    memory = _memory_gb()
    rows = [
        ("Date", timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")),
        ("CPU", f"{_cpu_model()}, {usable_cores()} cores usable"),
        ("Memory", f"{memory:.0f} GB" if memory else "n/a"),
        ("Load average (1, 5, 15 min)", load_average()),
        ("Python, Django", f"{platform.python_version()}, {django.get_version()}"),
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), "
                "current_setting('shared_buffers'), current_setting('work_mem'), "
                "pg_size_pretty(pg_database_size(current_database()))"
            )
            version, buffers, work_mem, size = cursor.fetchone()
        rows += [
            (
                "PostgreSQL",
                f"{version} (shared_buffers {buffers}, work_mem {work_mem})",
            ),
            ("Database", f"{describe_target(connection.settings_dict)}, {size}"),
        ]
    else:
        rows.append(
            ("Database", f"{connection.vendor} {connection.settings_dict['NAME']}")
        )
    tasks = apps.get_model("activity", "Task").objects.count()
    rows.append(
        (
            "Data",
            f"{have.contacts:,} contacts, {have.companies:,} companies, "
            f"{have.activities:,} timeline entries, {tasks:,} tasks",
        )
    )
    return rows


def tidy(*models) -> None:
    """What autovacuum does between runs: fresh statistics, dead rows gone.

    Untimed. The benchmark database is reused, and each run adds and changes
    many rows (100,000 events, runs and messages; 100,000 tickets' clocks);
    a server with autovacuum off (or behind) would measure the last run's
    leftovers. Inside a transaction (the tests) only ANALYZE can run.
    """
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(
                f"{command} {connection.ops.quote_name(model._meta.db_table)}"
            )
