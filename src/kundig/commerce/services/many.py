"""Record many orders at once: the fast path of the order import (ADR 17).

:func:`orders_record_many` writes what :func:`order_record` writes for each
new order — the buyer matched or created, lines, status history, identity
match, timeline entries, domain events, figures and lifecycle moves — but in
a constant number of statements per call instead of dozens per order. The
orders are taken in the order given, so buyers and stages end up exactly as
if each had been recorded alone (a test compares the two row by row).

Orders that already exist, or appear twice in one call, go through
:func:`order_record` one by one after the new ones: imports mostly bring new
orders, and updating follows rules (status only forward, nothing older
overwrites) that are not worth a second implementation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity import services as activity_services
from kundig.activity.choices import Channel, Direction, Kind
from kundig.contacts import selectors as contact_selectors
from kundig.contacts import services as contact_services
from kundig.contacts.choices import ChangeSource
from kundig.core import bulk
from kundig.core.choices import Permission
from kundig.core.events import emit_many
from kundig.core.permissions import require

from ..choices import STATUS_RANK, MatchRule, OrderStatus, SalesChannel
from ..models import (
    IdentityMatch,
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    ShopIdentity,
)
from . import common, identity
from .inputs import OrderData
from .orders import _clean_order, lines_html, order_record

ORDER = "commerce.order"
CONTACT = "contacts.contact"


@dataclass
class Outcome:
    """Per order, in the order given: recorded, or the errors by field."""

    order_id: int | None = None
    created: bool = False
    errors: dict[str, list[str]] | None = None


@dataclass
class _New:
    index: int
    data: OrderData
    clean: dict
    lines: list[dict]
    contact: object = None  # an int (existing) or a _Person (created here)
    rule: str = ""
    detail: str = ""
    pk: int | None = None
    status: str = OrderStatus.PLACED


@dataclass
class _Person:
    """A contact created in this call; its id comes when it is written."""

    person: contact_services.NewPerson
    pk: int | None = None
    orders: list[_New] = field(default_factory=list)


def orders_record_many(*, actor, source: str, orders: list[OrderData]) -> list[Outcome]:
    """Record ``orders`` of ``source`` in the caller's transaction.

    Returns one :class:`Outcome` per order. An order with errors is left
    out; the others are recorded.
    """
    require(actor, Permission.WRITE)
    outcomes = [Outcome() for _ in orders]
    fresh: list[_New] = []
    one_by_one: list[int] = []
    seen: set[str] = set()
    for i, data in enumerate(orders):
        try:
            clean, lines = _clean_order(data, existing=None)
        except ValidationError as exc:
            if not data.external_id:
                outcomes[i].errors = exc.message_dict
            else:  # an update may be fine without what a new order needs
                one_by_one.append(i)
            continue
        external_id = clean.get("external_id", "")
        if not external_id or external_id in seen:
            one_by_one.append(i)
            continue
        seen.add(external_id)
        fresh.append(_New(i, data, clean, lines or []))
    _serialise()
    stored = set(
        Order.objects.filter(source=source, external_id__in=seen).values_list(
            "external_id", flat=True
        )
    )
    if stored:
        one_by_one += [n.index for n in fresh if n.clean["external_id"] in stored]
        fresh = [n for n in fresh if n.clean["external_id"] not in stored]
    people = _match(fresh, source=source, outcomes=outcomes)
    fresh = [n for n in fresh if n.contact is not None]
    created = contact_services.contacts_create_many(
        actor=None, people=[p.person for p in people], source=ChangeSource.SYSTEM
    )
    for person, result in zip(people, created, strict=True):
        person.pk = result.contact_id  # checked while matching, so never None
    _write(fresh, source=source, actor=actor)
    for new in fresh:
        outcomes[new.index].order_id, outcomes[new.index].created = new.pk, True
    for i in sorted(one_by_one):
        try:
            with transaction.atomic():
                result = order_record(actor=actor, source=source, data=orders[i])
        except ValidationError as exc:
            outcomes[i].errors = exc.message_dict
        else:
            outcomes[i].order_id, outcomes[i].created = result.order.pk, result.created
    return outcomes


def _serialise() -> None:
    """Let no other transaction match buyers while this one does (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [identity.MATCHING_LOCK],
        )


