"""Record orders: create or update by the shop's ID, with events and timeline."""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity.choices import Kind
from kundig.core.choices import Permission
from kundig.core.events import emit
from kundig.core.permissions import require
from kundig.core.visibility import can_see

from ..choices import STATUS_RANK, MatchRule, OrderStatus, SalesChannel
from ..models import IdentityMatch, Order, OrderLine, OrderStatusChange, Product
from . import common
from .identity import buyer_match, remember_customer_ref
from .inputs import Errors, OrderData


@dataclass
class OrderResult:
    order: Order
    created: bool
    changed: bool


def _clean_lines(data: OrderData, errors: Errors) -> list[dict] | None:
    if data.lines is None:
        return None
    lines = []
    for i, line in enumerate(data.lines):
        name = f"lines.{i}"
        quantity = errors.quantity(line.quantity, f"{name}.quantity")
        unit_price = errors.money(line.unit_price, f"{name}.unit_price")
        discount = errors.money(line.discount, f"{name}.discount") or Decimal("0.00")
        tax = errors.money(line.tax, f"{name}.tax") or Decimal("0.00")
        total = errors.money(line.total, f"{name}.total")
        tax_rate = Decimal("19.00")
        if line.tax_rate not in (None, ""):
            try:
                tax_rate = Decimal(str(line.tax_rate)).quantize(Decimal("0.01"))
                if not (0 <= tax_rate <= 100):
                    raise ValueError
            except (ArithmeticError, ValueError):
                errors.add(f"{name}.tax_rate", _("Enter a rate between 0 and 100."))
        if quantity is None or unit_price is None:
            continue
        if total is None:
            total = (quantity * unit_price - discount).quantize(Decimal("0.01"))
        lines.append(
            {
                "position": i,
                "sku": errors.text(line.sku, f"{name}.sku", max_length=64),
                "name": errors.text(line.name, f"{name}.name", max_length=255)
                or errors.text(line.sku, f"{name}.sku", max_length=64)
                or "?",
                "quantity": quantity,
                "unit_price": unit_price,
                "discount": discount,
                "tax_rate": tax_rate,
                "tax": tax,
                "total": total,
                "unavailable": bool(line.unavailable),
            }
        )
    return lines


def _clean_order(
    data: OrderData, *, existing: Order | None, contact_given: bool = False
) -> tuple[dict, list | None]:
    errors = Errors()
    clean = {
        "external_id": errors.text(data.external_id, "external_id", max_length=100),
        "number": errors.text(data.number, "number", max_length=64),
        "channel": errors.choice(data.channel, SalesChannel, "channel")
        if data.channel is not None
        else None,
        "status": errors.choice(data.status, OrderStatus, "status"),
        "currency": errors.currency(
            data.currency,
            "currency",
            existing.currency if existing else settings.KUNDIG_CURRENCY,
        ),
        "discount_total": errors.money(data.discount_total, "discount_total"),
        "shipping_total": errors.money(data.shipping_total, "shipping_total"),
        "tax_total": errors.money(data.tax_total, "tax_total"),
        "placed_at": errors.moment(data.placed_at, "placed_at"),
        "paid_at": errors.moment(data.paid_at, "paid_at"),
        "cancelled_at": errors.moment(data.cancelled_at, "cancelled_at"),
        "source_updated_at": errors.moment(data.updated_at, "updated_at"),
        "email": errors.email(data.buyer.email, "buyer.email"),
        "customer_ref": errors.text(
            data.buyer.customer_ref, "buyer.customer_ref", max_length=100
        ),
    }
    codes = data.coupon_codes or []
    if not isinstance(codes, list) or len(codes) > 20:
        errors.add("coupon_codes", _("Give at most 20 coupon codes."))
        codes = []
    clean["coupon_codes"] = [
        errors.text(code, f"coupon_codes.{i}", max_length=64)
        for i, code in enumerate(codes)
    ]
    lines = _clean_lines(data, errors)
    if data.lines is not None and len(data.lines) > 1000:
        errors.add("lines", _("An order has at most 1,000 lines."))
    subtotal = errors.money(data.subtotal, "subtotal")
    total = errors.money(data.total, "total", required=existing is None and not lines)
    if lines is not None:
        if subtotal is None:
            subtotal = sum((line["total"] for line in lines), Decimal("0.00"))
        if total is None:
            total = (
                subtotal
                - (clean["discount_total"] or 0)
                + (clean["shipping_total"] or 0)
            )
    clean["subtotal"] = subtotal
    clean["total"] = total
    if existing is None and clean["placed_at"] is None:
        clean["placed_at"] = timezone.now()
    if (
        existing is None
        and not contact_given
        and not (
            data.buyer.customer_ref
            or data.buyer.email
            or data.buyer.last_name
            or data.buyer.company
        )
    ):
        errors.add(
            "buyer",
            _("Name the buyer: a customer ID, an email address or a name."),
        )
    if total is not None and total < 0:
        errors.add("total", _("The total cannot be negative."))
    errors.raise_if_any()
    return {k: v for k, v in clean.items() if v is not None}, lines


