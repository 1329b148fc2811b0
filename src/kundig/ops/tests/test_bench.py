"""The benchmark's machinery on a tiny seeded database: it asks, times and tabulates."""

from __future__ import annotations

import random

import pytest

from kundig.ops.bench import database
from kundig.ops.bench.runner import percentile
from kundig.ops.bench.scenarios import (
    SCENARIOS,
    as_typed,
    phone_as_typed,
    typo,
    umlaut_variant,
)
from kundig.ops.bench.suite import benchmark, scenarios_named
from kundig.ops.fakedata.seeder import SeedOptions, seed

TINY = SeedOptions(
    contacts=60, companies=6, activities=300, users=8, seed=7, batch_size=50
)


@pytest.fixture
def tiny(db):
    return seed(TINY, write=lambda _line: None)


def test_it_times_every_endpoint_for_both_personas_and_prints_the_table(tiny):
    lines: list[str] = []

    outcome = benchmark(requests=3, warmup=1, seed=3, write=lines.append)

    assert outcome.errors == []
    table = outcome.text.splitlines()
    header = next(line for line in table if line.startswith("Endpoint"))
    assert all(column in header for column in ("p50 ms", "p95 ms", "max ms"))
    for scenario in SCENARIOS:
        for persona in ("admin (sees all)", "sales, team "):
            assert any(
                line.startswith(scenario.label) and persona in line for line in table
            ), (scenario.label, persona)
    assert "p95 < 50 ms:" in outcome.text
    assert all(result.count == 3 for result in outcome.results)
    assert all(result.mean_queries > 0 for result in outcome.results)
    assert "| Endpoint | Persona |" in outcome.markdown
    assert any("Data: 60 contacts" in line for line in table)


def test_only_runs_the_endpoints_asked_for(tiny):
    outcome = benchmark(
        requests=2, warmup=0, only=["search", "360"], write=lambda _line: None
    )

    assert {r.scenario.key for r in outcome.results} == {"search", "360"}


def test_an_unknown_endpoint_is_refused():
    with pytest.raises(ValueError, match="Unknown endpoint nope"):
        scenarios_named(["search", "nope"])


def test_the_database_is_seeded_only_when_it_has_too_few_contacts():
    want = database.Sizes(1000, 10, 5000)

    assert database.missing(database.Sizes(1000, 0, 0), want) is None
    assert database.missing(database.Sizes(400, 20, 1000), want) == database.Sizes(
        600, 0, 4000
    )


def test_the_full_size_takes_about_13_minutes_and_6_gb():
    minutes, gigabytes = database.seeding_estimate(
        database.Sizes(1_000_000, 10_000, 10_000_000)
    )

    assert round(minutes) == 13
    assert 5 < gigabytes < 7


def test_only_postgresql_urls_are_accepted():
    from django.core.exceptions import ImproperlyConfigured

    assert database.parse_url(database.DEFAULT_URL)["NAME"] == "kundig_bench"
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        database.parse_url("sqlite:///tmp/bench.sqlite3")


def test_percentiles_are_by_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.95) == 95
    assert percentile([7.0], 0.95) == 7


def test_search_strings_look_typed_by_people():
    rng = random.Random(1)

    assert umlaut_variant("Müller", random.Random(0)) in {"mueller", "muller"}
    assert typo("Schmidt", rng) != "Schmidt"
    assert typo("Schmidt", rng)[0] == "S"
    assert "Müller".startswith(as_typed("Müller", rng))
    assert phone_as_typed("+4915123456789", rng).startswith("0151 ")


@pytest.mark.django_db(transaction=True)
def test_the_shop_benchmark_posts_processes_and_imports_for_real(settings):
    from django.db import connection

    from kundig.integrations.models import WebhookDelivery
    from kundig.ops.bench.shop import shop_benchmark

    if connection.vendor != "postgresql":
        pytest.skip("kundig web must reach the test database: PostgreSQL only")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url += f"/{db['NAME']}"

    results = shop_benchmark(
        database_url=url, webhooks=40, import_rows=30, threads=4, workers=1
    )

    measures = {what: value for what, value, _target in results.rows}
    assert "Webhook intake, failed requests" not in measures, results.text()
    assert measures["Webhook intake, accepted per second"].endswith("/s")
    assert "p95" in results.text() and "≥ 300/s" in results.markdown()
    assert not WebhookDelivery.objects.filter(status="pending").exists()
    assert measures["Order import, rows per second"].endswith("/s")

    # A second run on the same database measures new work, not duplicates.
    from kundig.commerce.models import Order

    deliveries, orders = WebhookDelivery.objects.count(), Order.objects.count()
    again = shop_benchmark(
        database_url=url, webhooks=40, import_rows=30, threads=4, workers=1
    )
    assert WebhookDelivery.objects.count() == deliveries + 40 + 20  # and warm-up
    assert Order.objects.count() > orders + 40
    measures = {what: value for what, value, _target in again.rows}
    assert measures["Shop orders recorded by one worker"] not in ("0/s", "–")