# --- Who bought it ------------------------------------------------------------------


def _match(fresh: list[_New], *, source: str, outcomes) -> list[_Person]:
    """Decide each order's buyer, in order, as buyer_match would one by one."""
    buyers = [n.data.buyer for n in fresh]
    by_ref: dict[str, object] = dict(
        ShopIdentity.objects.filter(
            source=source,
            customer_ref__in={b.customer_ref for b in buyers if b.customer_ref},
        ).values_list("customer_ref", "contact_id")
    )
    by_email: dict[str, object] = contact_selectors.contacts_by_emails(
        b.email for b in buyers if b.email
    )
    by_name: dict[tuple, list] = {}
    if settings.KUNDIG_MATCH_NAME_POSTCODE:
        by_name = contact_selectors.contacts_by_names_and_postcodes(
            (b.first_name, b.last_name, b.postcode) for b in buyers
        )
    people: list[_Person] = []
    for new in fresh:
        buyer = new.data.buyer
        ref = new.clean.get("customer_ref", "")
        email = buyer.email.strip().lower() if buyer.email else ""
        name_key = _name_key(buyer)
        if buyer.customer_ref and buyer.customer_ref in by_ref:
            new.contact, new.rule = by_ref[buyer.customer_ref], MatchRule.CUSTOMER_ID
            new.detail = buyer.customer_ref
        elif email and email in by_email:
            new.contact, new.rule, new.detail = (
                by_email[email],
                MatchRule.EMAIL,
                buyer.email,
            )
        elif name_key and len(by_name.get(name_key, ())) == 1:
            new.contact, new.rule = by_name[name_key][0], MatchRule.NAME_POSTCODE
            new.detail = f"{buyer.first_name} {buyer.last_name}, {buyer.postcode}"
        else:
            person = contact_services.NewPerson(**identity.person_from_buyer(
                buyer, new.clean.get("channel", SalesChannel.WEB_SHOP)
            ))  # fmt: skip
            errors = contact_services.person_errors(person)
            if errors:
                outcomes[new.index].errors = errors
                continue
            made = _Person(person)
            people.append(made)
            new.contact, new.rule, new.detail = made, MatchRule.CREATED, ""
            if email:
                by_email[email] = made
            if name_key and person.addresses:
                by_name.setdefault(name_key, []).append(made)
        if ref and ref not in by_ref:  # remember_customer_ref: the first one stays
            by_ref[ref] = new.contact
    return people


def _name_key(buyer) -> tuple | None:
    if not (buyer.first_name and buyer.last_name and buyer.postcode):
        return None
    return (
        buyer.first_name.strip().lower(),
        buyer.last_name.strip().lower(),
        buyer.postcode.strip(),
    )


def _contact_id(contact) -> int:
    return contact.pk if isinstance(contact, _Person) else contact


# --- Writing ------------------------------------------------------------------------


class _Rows:
    def __init__(self) -> None:
        self.orders, self.lines, self.changes, self.matches = [], [], [], []
        self.identities, self.timeline, self.events = [], [], []