def _move_status(order: Order, new: str, *, source: str, at) -> str | None:
    """Move ``order`` to ``new`` if that is forward; return the old status."""
    old = order.status
    if new == old or STATUS_RANK[new] < STATUS_RANK[old]:
        return None
    order.status = new
    OrderStatusChange.objects.create(
        order=order, from_status=old, to_status=new, changed_at=at, source=source
    )
    return old


@transaction.atomic
def order_record(*, actor, source: str, data: OrderData, contact=None) -> OrderResult:
    """Create or update the order ``data.external_id`` of ``source``.

    A message older than the stored one (``data.updated_at``) changes
    nothing; the status only moves forward, so "paid" after "shipped" still
    records the payment but leaves the order shipped.
    """
    require(actor, Permission.WRITE)
    existing = _existing(source, data.external_id) if data.external_id else None
    _check_visible(actor, existing)
    clean, lines = _clean_order(
        data, existing=existing, contact_given=contact is not None
    )
    if existing is None:
        try:
            with transaction.atomic():
                return _create(actor, source, data, clean, lines, contact)
        except IntegrityError:
            # The same order, created by a concurrent delivery: update it.
            existing = Order.objects.select_for_update().get(
                source=source, external_id=data.external_id
            )
            _check_visible(actor, existing)
    return _update(actor, source, existing, clean, lines)


def _check_visible(actor, existing: Order | None) -> None:
    # An import or API call may not change another team's customer's order.
    if (
        existing is not None
        and actor is not None
        and not can_see(actor, existing.contact)
    ):
        raise ValidationError(
            {"external_id": [_("This order belongs to a customer you may not see.")]}
        )


def _existing(source: str, external_id: str) -> Order | None:
    return (
        Order.objects.select_for_update()
        .filter(source=source, external_id=external_id)
        .first()
    )


def _create(actor, source, data, clean, lines, contact) -> OrderResult:
    clean = dict(clean)  # a concurrent twin falls back to _update with the original
    clean.setdefault("channel", SalesChannel.WEB_SHOP)
    if contact is not None:
        rule, detail = MatchRule.GIVEN, ""
    else:
        contact, rule, detail = buyer_match(
            source=source, buyer=data.buyer, channel=clean["channel"]
        )
    # Concurrent orders of one customer take turns from here, so each one's
    # figures count the other (read committed sees the first once it is in).
    contact = type(contact).objects.select_for_update().get(pk=contact.pk)
    first_order = not (
        Order.objects.filter(contact=contact)
        .exclude(status=OrderStatus.CANCELLED)
        .exists()
    )
    status = clean.pop("status")
    order = Order.objects.create(contact=contact, source=source, **clean)
    OrderStatusChange.objects.create(
        order=order,
        to_status=OrderStatus.PLACED,
        changed_at=order.placed_at,
        source=source,
    )
    _write_lines(order, lines or [])
    IdentityMatch.objects.create(order=order, contact=contact, rule=rule, detail=detail)
    remember_customer_ref(
        source=source, customer_ref=order.customer_ref, contact=contact
    )
    common.timeline(
        order,
        kind=Kind.ORDER,
        fact="placed",
        summary=_("Order %(number)s placed: %(total)s %(currency)s")
        % {
            "number": order.number or order.external_id or order.pk,
            "total": order.total,
            "currency": order.currency,
        },
        body=lines_html(order.lines.all(), order.currency),
        at=order.placed_at,
    )
    emit(
        "order.placed",
        order,
        actor=actor,
        contact_id=contact.pk,
        number=order.number,
        total=str(order.total),
        currency=order.currency,
        channel=order.channel,
    )
    _unavailable_lines(order, actor)
    if status != OrderStatus.PLACED:
        _apply_status(order, status, actor=actor, source=source)
    _paid_or_cancelled(order, actor=actor, was_paid=False, was_cancelled=False)
    order.save()
    stats = common.figures_refresh(contact.pk)
    if order.counts_as_purchase:
        if first_order:
            emit("customer.first_order", contact, actor=actor, order_id=order.pk)
        common.lifecycle_follow(contact, orders_count=stats["count"])
    return OrderResult(order=order, created=True, changed=True)


