"""The shop side of the benchmark: webhook intake, processing, order import.

* **Webhook intake**: ``kundig web`` (gunicorn, as in production) serves the
  benchmark database; client threads post signed Shopware 6 orders, each with
  its own event ID, over kept-alive connections. Measured: accepted webhooks
  per second and the p95 from sending a request to its 2xx.
* **Processing**: one process (one worker) maps and records the stored
  deliveries — each an order with a new or known buyer, its timeline entry,
  events and figures — and then hands the domain events to their handlers.
  Measured: deliveries and events per second.
* **Order import**: a generated CSV of order lines through the import path
  (parse, match buyers, record). Measured: rows per second.

What it creates is left in the benchmark database (orders of a "bench"
shop connection), like a shop that has been running.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from .runner import percentile

PAYLOAD = (
    Path(__file__).resolve().parents[2]
    / "integrations"
    / "tests"
    / "payloads"
    / "shopware_order_placed.json"
)


@dataclass
class ShopResults:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, what: str, value: str, target: str) -> None:
        self.rows.append((what, value, target))

    def text(self) -> str:
        width = max(len(r[0]) for r in self.rows) if self.rows else 0
        return "\n".join(
            f"{w:<{width}}  {v:>18}" + (f"  target {t}" if t else "")
            for w, v, t in self.rows
        )

    def markdown(self) -> str:
        lines = ["| measure | result | target |", "|---|---:|---|"]
        lines += [f"| {w} | {v} | {t} |" for w, v, t in self.rows]
        return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bodies(count: int, rng: random.Random) -> list[bytes]:
    template = json.loads(PAYLOAD.read_text(encoding="utf-8"))
    bodies = []
    for n in range(count):
        data = json.loads(json.dumps(template))
        order = data["data"]["payload"]["order"]
        # New ids on every run: a second run on the same database would
        # otherwise post duplicates, which are answered without any work.
        ident = uuid.uuid4().hex
        order["id"] = ident
        order["orderNumber"] = f"B{n:07d}{ident[:4]}"
        customer = order["orderCustomer"]
        # Half the buyers come back (known email), half are new.
        buyer = rng.randrange(count // 2 + 1) if rng.random() < 0.5 else ident
        customer["email"] = f"bench-{buyer}@example.de"
        customer["customerId"] = f"c-{buyer}"
        order["orderDateTime"] = order["createdAt"] = timezone.now().isoformat()
        order["updatedAt"] = order["createdAt"]
        data["source"]["eventId"] = uuid.uuid4().hex
        bodies.append(json.dumps(data).encode())
    return bodies


def _start_server(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        # The test database setting would take precedence over ours.
        **{k: v for k, v in os.environ.items() if k != "KUNDIG_TEST_DATABASE_URL"},
        "KUNDIG_DATABASE_URL": database_url,
        "KUNDIG_DEBUG": "0",
        "KUNDIG_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "kundig", "web", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--workers", str(workers)]
    # Its log goes to a file: a pipe nobody reads would fill and block it.
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed with the server)
    server = subprocess.Popen(  # noqa: S603  (our own command)
        argv, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                log.seek(0)
                raise RuntimeError(
                    "kundig web did not start: " + log.read().decode()[-2000:]
                ) from None
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("kundig web did not start within two minutes.")


def _post_all(port: int, path: str, bodies: list[bytes], secret: str, threads: int):
    from kundig.integrations.shop.base import hmac_sha256

    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    queue = iter(bodies)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                body = next(queue, None)
            if body is None:
                break
            headers = {
                "Content-Type": "application/json",
                "shopware-shop-signature": hmac_sha256(secret, body).hex(),
            }
            started = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, reason = 0, repr(exc)
            else:
                reason = response.reason
            took = (time.perf_counter() - started) * 1000
            with lock:
                if 200 <= status < 300:
                    times.append(took)
                else:
                    failures.append(f"{status} {reason}")
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return times, failures, time.perf_counter() - started


def shop_benchmark(
    *,
    database_url: str,
    webhooks: int,
    import_rows: int,
    threads: int = 16,
    workers: int = 4,
    seed: int = 1,
    write=print,
) -> ShopResults:
    from kundig.core.events import dispatch_pending
    from kundig.core.models import DomainEvent
    from kundig.integrations.models import ShopConnection, WebhookDelivery
    from kundig.integrations.services import delivery_process

    rng = random.Random(seed)
    results = ShopResults()
    if webhooks:
        shop, _created = ShopConnection.objects.get_or_create(
            key="bench-shopware",
            defaults={"name": "Bench", "platform": "shopware"},
        )
        bodies = _bodies(webhooks, rng)
        port = _free_port()
        write(f"Starting kundig web ({workers} workers) for the webhook intake …")
        server = _start_server(database_url, port, workers)
        try:
            # Warm up with other webhooks than the measured ones.
            _post_all(port, shop.webhook_path(), _bodies(20, rng), shop.secret, threads)
            warm = set(
                WebhookDelivery.objects.filter(connection=shop).values_list(
                    "pk", flat=True
                )
            )
            write(f"Posting {webhooks} signed webhooks from {threads} threads …")
            times, failures, seconds = _post_all(
                port, shop.webhook_path(), bodies, shop.secret, threads
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
        accepted = len(times)
        results.add(
            "Webhook intake, accepted per second",
            f"{accepted / seconds:,.0f}/s",
            "≥ 300/s on 2 cores",
        )
        results.add(
            "Webhook intake, p50 / p95 until the 2xx",
            f"{percentile(times, 0.5):.1f} / {percentile(times, 0.95):.1f} ms",
            "",
        )
        if failures:
            results.add(
                "Webhook intake, failed requests",
                str(len(failures)),
                f"0 (first: {failures[0][:80]})",
            )
        pending = list(
            WebhookDelivery.objects.filter(connection=shop, status="pending")
            .exclude(pk__in=warm)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        for pk in warm:  # untimed, and warming the code path
            delivery_process(pk)
        dispatch_pending()
        write(f"Processing {len(pending)} deliveries in this one process …")
        started = time.perf_counter()
        for pk in pending:
            delivery_process(pk)
        took = time.perf_counter() - started
        results.add(
            "Shop orders recorded by one worker",
            f"{len(pending) / took:,.0f}/s" if took else "–",
            "",
        )
        events = DomainEvent.objects.filter(dispatched_at__isnull=True).count()
        write(f"Dispatching {events} domain events to their handlers …")
        started = time.perf_counter()
        done = dispatch_pending()
        took = time.perf_counter() - started
        results.add(
            "Domain events processed by one worker",
            f"{done / took:,.0f}/s" if took and done else "–",
            "≥ 1,000/s",
        )
    if import_rows:
        results.add(
            "Order import, rows per second",
            _import(import_rows, rng, write),
            "≥ 20,000/s",
        )
    return results


def _import(rows: int, rng: random.Random, write) -> str:
    from kundig.commerce import importing

    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=";")
    out.writerow(
        ["Bestellnummer", "Datum", "E-Mail", "Vorname", "Nachname", "PLZ",
         "Artikelnummer", "Artikel", "Menge", "Einzelpreis"]
    )  # fmt: skip
    run = uuid.uuid4().hex[:8]  # new orders on every run, as above
    n = 0
    while n < rows:
        number = f"I{run}-{n}"
        buyer = rng.randrange(max(rows // 4, 1))
        for position in range(min(rng.choice((1, 2, 3)), rows - n)):
            out.writerow(
                [number, "03.11.2026", f"import-{buyer}@example.de", "Ida",
                 f"Kasse{buyer}", "10115", f"SKU-{position}", "Becher", "2", "9,95"]
            )  # fmt: skip
            n += 1
    data = io.BytesIO(buffer.getvalue().encode())
    info = importing.check_file(data, "bench.csv")
    write(f"Importing {rows} order rows …")
    started = time.perf_counter()
    imported = 0
    parsed_orders = importing.iter_orders(data, info, channel="store")
    for chunk in importing.chunks(parsed_orders):
        results = importing.record_many(chunk, actor=None, source=f"bench-{run}")
        imported += sum(
            parsed.rows
            for parsed, problems in zip(chunk, results, strict=True)
            if not problems
        )
    took = time.perf_counter() - started
    return f"{imported / took:,.0f}/s"