def _write(fresh: list[_New], *, source: str, actor) -> None:
    if not fresh:
        return
    now = timezone.now()
    for new, pk in zip(fresh, bulk.reserve_ids(Order, len(fresh)), strict=True):
        new.pk = pk
    line_ids = iter(bulk.reserve_ids(OrderLine, sum(len(n.lines) for n in fresh)))
    products = dict(
        Product.objects.filter(
            sku__in={line["sku"] for n in fresh for line in n.lines if line["sku"]}
        ).values_list("sku", "pk")
    )
    contact_ids = {_contact_id(n.contact) for n in fresh}
    stages = _lock_buyers(contact_ids)
    before = common.purchase_counts(contact_ids)
    rows = _Rows()
    url = Order(pk=2**62).get_absolute_url().replace(str(2**62), "{}")
    refs_known = set(
        ShopIdentity.objects.filter(
            source=source,
            customer_ref__in={
                n.clean["customer_ref"] for n in fresh if n.clean.get("customer_ref")
            },
        ).values_list("customer_ref", flat=True)
    )
    bought: dict[int, int] = defaultdict(int)
    for new in fresh:
        contact_id = _contact_id(new.contact)
        new.status = _order_rows(
            new, contact_id, source, now, url, products, line_ids, rows
        )
        ref = new.clean.get("customer_ref", "")
        if ref and ref not in refs_known:
            refs_known.add(ref)
            rows.identities.append((source, ref, contact_id, now))
        if new.status != OrderStatus.CANCELLED:
            if before.get(contact_id, 0) + bought[contact_id] == 0:
                rows.events.append(
                    ("customer.first_order", CONTACT, contact_id, {"order_id": new.pk})
                )
            bought[contact_id] += 1
    bulk.insert(Order, ORDER_COLUMNS, rows.orders)
    bulk.insert(OrderLine, LINE_COLUMNS, rows.lines)
    bulk.insert(
        OrderStatusChange,
        ("order_id", "from_status", "to_status", "changed_at", "source"),
        rows.changes,
    )
    bulk.insert(
        IdentityMatch, ("order_id", "contact_id", "rule", "detail", "matched_at"),
        rows.matches,
    )  # fmt: skip
    bulk.insert(
        ShopIdentity, ("source", "customer_ref", "contact_id", "created_at"),
        rows.identities,
    )  # fmt: skip
    activity_services.timeline_add_many(rows.timeline)
    emit_many(rows.events, actor=actor)
    common.figures_refresh_many(contact_ids)
    _lifecycle(fresh, before, stages)


ORDER_COLUMNS = (
    "id", "contact_id", "source", "external_id", "number", "channel", "status",
    "currency", "subtotal", "discount_total", "shipping_total", "tax_total", "total",
    "refunded_total", "coupon_codes", "email", "customer_ref", "placed_at", "paid_at",
    "cancelled_at", "source_updated_at", "created_at", "updated_at",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "order_id", "product_id", "position", "sku", "name", "quantity",
    "unit_price", "discount", "tax_rate", "tax", "total", "unavailable",
)  # fmt: skip


class _Line(NamedTuple):
    pk: int
    sku: str
    name: str
    quantity: Decimal
    total: Decimal
    unavailable: bool


ZERO = Order._meta.get_field("total").get_default()
QTY = Decimal(1).scaleb(-OrderLine._meta.get_field("quantity").decimal_places)