def _update(actor, source, order: Order, clean, lines) -> OrderResult:
    incoming = clean.get("source_updated_at")
    if incoming and order.source_updated_at and incoming < order.source_updated_at:
        return OrderResult(order=order, created=False, changed=False)
    was_paid = order.paid_at is not None
    was_cancelled = order.cancelled_at is not None or order.status == "cancelled"
    status = clean.pop("status")
    clean.pop("placed_at", None)  # when it was placed never changes
    changed = False
    for name, value in clean.items():
        if value in ("", []):
            continue  # not sent: a partial update keeps what is stored
        if name in ("paid_at", "cancelled_at") and getattr(order, name):
            continue  # the first time it happened stays
        if getattr(order, name) != value:
            setattr(order, name, value)
            changed = True
    if lines is not None:
        known = {line.sku or line.name for line in order.lines.filter(unavailable=True)}
        order.lines.all().delete()
        _write_lines(order, lines)
        _unavailable_lines(order, actor, known=known)
        changed = True
    if _apply_status(order, status, actor=actor, source=source):
        changed = True
    if _paid_or_cancelled(
        order, actor=actor, was_paid=was_paid, was_cancelled=was_cancelled
    ):
        changed = True
    if changed:
        order.save()
        common.figures_refresh(order.contact_id)
    return OrderResult(order=order, created=False, changed=changed)


def _apply_status(order: Order, status: str, *, actor, source) -> bool:
    at = timezone.now()
    if status == OrderStatus.PAID and order.paid_at is None:
        order.paid_at = at
    if status == OrderStatus.CANCELLED and order.cancelled_at is None:
        order.cancelled_at = at
    return _move_status(order, status, source=source, at=at) is not None


def _paid_or_cancelled(order: Order, *, actor, was_paid: bool, was_cancelled: bool):
    changed = False
    if order.paid_at and not was_paid:
        _move_status(order, OrderStatus.PAID, source=order.source, at=order.paid_at)
        common.timeline(
            order,
            kind=Kind.ORDER,
            fact="paid",
            summary=_("Order %(number)s paid") % {"number": _label(order)},
            at=order.paid_at,
        )
        emit(
            "order.paid",
            order,
            actor=actor,
            contact_id=order.contact_id,
            total=str(order.total),
            currency=order.currency,
        )
        changed = True
    if order.cancelled_at and not was_cancelled:
        _move_status(
            order, OrderStatus.CANCELLED, source=order.source, at=order.cancelled_at
        )
        common.timeline(
            order,
            kind=Kind.ORDER,
            fact="cancelled",
            summary=_("Order %(number)s cancelled") % {"number": _label(order)},
            at=order.cancelled_at,
        )
        emit("order.cancelled", order, actor=actor, contact_id=order.contact_id)
        changed = True
    return changed


def _label(order: Order) -> str:
    return order.number or order.external_id or str(order.pk)


def _write_lines(order: Order, lines: list[dict]) -> None:
    products = {
        p.sku: p
        for p in Product.objects.filter(
            sku__in={line["sku"] for line in lines if line["sku"]}
        )
    }
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=products.get(line["sku"]), **line)
        for line in lines
    )


def _unavailable_lines(order: Order, actor, *, known=frozenset()) -> None:
    """Emit ``product.unavailable`` for each line newly marked unavailable."""
    for line in order.lines.filter(unavailable=True):
        if (line.sku or line.name) in known:
            continue
        emit(
            "product.unavailable",
            order,
            actor=actor,
            contact_id=order.contact_id,
            line_id=line.pk,
            sku=line.sku,
            name=line.name,
            quantity=str(line.quantity),
        )
        common.timeline(
            order,
            kind=Kind.ORDER,
            fact=f"unavailable:{line.sku or line.name}",
            summary=_("Cannot ship %(item)s of order %(number)s")
            % {"item": line.name, "number": _label(order)},
            at=timezone.now(),
        )


def lines_html(lines, currency: str) -> str:
    """An order's lines as an HTML list for its timeline entry."""
    # html.escape, not format_html: this runs for every imported order.
    currency = html.escape(currency)
    rows = "".join(
        f"<li>{line.quantity.normalize():f} × {html.escape(line.name)} "
        f"({html.escape(str(line.total))} {currency})</li>"
        for line in lines
    )
    return f"<ul>{rows}</ul>" if rows else ""
