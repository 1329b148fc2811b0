"""Generated order history: orders with lines, their timeline entries, figures.

Rows go in bulk (COPY on PostgreSQL) like the rest of the seed, keeping what
the commerce services keep: each order on the timeline once
(``commerce.order`` / ``<id>:placed``), placed after its customer became a
contact, and the customers' figures computed from all their orders in one
statement at the end (so appending keeps them right).
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from . import tables
from .clock import DAY
from .timeline import ContactPool

PRODUCTS = [
    ("WS-ALP", "Wanderschuh Alpin", Decimal("129.90")),
    ("JK-REG", "Regenjacke Nordwand", Decimal("149.00")),
    ("JK-FLE", "Fleecejacke Tannheim", Decimal("69.90")),
    ("SO-MER", "Merino-Socken (2er-Pack)", Decimal("19.90")),
    ("RS-25", "Tagesrucksack 25 l", Decimal("79.00")),
    ("TH-08", "Thermoskanne 0,8 l", Decimal("29.90")),
    ("ZL-2P", "Zelt Weitblick 2P", Decimal("249.00")),
    ("LP-HD", "Stirnlampe 400 lm", Decimal("34.90")),
    ("FL-1L", "Trinkflasche 1 l", Decimal("17.50")),
    ("KE-WIN", "Kerzenset Winter", Decimal("24.90")),
    ("BE-BLU", "Becher Blau", Decimal("12.50")),
    ("TE-EAR", "Earl Grey 250 g", Decimal("8.90")),
]
CHANNELS = ["web_shop"] * 7 + ["marketplace", "marketplace", "store"]
STATUSES = ["completed"] * 6 + ["delivered"] * 2 + ["shipped", "paid", "cancelled"]
SOURCE = "seed"


def order_chunks(
    *,
    rng: random.Random,
    pool: ContactPool,
    count: int,
    ids,
    ts,
    now: float,
    chunk: int,
):
    """Yield ``(orders, lines, entries)`` row lists of at most ``chunk`` orders."""
    orders, lines, entries = [], [], []
    id_iter = iter(ids)
    for _ in range(count):
        placed = now - rng.random() * 700 * DAY
        index = pool.pick(rng, placed - DAY)
        if index < 0:
            continue
        pk = next(id_iter)
        contact_id = pool.ids[index]
        subtotal = Decimal("0.00")
        for position in range(rng.choice((1, 1, 1, 2, 2, 3))):
            sku, name, price = rng.choice(PRODUCTS)
            quantity = rng.choice((1, 1, 1, 2))
            total = price * quantity
            subtotal += total
            tax = (total * 19 / 119).quantize(Decimal("0.01"))
            lines.append(
                (pk, position, sku, name, quantity, price, 0, 19, tax, total, False)
            )
        shipping = Decimal("0.00") if subtotal >= 50 else Decimal("4.95")
        grand = subtotal + shipping
        status = rng.choice(STATUSES)
        stamp = ts(placed)
        paid = None if status == "cancelled" else ts(placed + 120)
        orders.append(
            (
                pk, contact_id, SOURCE, f"S{pk}", f"S{pk}", rng.choice(CHANNELS),
                status, "EUR", subtotal, 0, shipping,
                (grand * 19 / 119).quantize(Decimal("0.01")), grand, 0, "[]", "", "",
                stamp, paid, stamp, stamp,
            )
        )  # fmt: skip
        entries.append(
            (
                contact_id, None, "order", "shop", "in", stamp, None,
                f"Order S{pk} placed: {grand} EUR", "", "commerce.order",
                f"{pk}:placed", f"/orders/{pk}/", None, stamp,
            )
        )  # fmt: skip
        if len(orders) >= chunk:
            yield orders, lines, entries
            orders, lines, entries = [], [], []
    if orders:
        yield orders, lines, entries


def refresh_figures() -> int:
    """Compute every ordering customer's figures from their orders, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_contactfigures (
                contact_id, first_order_at, last_order_at, orders_count, revenue,
                average_order_value, currency, returns_count, returns_rate, updated_at
            )
            SELECT contact_id, MIN(placed_at), MAX(placed_at), COUNT(*),
                   SUM(total - refunded_total),
                   ROUND(SUM(total - refunded_total) / COUNT(*), 2),
                   %s, 0, 0, %s
            FROM commerce_order
            WHERE status <> 'cancelled' AND currency = %s
            GROUP BY contact_id
            ON CONFLICT (contact_id) DO UPDATE SET
                first_order_at = excluded.first_order_at,
                last_order_at = excluded.last_order_at,
                orders_count = excluded.orders_count,
                revenue = excluded.revenue,
                average_order_value = excluded.average_order_value,
                updated_at = excluded.updated_at
            """,
            ["EUR", timezone.now(), "EUR"],
        )
        return cursor.rowcount


__all__ = ["order_chunks", "refresh_figures", "tables"]