def _order_rows(new: _New, contact_id, source, now, url, products, line_ids, rows):
    """Add the rows of one new order; return its status. As orders._create does."""
    clean, pk = new.clean, new.pk
    channel = clean.get("channel", SalesChannel.WEB_SHOP)
    wanted = clean["status"]
    placed_at = clean["placed_at"]
    paid_at, cancelled_at = clean.get("paid_at"), clean.get("cancelled_at")
    status = OrderStatus.PLACED
    rows.changes.append((pk, "", OrderStatus.PLACED, placed_at, source))

    def move(to: str, at) -> None:
        nonlocal status
        if to != status and STATUS_RANK[to] >= STATUS_RANK[status]:
            rows.changes.append((pk, status, to, at, source))
            status = to

    if wanted != OrderStatus.PLACED:  # _apply_status
        if wanted == OrderStatus.PAID and paid_at is None:
            paid_at = now
        if wanted == OrderStatus.CANCELLED and cancelled_at is None:
            cancelled_at = now
        move(wanted, now)
    if paid_at:
        move(OrderStatus.PAID, paid_at)
    if cancelled_at:
        move(OrderStatus.CANCELLED, cancelled_at)
    currency = clean["currency"]
    rows.orders.append(
        (
            pk, contact_id, source, clean.get("external_id", ""),
            clean.get("number", ""),
            channel, status, currency, clean.get("subtotal", ZERO),
            clean.get("discount_total", ZERO), clean.get("shipping_total", ZERO),
            clean.get("tax_total", ZERO), clean.get("total", ZERO), ZERO,
            clean.get("coupon_codes", []), clean.get("email", ""),
            clean.get("customer_ref", ""), placed_at, paid_at, cancelled_at,
            clean.get("source_updated_at"), now, now,
        )
    )  # fmt: skip
    number = clean.get("number", "")
    label = number or clean.get("external_id", "") or str(pk)
    written = []
    for line in new.lines:
        line_pk = next(line_ids)
        rows.lines.append(
            (line_pk, pk, products.get(line["sku"]), line["position"], line["sku"],
             line["name"], line["quantity"], line["unit_price"], line["discount"],
             line["tax_rate"], line["tax"], line["total"], line["unavailable"])
        )  # fmt: skip
        # As the one-by-one path reads it back: with the column's places.
        written.append(
            OrderLine(
                pk=line_pk, **{**line, "quantity": line["quantity"].quantize(QTY)}
            )
        )
    rows.matches.append((pk, contact_id, new.rule, new.detail[:255], now))
    link = url.format(pk)
    kind = Kind.ORDER
    entry_channel = common.CHANNEL_OF.get(channel, Channel.SHOP)

    def timeline(fact: str, summary: str, at, body: str = "") -> None:
        rows.timeline.append(
            activity_services.SourceEntry(
                contact_id=contact_id, kind=kind, channel=entry_channel,
                direction=Direction.INBOUND, occurred_at=at, summary=summary[:300],
                body=body, source_type=ORDER, source_id=f"{pk}:{fact}"[:100],
                source_url=link,
            )
        )  # fmt: skip

    total = clean.get("total", ZERO)
    timeline(
        "placed",
        _("Order %(number)s placed: %(total)s %(currency)s")
        % {"number": label, "total": total, "currency": currency},
        placed_at,
        body=lines_html(written, currency),
    )
    rows.events.append(
        ("order.placed", ORDER, pk,
         {"contact_id": contact_id, "number": number, "total": str(total),
          "currency": currency, "channel": channel})
    )  # fmt: skip
    for line in written:
        if not line.unavailable:
            continue
        rows.events.append(
            ("product.unavailable", ORDER, pk,
             {"contact_id": contact_id, "line_id": line.pk, "sku": line.sku,
              "name": line.name, "quantity": str(line.quantity)})
        )  # fmt: skip
        timeline(
            f"unavailable:{line.sku or line.name}",
            _("Cannot ship %(item)s of order %(number)s")
            % {"item": line.name, "number": label},
            now,
        )
    if paid_at:
        timeline("paid", _("Order %(number)s paid") % {"number": label}, paid_at)
        rows.events.append(
            ("order.paid", ORDER, pk,
             {"contact_id": contact_id, "total": str(total), "currency": currency})
        )  # fmt: skip
    if cancelled_at:
        timeline(
            "cancelled",
            _("Order %(number)s cancelled") % {"number": label},
            cancelled_at,
        )
        rows.events.append(("order.cancelled", ORDER, pk, {"contact_id": contact_id}))
    return status


def _lock_buyers(contact_ids: set[int]) -> dict[int, str]:
    """Lock the buyers' rows (as order_record does); return their stages."""
    return dict(
        apps.get_model("contacts", "Contact")
        .objects.select_for_update()
        .filter(pk__in=contact_ids)
        .order_by("pk")
        .values_list("pk", "lifecycle_stage")
    )


def _lifecycle(fresh: list[_New], before: dict[int, int], stages: dict) -> None:
    """Move each buyer along the lifecycle, one order after the other."""
    counts = dict(before)
    moves = []
    for new in fresh:
        contact_id = _contact_id(new.contact)
        if new.status == OrderStatus.CANCELLED:
            continue
        counts[contact_id] = counts.get(contact_id, 0) + 1
        stage = stages[contact_id]
        target = common.lifecycle_target(stage, counts[contact_id])
        if target and target != stage:
            moves.append((contact_id, stage, target))
            stages[contact_id] = target
    contact_services.contacts_set_stage_many(
        actor=None, moves=moves, source=ChangeSource.SYSTEM
    )


__all__ = ["Outcome", "orders_record_many"]
