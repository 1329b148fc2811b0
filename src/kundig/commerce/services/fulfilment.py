"""Shipments, returns, revocations and refunds of an order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity.choices import Kind
from kundig.core.choices import Permission
from kundig.core.events import emit
from kundig.core.permissions import require

from ..choices import (
    RETURN_DECIDED,
    RETURN_RANK,
    OrderStatus,
    ReturnReason,
    ReturnStatus,
    RevocationStatus,
)
from ..models import Order, Refund, Return, ReturnLine, Revocation, Shipment
from . import common
from .inputs import (
    Errors,
    RefundData,
    ReturnData,
    ReturnLineData,
    RevocationData,
    ShipmentData,
    clean_condition,
)
from .orders import _label, _move_status

# § 357 (1) BGB: a revoked contract's payments are due back within 14 days.
REVOCATION_REFUND_DAYS = 14


def _locked(model, *, source: str, external_id: str, **extra):
    if not external_id:
        return None
    return (
        model.objects.select_for_update()
        .filter(source=source, external_id=external_id, **extra)
        .first()
    )


def _create_once(model, lookup: dict, make):
    """Create with ``make()``; a concurrent twin (same external ID) wins instead."""
    try:
        with transaction.atomic():
            return make(), True
    except IntegrityError:
        if not lookup.get("external_id"):
            raise
        return model.objects.select_for_update().get(**lookup), False


# --- Shipments --------------------------------------------------------------------


@transaction.atomic
def shipment_record(*, actor, source: str, order: Order, data: ShipmentData):
    """Create or update a shipment; "sent" and "delivered" each happen once."""
    require(actor, Permission.WRITE)
    errors = Errors()
    clean = {
        "carrier": errors.text(data.carrier, "carrier", max_length=60),
        "tracking_number": errors.text(
            data.tracking_number, "tracking_number", max_length=100
        ),
        "tracking_url": errors.text(data.tracking_url, "tracking_url", max_length=500),
        "sent_at": errors.moment(data.sent_at, "sent_at"),
        "delivered_at": errors.moment(data.delivered_at, "delivered_at"),
    }
    if clean["tracking_url"] and not clean["tracking_url"].startswith(
        ("https://", "http://")
    ):
        errors.add("tracking_url", _("Enter a web address starting with https://."))
    if data.promised_for is not None and not isinstance(data.promised_for, dt.date):
        errors.add("promised_for", _("Enter a date."))
    errors.raise_if_any()
    order = Order.objects.select_for_update().get(pk=order.pk)
    external_id = (data.external_id or "")[:100]
    shipment = _locked(Shipment, source=source, external_id=external_id)
    if shipment is not None and shipment.order_id != order.pk:
        raise_field("order", _("This shipment belongs to another order."))
    created = False
    if shipment is None:
        shipment, created = _create_once(
            Shipment,
            {"source": source, "external_id": external_id},
            lambda: Shipment.objects.create(
                order=order, source=source, external_id=external_id
            ),
        )
    was_sent, was_delivered = shipment.sent_at, shipment.delivered_at
    for name, value in clean.items():
        if value not in (None, ""):
            if name in ("sent_at", "delivered_at") and getattr(shipment, name):
                continue
            setattr(shipment, name, value)
    if data.promised_for is not None:
        shipment.promised_for = data.promised_for
    if shipment.sent_at is None and (created or clean["tracking_number"]):
        shipment.sent_at = timezone.now()
    shipment.save()
    label = _label(order)
    if shipment.sent_at and not was_sent:
        _move_status(order, OrderStatus.SHIPPED, source=source, at=shipment.sent_at)
        common.timeline(
            order,
            kind=Kind.SHIPMENT,
            fact=f"shipment:{shipment.pk}:sent",
            summary=_("Order %(number)s shipped with %(carrier)s %(tracking)s")
            % {
                "number": label,
                "carrier": shipment.carrier or _("a carrier"),
                "tracking": shipment.tracking_number,
            },
            at=shipment.sent_at,
        )
        emit(
            "shipment.sent",
            shipment,
            actor=actor,
            order_id=order.pk,
            contact_id=order.contact_id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            tracking_url=shipment.tracking_url,
            promised_for=shipment.promised_for.isoformat()
            if shipment.promised_for
            else None,
        )
    if shipment.delivered_at and not was_delivered:
        _move_status(
            order, OrderStatus.DELIVERED, source=source, at=shipment.delivered_at
        )
        common.timeline(
            order,
            kind=Kind.SHIPMENT,
            fact=f"shipment:{shipment.pk}:delivered",
            summary=_("Order %(number)s delivered") % {"number": label},
            at=shipment.delivered_at,
        )
        emit(
            "shipment.delivered",
            shipment,
            actor=actor,
            order_id=order.pk,
            contact_id=order.contact_id,
            late=shipment.is_late,
        )
    order.save()
    return shipment


def shipments_flag_late(*, today: dt.date | None = None, limit: int = 1000) -> int:
    """Mark shipments whose promised day passed undelivered; emit ``shipment.late``."""
    today = today or timezone.localdate()
    flagged = 0
    while flagged < limit:
        with transaction.atomic():
            batch = list(
                Shipment.objects.select_for_update(skip_locked=True)
                .filter(
                    promised_for__lt=today,
                    delivered_at__isnull=True,
                    late_since__isnull=True,
                )
                .select_related("order")
                .order_by("promised_for", "id")[: min(200, limit - flagged)]
            )
            if not batch:
                break
            for shipment in batch:
                shipment.late_since = shipment.promised_for + dt.timedelta(days=1)
                shipment.save(update_fields=["late_since", "updated_at"])
                order = shipment.order
                common.timeline(
                    order,
                    kind=Kind.SHIPMENT,
                    fact=f"shipment:{shipment.pk}:late",
                    summary=_(
                        "Order %(number)s is late: delivery was promised for %(day)s"
                    )
                    % {
                        "number": _label(order),
                        "day": shipment.promised_for.strftime("%d.%m.%Y"),
                    },
                    at=timezone.now(),
                )
                emit(
                    "shipment.late",
                    shipment,
                    order_id=order.pk,
                    contact_id=order.contact_id,
                    promised_for=shipment.promised_for.isoformat(),
                    carrier=shipment.carrier,
                    tracking_number=shipment.tracking_number,
                )
            flagged += len(batch)
    return flagged


# --- Returns ----------------------------------------------------------------------


@transaction.atomic
def return_record(*, actor, source: str, order: Order, data: ReturnData):
    """Create or update a return; each new status is an event and an entry."""
    require(actor, Permission.WRITE)
    errors = Errors()
    reason = errors.choice(data.reason or ReturnReason.OTHER, ReturnReason, "reason")
    status = errors.choice(
        data.status or ReturnStatus.ANNOUNCED, ReturnStatus, "status"
    )
    condition = clean_condition(data.condition, errors, "condition")
    comment = (data.comment or "").strip()[:5000]
    rma = errors.text(data.rma_number, "rma_number", max_length=64)
    announced_at = errors.moment(data.announced_at, "announced_at")
    lines = []
    for i, line in enumerate(data.lines or []):
        quantity = errors.quantity(line.quantity, f"lines.{i}.quantity")
        lines.append(
            ReturnLine(
                sku=errors.text(line.sku, f"lines.{i}.sku", max_length=64),
                name=errors.text(line.name, f"lines.{i}.name", max_length=255),
                quantity=quantity or 1,
            )
        )
    errors.raise_if_any()
    order = Order.objects.select_for_update().get(pk=order.pk)
    external_id = (data.external_id or "")[:100]
    ret = _locked(Return, source=source, external_id=external_id)
    if ret is not None and ret.order_id != order.pk:
        raise_field("order", _("This return belongs to another order."))
    created = False
    if ret is None:
        ret, created = _create_once(
            Return,
            {"source": source, "external_id": external_id},
            lambda: Return.objects.create(
                order=order,
                source=source,
                external_id=external_id,
                reason=reason,
                rma_number=rma,
                comment=comment,
                announced_at=announced_at or timezone.now(),
            ),
        )
    if not created:
        ret.reason = reason if data.reason else ret.reason
        ret.rma_number = rma or ret.rma_number
        ret.comment = comment or ret.comment
    if condition:
        ret.condition = condition
    if data.lines is not None:
        ret.lines.all().delete()
        for line in lines:
            line.ret = ret
        ReturnLine.objects.bulk_create(lines)
    label = _label(order)
    if created:
        common.timeline(
            order,
            kind=Kind.RETURN,
            fact=f"return:{ret.pk}:announced",
            summary=_("Return %(rma)s announced for order %(number)s: %(reason)s")
            % {
                "rma": ret.rma_number,
                "number": label,
                "reason": ret.get_reason_display(),
            },
            body=ret.comment,
            at=ret.announced_at,
        )
        emit(
            "return.announced",
            ret,
            actor=actor,
            order_id=order.pk,
            contact_id=order.contact_id,
            reason=ret.reason,
        )
    _return_advance(ret, status, actor=actor, label=label)
    ret.save()
    common.figures_refresh(order.contact_id)
    return ret


def _return_advance(ret: Return, status: str, *, actor, label: str) -> None:
    """Walk the return forward to ``status``, passing "received" on the way.

    Each step reached is a timeline entry and an event: ``return.label_sent``,
    ``return.shipped_back``, ``return.received``, ``return.inspected``,
    ``return.decided``.
    """
    rank = RETURN_RANK[status]
    if rank <= RETURN_RANK[ret.status]:
        return
    now = timezone.now()
    order = ret.order
    payload = {"order_id": ret.order_id, "contact_id": order.contact_id}

    def step(fact: str, summary: str, event: str, **extra) -> None:
        common.timeline(
            order, kind=Kind.RETURN, fact=f"return:{ret.pk}:{fact}",
            summary=summary, at=now,
        )  # fmt: skip
        emit(event, ret, actor=actor, **payload, **extra)

    names = {"rma": ret.rma_number, "number": label}
    if status == ReturnStatus.LABEL_SENT and ret.label_sent_at is None:
        ret.label_sent_at = now
        step(
            "label_sent",
            _("Return %(rma)s of order %(number)s: return label sent") % names,
            "return.label_sent",
            label_reference=ret.label_reference,
        )
    if status == ReturnStatus.IN_TRANSIT and ret.shipped_back_at is None:
        ret.shipped_back_at = now
        step(
            "in_transit",
            _("Return %(rma)s of order %(number)s is on its way back") % names,
            "return.shipped_back",
            carrier=ret.return_carrier,
            tracking_number=ret.return_tracking,
        )
    if ret.received_at is None and rank >= RETURN_RANK[ReturnStatus.RECEIVED]:
        ret.received_at = now
        step(
            "received",
            _("Return %(rma)s of order %(number)s received") % names,
            "return.received",
        )
    if ret.inspected_at is None and rank >= RETURN_RANK[ReturnStatus.INSPECTED]:
        ret.inspected_at = now
        if status == ReturnStatus.INSPECTED:
            step(
                "inspected",
                _("Return %(rma)s of order %(number)s inspected: %(condition)s")
                % {**names, "condition": ret.get_condition_display()},
                "return.inspected",
                condition=ret.condition,
            )
    if rank == RETURN_DECIDED:
        ret.decided_at = now
        step(
            status,
            _("Return %(rma)s of order %(number)s: %(status)s")
            % {**names, "status": ReturnStatus(status).label},
            "return.decided",
            decision=status,
        )
    ret.status = status


# Where Kundig's own returns (the portal, the service desk) come from.
OWN_SOURCE = "kundig"


@transaction.atomic
def return_announce(
    *, actor, order: Order, lines: dict, reason: str, comment: str = "", key: str
) -> Return:
    """Announce a return of some of ``order``'s lines: ``lines`` maps an order
    line's id to how many come back. Once per ``key`` (the form's).

    ``actor`` None is the customer, through the portal. The return gets an
    RMA number (``R-<order>-<n>``) and the status *announced*.
    """
    if actor is not None:
        require(actor, Permission.WRITE)
    order = Order.objects.select_for_update().get(pk=order.pk)  # numbers, counts
    existing = Return.objects.filter(
        order=order, source=OWN_SOURCE, external_id=key
    ).first()
    if key and existing is not None:
        return existing
    errors = Errors()
    if reason not in ReturnReason.values:
        errors.add("reason", _("Choose a reason."))
    by_id = {line.pk: line for line in order.lines.all()}
    # What earlier returns (not rejected) took back already, per item.
    returned: dict[tuple[str, str], Decimal] = {}
    for row in (
        ReturnLine.objects.filter(ret__order=order)
        .exclude(ret__status=ReturnStatus.REJECTED)
        .values("sku", "name")
        .annotate(quantity=Sum("quantity"))
    ):
        returned[(row["sku"], row["name"])] = row["quantity"]
    picked = []
    for line_id, quantity in (lines or {}).items():
        line = (
            by_id.get(int(line_id))
            if str(line_id).isascii() and str(line_id).isdigit()
            else None
        )
        try:
            quantity = Decimal(str(quantity or 0))
        except ArithmeticError:
            quantity = None
        left = None
        if line is not None:
            left = line.quantity - returned.get((line.sku, line.name), Decimal(0))
        if line is None:
            errors.add("lines", _("That item is not on this order."))
        elif quantity is None or quantity < 0 or quantity > left:
            errors.add(
                "lines",
                _("%(item)s: choose between 0 and %(n)s.")
                % {"n": f"{max(left, 0):g}", "item": line.name},
            )
        elif quantity:
            picked.append(
                ReturnLineData(sku=line.sku, name=line.name, quantity=quantity)
            )
    if not picked and "lines" not in errors.by_field:
        errors.add("lines", _("Choose at least one item to return."))
    if not key or len(key) > 100:
        errors.add("key", _("The form is out of date; load the page again."))
    errors.raise_if_any()
    number = order.returns.count() + 1
    return return_record(
        actor=actor,
        source=OWN_SOURCE,
        order=order,
        data=ReturnData(
            external_id=key,
            rma_number=f"R-{_label(order)}-{number}"[:64],
            reason=reason,
            comment=comment,
            lines=picked,
        ),
    )


@transaction.atomic
def return_step(
    *,
    actor,
    ret: Return,
    status: str,
    label_reference: str = "",
    carrier: str = "",
    tracking_number: str = "",
    condition: str = "",
) -> Return:
    """Move a return one or more steps on: label sent (with its reference), on
    its way back (with tracking), received, inspected (with the condition),
    refunded, exchanged or rejected. Only forward; each step as
    :func:`return_record` records it.

    ``actor`` None is the customer, who may only say the parcel is on its way.
    """
    if actor is not None:
        require(actor, Permission.WRITE)
    elif status != ReturnStatus.IN_TRANSIT:
        raise PermissionDenied
    ret = Return.objects.select_for_update().select_related("order").get(pk=ret.pk)
    errors = Errors()
    status = errors.choice(status, ReturnStatus, "status")
    if status in RETURN_RANK and RETURN_RANK[status] <= RETURN_RANK[ret.status]:
        errors.add(
            "status",
            _("This return is already past that step: %(status)s.")
            % {"status": ret.get_status_display()},
        )
    if status == ReturnStatus.LABEL_SENT:
        ret.label_reference = errors.text(
            label_reference, "label_reference", max_length=100, required=True
        )
    if status == ReturnStatus.IN_TRANSIT:
        ret.return_carrier = errors.text(carrier, "carrier", max_length=50)
        ret.return_tracking = errors.text(
            tracking_number, "tracking_number", max_length=100, required=True
        )
    if status == ReturnStatus.INSPECTED:
        ret.condition = clean_condition(condition, errors, "condition") or ""
        if not ret.condition:
            errors.add("condition", _("Say what condition the items are in."))
    errors.raise_if_any()
    _return_advance(ret, status, actor=actor, label=_label(ret.order))
    ret.save()
    common.figures_refresh(ret.order.contact_id)
    return ret


# --- Revocations ------------------------------------------------------------------


@transaction.atomic
def revocation_record(*, actor, source: str, order: Order, data: RevocationData):
    """Record a Widerruf; the refund falls due 14 days after it was received."""
    require(actor, Permission.WRITE)
    errors = Errors()
    status = errors.choice(
        data.status or RevocationStatus.RECEIVED, RevocationStatus, "status"
    )
    received_on = data.received_on or timezone.localdate()
    if not isinstance(received_on, dt.date):
        errors.add("received_on", _("Enter a date."))
    elif received_on > timezone.localdate() + dt.timedelta(days=1):
        errors.add("received_on", _("This lies in the future."))
    errors.raise_if_any()
    if isinstance(received_on, dt.datetime):
        received_on = received_on.date()
    order = Order.objects.select_for_update().get(pk=order.pk)
    external_id = (data.external_id or "")[:100]
    revocation = _locked(Revocation, source=source, external_id=external_id)
    if revocation is not None and revocation.order_id != order.pk:
        raise_field("order", _("This revocation belongs to another order."))
    if revocation is None and not external_id:
        # Without an ID, one revocation per order: a second message updates it.
        revocation = (
            Revocation.objects.select_for_update()
            .filter(order=order, external_id="")
            .first()
        )
    if revocation is None:
        revocation, created = _create_once(
            Revocation,
            {"source": source, "external_id": external_id},
            lambda: Revocation.objects.create(
                order=order,
                source=source,
                external_id=external_id,
                received_on=received_on,
                refund_due_on=received_on + dt.timedelta(days=REVOCATION_REFUND_DAYS),
                status=status,
                comment=(data.comment or "").strip()[:5000],
            ),
        )
        if created:
            common.timeline(
                order,
                kind=Kind.REVOCATION,
                fact=f"revocation:{revocation.pk}",
                summary=_(
                    "Revocation of order %(number)s received; refund due by %(day)s"
                )
                % {
                    "number": _label(order),
                    "day": revocation.refund_due_on.strftime("%d.%m.%Y"),
                },
                body=revocation.comment,
                at=timezone.now(),
            )
            emit(
                "revocation.received",
                revocation,
                actor=actor,
                order_id=order.pk,
                contact_id=order.contact_id,
                refund_due_on=revocation.refund_due_on.isoformat(),
            )
            if status == RevocationStatus.REJECTED:
                _revocation_rejected(revocation, actor=actor)
            common.figures_refresh(order.contact_id)
            return revocation
    if status != revocation.status and status != RevocationStatus.RECEIVED:
        revocation.status = status
        revocation.save(update_fields=["status", "updated_at"])
        common.timeline(
            order,
            kind=Kind.REVOCATION,
            fact=f"revocation:{revocation.pk}:{status}",
            summary=_("Revocation of order %(number)s: %(status)s")
            % {"number": _label(order), "status": RevocationStatus(status).label},
            at=timezone.now(),
        )
        if status == RevocationStatus.REJECTED:
            _revocation_rejected(revocation, actor=actor)
    return revocation


def _revocation_rejected(revocation: Revocation, *, actor) -> None:
    """A rejected revocation is a dispute in the making: the desk may open a case."""
    emit(
        "revocation.rejected",
        revocation,
        actor=actor,
        order_id=revocation.order_id,
        contact_id=revocation.order.contact_id,
    )


# --- Refunds ----------------------------------------------------------------------


@transaction.atomic
def refund_record(*, actor, source: str, order: Order, data: RefundData):
    """Record a refund once (by its external ID) and keep the order's total right."""
    require(actor, Permission.WRITE)
    errors = Errors()
    amount = errors.money(data.amount, "amount", required=True)
    if amount is not None and amount <= 0:
        errors.add("amount", _("A refund is more than 0."))
    refunded_at = errors.moment(data.refunded_at, "refunded_at")
    reason = errors.text(data.reason, "reason", max_length=255)
    errors.raise_if_any()
    order = Order.objects.select_for_update().get(pk=order.pk)
    currency = errors.currency(data.currency, "currency", order.currency)
    if currency != order.currency:
        errors.add(
            "currency",
            _("Refund in the order's currency, %(c)s.") % {"c": order.currency},
        )
    errors.raise_if_any()
    external_id = (data.external_id or "")[:100]
    existing = _locked(Refund, source=source, external_id=external_id)
    if existing is not None:
        if existing.order_id != order.pk:
            raise_field("order", _("This refund belongs to another order."))
        return existing
    ret = None
    if data.return_external_id:
        ret = Return.objects.filter(
            order=order, source=source, external_id=data.return_external_id
        ).first()
    refund, created = _create_once(
        Refund,
        {"source": source, "external_id": external_id},
        lambda: Refund.objects.create(
            order=order,
            ret=ret,
            source=source,
            external_id=external_id,
            amount=amount,
            currency=currency,
            refunded_at=refunded_at or timezone.now(),
            reason=reason,
        ),
    )
    if not created:
        return refund
    order.refunded_total = order.refunds.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    if order.refunded_total >= order.total > 0:
        _move_status(order, OrderStatus.REFUNDED, source=source, at=refund.refunded_at)
    order.save()
    common.timeline(
        order,
        kind=Kind.REFUND,
        fact=f"refund:{refund.pk}",
        summary=_("Refund of %(amount)s %(currency)s for order %(number)s")
        % {
            "amount": refund.amount,
            "currency": refund.currency,
            "number": _label(order),
        },
        body=reason,
        at=refund.refunded_at,
    )
    emit(
        "refund.issued",
        refund,
        actor=actor,
        order_id=order.pk,
        contact_id=order.contact_id,
        amount=str(refund.amount),
        currency=refund.currency,
    )
    common.figures_refresh(order.contact_id)
    return refund


def raise_field(name: str, message: str):
    raise ValidationError({name: [message]})
