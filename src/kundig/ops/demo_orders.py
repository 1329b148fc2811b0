"""The demo's order history: a small outdoor and home shop on Shopware.

Orders go through the commerce services (with the customer given), so the
demo shows what real shop data produces: orders with lines, shipments,
returns, revocations and refunds on the timeline, figures on the 360° page,
and a few parcels that are late. The demo's Shopware connection has a fixed
signing secret, so the README's curl example works against it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from kundig.commerce import services as commerce
from kundig.integrations.models import ShopConnection

DEMO_SHOP_KEY = "demo-shopware"
CUSTOMERS = 80  # half the first by name, half at random
DEMO_SHOP_SECRET = "kundig-demo-shopware-secret"  # noqa: S105  (a demo, documented)

PRODUCTS = [
    ("WS-ALP", "Wanderschuh Alpin", "Schuhe", "129.90"),
    ("WS-TRL", "Trailrunner Leicht", "Schuhe", "99.90"),
    ("JK-REG", "Regenjacke Nordwand", "Bekleidung", "149.00"),
    ("JK-FLE", "Fleecejacke Tannheim", "Bekleidung", "69.90"),
    ("SO-MER", "Merino-Socken (2er-Pack)", "Bekleidung", "19.90"),
    ("RS-25", "Tagesrucksack 25 l", "Rucksäcke", "79.00"),
    ("RS-45", "Trekkingrucksack 45 l", "Rucksäcke", "159.00"),
    ("TH-08", "Thermoskanne 0,8 l", "Küche & Camping", "29.90"),
    ("ZL-2P", "Zelt Weitblick 2P", "Zelte", "249.00"),
    ("SL-DWN", "Daunenschlafsack -5 °C", "Schlafsäcke", "189.00"),
    ("LP-HD", "Stirnlampe 400 lm", "Zubehör", "34.90"),
    ("ST-CRB", "Trekkingstöcke Carbon", "Zubehör", "89.00"),
    ("KO-GAS", "Gaskocher kompakt", "Küche & Camping", "39.90"),
    ("FL-1L", "Trinkflasche 1 l", "Zubehör", "17.50"),
    ("MU-GEW", "Multitool Gewerk", "Zubehör", "49.90"),
]
CARRIERS = [
    (
        "DHL Paket",
        "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={}",
    ),
    ("Hermes", ""),
    ("DPD", ""),
]


def load_demo_orders(
    *, rng: random.Random, write, customers: int = CUSTOMERS
) -> dict[str, int]:
    """Create the demo shop, its products and the order history of its customers."""
    shop, _created = ShopConnection.objects.get_or_create(
        key=DEMO_SHOP_KEY,
        defaults={
            "name": "Bergfreunde Demo-Shop",
            "platform": "shopware",
            "secret": DEMO_SHOP_SECRET,
        },
    )
    for sku, name, category, price in PRODUCTS:
        commerce.product_record(
            actor=None,
            source=shop.source,
            data=commerce.ProductData(
                sku=sku, name=name, category=category, price=price
            ),
        )
    Contact = apps.get_model("contacts", "Contact")
    # The customers a list shows first (by name) and a random share of the
    # rest: each order takes the services' full path, so not all of them.
    buyers = Contact.objects.filter(
        lifecycle_stage__in=["customer", "regular_customer"]
    ).values_list("id", "lifecycle_stage")
    first = list(buyers.order_by("sort_name", "id")[: customers // 2])
    rest = list(buyers.exclude(pk__in=[pk for pk, _stage in first]).order_by("id"))
    chosen = first + rng.sample(rest, k=min(len(rest), customers - len(first)))
    now = timezone.now()
    counts = {"orders": 0, "returns": 0, "revocations": 0, "late": 0}
    number = 10_000
    buyers_seen = waiting_buyers = 0
    for contact_id, stage in chosen:
        contact = Contact.objects.get(pk=contact_id)
        how_many = (
            rng.randint(3, 7) if stage == "regular_customer" else rng.randint(1, 2)
        )
        # Bought only after they became a contact.
        age = (now - contact.created_at).total_seconds() / 86400 - 1
        if age < 4:
            continue
        days = [rng.uniform(2, min(700, age)) for _ in range(how_many)]
        # One buyer in twenty waits for a parcel right now: their latest order
        # is a week old and its parcel is late, so the demo always has late
        # parcels (and "Wo bleibt meine Bestellung?" is about one of them).
        waiting = age > 12 and waiting_buyers * 20 <= buyers_seen
        if waiting:
            days[-1] = rng.uniform(6, 10)
            waiting_buyers += 1
        buyers_seen += 1
        late_one = days[-1] if waiting else None
        for days_ago in sorted(days, reverse=True):
            number += 1
            placed = now - dt.timedelta(days=days_ago, minutes=rng.randint(0, 600))
            picks = rng.sample(PRODUCTS, k=rng.choice([1, 1, 2, 2, 3]))
            lines = [
                commerce.LineData(
                    sku=sku,
                    name=name,
                    quantity=rng.choice([1, 1, 1, 2]),
                    unit_price=price,
                )
                for sku, name, _category, price in picks
            ]
            subtotal = sum(
                Decimal(str(line.quantity)) * Decimal(line.unit_price) for line in lines
            )
            shipping = Decimal("0.00") if subtotal >= 50 else Decimal("4.95")
            order = commerce.order_record(
                actor=None,
                source=shop.source,
                contact=contact,
                data=commerce.OrderData(
                    external_id=f"demo-{number}",
                    number=str(number),
                    channel=rng.choice(["web_shop"] * 8 + ["marketplace", "store"]),
                    placed_at=placed,
                    paid_at=placed + dt.timedelta(minutes=3),
                    shipping_total=shipping,
                    tax_total=(
                        (subtotal + shipping) * Decimal("19") / Decimal("119")
                    ).quantize(Decimal("0.01")),
                    lines=lines,
                    buyer=commerce.BuyerData(),
                ),
            ).order
            counts["orders"] += 1
            _fulfil(
                order, shop, rng, placed, days_ago, counts, late=days_ago == late_one
            )
    counts["late"] = commerce.shipments_flag_late()
    write(
        f"orders: {counts['orders']} ({counts['returns']} returns, "
        f"{counts['revocations']} revocations, {counts['late']} late parcels)"
    )
    return counts


def _fulfil(order, shop, rng, placed, days_ago, counts, *, late: bool) -> None:
    carrier, url = rng.choice(CARRIERS)
    tracking = f"00340{rng.randint(10**14, 10**15 - 1)}"
    sent = placed + dt.timedelta(days=rng.choice([0.5, 1, 1, 2]))
    promised = (sent + dt.timedelta(days=2)).date()
    if days_ago < 3:
        return  # still being packed
    late = late or (days_ago < 12 and rng.random() < 0.25)
    delivered = None if late else sent + dt.timedelta(days=rng.choice([1, 2, 2, 3]))
    commerce.shipment_record(
        actor=None,
        source=shop.source,
        order=order,
        data=commerce.ShipmentData(
            external_id=f"{order.external_id}-1",
            carrier=carrier,
            tracking_number=tracking,
            tracking_url=url.format(tracking) if url else "",
            sent_at=sent,
            promised_for=promised,
            delivered_at=delivered,
        ),
    )
    if delivered is None:
        return
    roll = rng.random()
    if roll < 0.08:
        reason = rng.choice(["size", "defective", "not_as_described", "changed_mind"])
        status = rng.choice(
            ["announced", "received", "refunded", "refunded", "exchanged"]
        )
        commerce.return_record(
            actor=None,
            source=shop.source,
            order=order,
            data=commerce.ReturnData(
                external_id=f"{order.external_id}-rma",
                rma_number=f"RMA-{order.number}",
                reason=reason,
                status=status,
                announced_at=min(delivered + dt.timedelta(days=3), timezone.now()),
                lines=[
                    commerce.ReturnLineData(
                        sku=order.lines.first().sku, name=order.lines.first().name
                    )
                ],
            ),
        )
        counts["returns"] += 1
        if status == "refunded":
            line = order.lines.first()
            commerce.refund_record(
                actor=None,
                source=shop.source,
                order=order,
                data=commerce.RefundData(
                    external_id=f"{order.external_id}-refund",
                    amount=line.total,
                    reason="Retoure",
                ),
            )
    elif roll < 0.11 and days_ago < 40:
        commerce.revocation_record(
            actor=None,
            source=shop.source,
            order=order,
            data=commerce.RevocationData(
                external_id=f"{order.external_id}-widerruf",
                received_on=min(
                    (delivered + dt.timedelta(days=5)).date(), timezone.localdate()
                ),
                comment="Widerruf per E-Mail",
            ),
        )
        counts["revocations"] += 1