def test_the_static_files_are_collected_before_pages_are_timed(monkeypatch):
    # On a fresh machine nothing has collected them, and every page failed
    # on the missing manifest entry.
    from django.core.management import call_command

    from kundig.ops.management.commands import bench as command

    class Collected(Exception):
        pass

    def collect():
        raise Collected

    monkeypatch.setattr(command, "collectstatic_if_changed", collect)
    with pytest.raises(Collected):
        call_command("bench", "--requests", "1")


def test_the_mail_benchmark_queues_sends_and_files_for_real(admin, make_contact):
    from kundig.automation.models import Playbook, Run
    from kundig.messaging.models import InboundMessage, Message
    from kundig.ops.bench.mail import mail_benchmark

    for n in range(30):
        make_contact(admin, email=f"bench{n}@example.de")

    results = mail_benchmark(
        recipients=25, send=10, inbound=20, latency_ms=5, write=lambda _: None
    )

    measures = {what: value for what, value, _target in results.rows}
    assert measures["Playbook step to 25: rendered and queued per second"].endswith(
        "/s"
    )
    assert "Playbook step, recipients refused" not in measures, results.text()
    assert "SMTP sink received" not in measures, results.text()
    assert "SMTP sink (slow) received" not in measures, results.text()
    for where in ("a local sink", "a sink that takes 5 ms per mail"):
        assert measures[
            f"SMTP hand-over to {where} (4 connections), messages per second"
        ].endswith("/s")
    bare = "  the same sink from bare clients, mails ready-made: one connection, "
    bares = [v for w, v, _t in results.rows if w.startswith(bare)]
    assert len(bares) == 2 and all(v.count("/s") == 2 for v in bares)
    assert Message.objects.filter(status="sent").count() == 20  # 10 each round
    sent = Message.objects.filter(status="sent").first()
    assert sent.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert InboundMessage.objects.count() == 20 + 20  # and the warm-up
    assert "≥ 200/s" in results.markdown()

    # A second run queues new messages: the benchmark measures new work.
    again = mail_benchmark(recipients=25, send=0, inbound=0, write=lambda _: None)
    assert "Playbook step, recipients refused" not in {w for w, _v, _t in again.rows}
    assert Message.objects.count() == 50
    assert Run.objects.filter(status="done").count() == 50
    assert Message.objects.filter(status="queued").count() == 0
    assert not Playbook.objects.get(key="bench-inactive").is_active


def test_the_bench_template_gets_its_plain_text_made_once():
    from kundig.messaging import rendering
    from kundig.ops.bench.mail import HTML

    derived = rendering.text_template_from_html(HTML)
    assert "{% for r in recommendations %}" in derived
    assert "Abmelden ({{ unsubscribe_url }})" in derived


def test_the_service_benchmark_times_the_pages_and_the_scan(
    admin, make_contact, service_agent
):
    from kundig.ops.bench.service import service_benchmark
    from kundig.service.models import Ticket

    for n in range(10):
        make_contact(admin, email=f"ticket{n}@example.de")

    results, pages = service_benchmark(
        tickets=40, requests=3, warmup=1, write=lambda _: None
    )

    assert [(r.scenario.key, len(r.times_ms), r.errors) for r in pages] == [
        ("tickets", 3, []),
        ("ticket", 3, []),
    ]
    measures = {what: value for what, value, _target in results.rows}
    [scan] = [w for w in measures if w.startswith("Service-level scan over 40")]
    assert measures[scan].endswith(" s")
    assert "Service-level scan, marked (breached, warned)" not in measures, (
        results.text()
    )
    assert Ticket.objects.filter(escalation_level=1).count() == 2  # 5 % of 40
    # a second run reuses the tickets and resets their clocks
    service_benchmark(tickets=40, requests=1, warmup=0, write=lambda _: None)
    assert Ticket.objects.count() == 40


def test_a_measure_without_a_target_says_none():
    from kundig.ops.bench.shop import ShopResults

    results = ShopResults()
    results.add("Scan, seconds", "4.25 s", "< 5 s")
    results.add("Scan again, seconds", "0.011 s", "")

    first, second = results.text().splitlines()
    assert first.endswith("target < 5 s")
    assert second.endswith("0.011 s")
