"""The service desk's side of the benchmark: 100,000 open tickets.

* **Pages**: a service agent's ticket list (the open tickets, with the
  filters and sorts people use) and a ticket's page (its conversation and
  the customer's history beside it), p50/p95 of the server time as for the
  other pages.
* **Service-level scan**: the scheduler's scan over the open tickets, with
  5 % of them overdue for their answer (each then escalated to the queue's
  team lead) and 10 % close to it (a warning each). Measured: seconds for the
  whole scan, and for a scan that finds nothing new (the one that runs every
  minute on a quiet day).

The tickets are created once (untimed) and stay in the benchmark database,
with a customer mail and an answer each; every run resets their clocks.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.apps import apps
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import database
from .runner import Result, run
from .scenarios import Persona, Request, Scenario
from .shop import ShopResults

SOURCE = "bench:"
CHUNK = 5000
DAYS = 60 * 24 * 60  # tickets opened over the last 60 days (in minutes)
PAGE_TARGET_MS = 80.0
SCAN_TARGET_S = 5.0
SUBJECTS = [
    "Wo bleibt meine Bestellung?", "Falsche Größe geliefert", "Rechnung doppelt",
    "Artikel beschädigt", "Rücksendung angemeldet", "Frage zur Lieferzeit",
    "Gutschein funktioniert nicht", "Lob für die schnelle Lieferung",
]  # fmt: skip


def _agent():
    from kundig.core.models import User

    user = (
        User.objects.filter(is_active=True, role="service").order_by("pk").first()
        or User.objects.filter(is_active=True, role="admin").order_by("pk").first()
    )
    if user is None:
        raise LookupError("No service agent or administrator to look at the tickets.")
    return user


def _ensure_tickets(count: int, rng: random.Random, write) -> list[int]:
    """Open bench tickets up to ``count``; return their ids."""
    from kundig.core import bulk
    from kundig.service.choices import OPEN_STATUSES, Priority, TicketCategory
    from kundig.service.models import Queue, SlaPolicy, Ticket, TicketEntry
    from kundig.service.selectors import queue_default

    Contact = apps.get_model("contacts", "Contact")
    have = Ticket.objects.filter(source__startswith=SOURCE).count()
    missing = count - have
    if missing > 0:
        write(f"Opening {missing:,} tickets (once) …")
        queue = queue_default() or Queue.objects.create(name="Service", is_default=True)
        policy = SlaPolicy.objects.filter(is_active=True).order_by("position").first()
        agent = _agent()
        top = Contact.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        contacts = list(
            Contact.objects.filter(pk__gte=max(top - 400_000, 0))
            .order_by("?")
            .values_list("pk", flat=True)[:50_000]
        )
        now = timezone.now()
        for start in range(have, count, CHUNK):
            size = min(CHUNK, count - start)
            with transaction.atomic():
                tickets = [
                    Ticket(
                        contact_id=rng.choice(contacts),
                        subject=rng.choice(SUBJECTS),
                        status=rng.choice(OPEN_STATUSES),
                        channel=rng.choice(["email", "email", "phone", "web"]),
                        category=rng.choice(TicketCategory.values),
                        priority=rng.choice(Priority.values),
                        queue=queue,
                        assignee=agent if rng.random() < 0.3 else None,
                        source=f"{SOURCE}{start + n}",
                        sla_policy=policy,
                        created_at=now - dt.timedelta(minutes=rng.randint(1, DAYS)),
                    )
                    for n in range(size)
                ]  # fmt: skip
                bulk.insert_objects(tickets)
                entries = []
                for ticket in tickets:
                    entries.append(TicketEntry(
                        ticket=ticket, kind="customer", created_at=ticket.created_at,
                        body="Guten Tag,\n\nich warte noch auf meine Bestellung. "
                        "Können Sie nachsehen?\n\nViele Grüße",
                    ))  # fmt: skip
                    entries.append(TicketEntry(
                        ticket=ticket, kind="reply", author=agent,
                        created_at=ticket.created_at + dt.timedelta(hours=2),
                        body="Guten Tag,\n\nwir sehen nach und melden uns.",
                    ))  # fmt: skip
                bulk.insert_objects(entries)
            write(f"  {min(start + size, count):,} of {count:,}")
        database.tidy(Ticket, TicketEntry)
    return list(
        Ticket.objects.filter(source__startswith=SOURCE)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )


def _reset_clocks(ids: list[int], rng: random.Random) -> tuple[int, int]:
    """Every clock running again: 5 % overdue, 10 % close to it, the rest later."""
    from kundig.service.choices import OPEN_STATUSES
    from kundig.service.models import Queue, Ticket

    now = timezone.now()
    overdue = set(rng.sample(ids, len(ids) // 20))
    rest = [pk for pk in ids if pk not in overdue]
    warned = set(rng.sample(rest, len(ids) // 10))
    lead = _agent()
    Queue.objects.filter(is_default=True).update(team_lead=lead)
    bench = Ticket.objects.filter(source__startswith=SOURCE)
    with transaction.atomic():
        bench.update(
            status=OPEN_STATUSES[1], first_response_at=None, sla_paused_at=None,
            first_response_warned_at=None, first_response_breached_at=None,
            resolution_warned_at=None, resolution_breached_at=None,
            escalation_level=0, escalated_at=None,
            first_response_warn_at=now + dt.timedelta(days=2),
            first_response_due_at=now + dt.timedelta(days=3),
            resolution_warn_at=now + dt.timedelta(days=8),
            resolution_due_at=now + dt.timedelta(days=10),
        )  # fmt: skip
        for chunk in _chunks(sorted(overdue)):
            bench.filter(pk__in=chunk).update(
                first_response_warn_at=now - dt.timedelta(hours=2),
                first_response_due_at=now - dt.timedelta(minutes=5),
            )
        for chunk in _chunks(sorted(warned)):
            bench.filter(pk__in=chunk).update(
                first_response_warn_at=now - dt.timedelta(minutes=5)
            )
    database.tidy(Ticket)
    return len(overdue), len(warned)


def _chunks(ids: list[int], size: int = 10_000):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def service_benchmark(
    *, tickets: int, requests: int, warmup: int, seed: int = 1, write=print
) -> tuple[ShopResults, list[Result]]:
    from kundig.service.services import sla_scan

    rng = random.Random(seed)
    results = ShopResults()
    ids = _ensure_tickets(tickets, rng, write)
    agent = Persona("agent", f"service agent ({_agent().email})", _agent())
    list_url, sorts = reverse("service:ticket_list"), ["newest", "priority", "changed"]

    def ticket_list(rng, persona) -> Request:
        params = rng.choice([
            {}, {"assignee": "mine"}, {"assignee": "none"}, {"sort": rng.choice(sorts)},
            {"priority": "high"}, {"q": rng.choice(SUBJECTS).split()[0]},
            {"page": str(rng.randint(2, 50))},
        ])  # fmt: skip
        return Request(list_url, params)

    def ticket_page(rng, persona) -> Request:
        return Request(reverse("service:ticket_detail", args=[rng.choice(ids)]))

    scenarios = [
        Scenario("tickets", "ticket list", ticket_list, PAGE_TARGET_MS),
        Scenario("ticket", "ticket page", ticket_page, PAGE_TARGET_MS),
    ]
    write(f"Timing the ticket pages ({requests} requests each) …")
    pages = run([agent], scenarios, requests=requests, warmup=warmup, rng=rng,
                progress=write)  # fmt: skip
    write(f"Resetting the service-level clocks of {len(ids):,} tickets …")
    overdue, warned = _reset_clocks(ids, rng)
    write("Scanning …")
    started = time.perf_counter()
    scanned = sla_scan()
    took = time.perf_counter() - started
    results.add(
        f"Service-level scan over {len(ids):,} open tickets "
        f"({overdue:,} overdue and escalated, {warned:,} warned), seconds",
        f"{took:.2f} s",
        f"< {SCAN_TARGET_S:g} s",
    )
    # the overdue ones are past their warning too
    if (scanned.breached, scanned.warned) != (overdue, overdue + warned):
        results.add(
            "Service-level scan, marked (breached, warned)",
            f"{scanned.breached:,}, {scanned.warned:,}",
            f"{overdue:,}, {overdue + warned:,}",
        )
    started = time.perf_counter()
    sla_scan()
    results.add(
        "The same scan a minute later (nothing new), seconds",
        f"{time.perf_counter() - started:.3f} s",
        "",
    )
    return results, pages
