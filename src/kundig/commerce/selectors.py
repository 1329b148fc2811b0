"""Reads of shop data, always through the viewer's visibility of the customer."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.shortcuts import get_object_or_404

from kundig.contacts import selectors as contact_selectors

from .choices import RETURN_RANK, ReturnReason, ReturnStatus, RevocationStatus
from .models import (
    Order,
    OrderLine,
    Product,
    Refund,
    Return,
    ReturnLine,
    Revocation,
    Shipment,
)


def orders_visible_to(user) -> QuerySet[Order]:
    return Order.objects.filter(contact__in=contact_selectors.contacts_visible_to(user))


def order_get(*, user, pk: int) -> Order:
    """The order ``pk`` with all it has, if ``user`` may see its customer; else 404."""
    return get_object_or_404(
        orders_visible_to(user)
        .select_related("contact", "identity_match")
        .prefetch_related(
            "lines",
            "status_changes",
            "shipments",
            Prefetch("returns", queryset=Return.objects.prefetch_related("lines")),
            "revocations",
            "refunds",
        ),
        pk=pk,
    )


def return_get(*, user, pk: int) -> Return:
    """A return of an order ``user`` may see, with its order; 404 otherwise."""
    return get_object_or_404(
        Return.objects.select_related("order").filter(
            order__in=orders_visible_to(user)
        ),
        pk=pk,
    )


def return_next_steps(ret: Return) -> list[tuple[str, str]]:
    """The statuses a return can move on to (forward only), as choices."""
    rank = RETURN_RANK[ret.status]
    return [(value, label) for value, label in ReturnStatus.choices
            if RETURN_RANK[value] > rank]  # fmt: skip


def orders_of_customer(contact_id: int) -> QuerySet[Order]:
    """A customer's own orders, newest first (for the customer's portal)."""
    return Order.objects.filter(contact_id=contact_id).order_by("-placed_at", "-id")


def order_of_customer(*, contact_id: int, pk: int) -> Order | None:
    """One of the customer's own orders with what the portal shows; else None."""
    return (
        orders_of_customer(contact_id)
        .prefetch_related(
            "lines",
            "shipments",
            Prefetch("returns", queryset=Return.objects.prefetch_related("lines")),
        )
        .filter(pk=pk)
        .first()
    )


def returns_of_customer(contact_id: int) -> QuerySet[Return]:
    return (
        Return.objects.filter(order__contact_id=contact_id)
        .select_related("order")
        .prefetch_related("lines")
        .order_by("-announced_at", "-id")
    )


def order_by_external_id(*, source: str, external_id: str) -> Order | None:
    return Order.objects.filter(source=source, external_id=external_id).first()


def contact_commerce_summary(*, contact, recent: int = 5) -> dict:
    """What the 360° page shows of a customer's orders: four small queries."""
    orders = list(
        Order.objects.filter(contact=contact).order_by("-placed_at", "-id")[:recent]
    )
    open_returns = list(
        Return.objects.filter(order__contact=contact)
        .exclude(
            status__in=[
                ReturnStatus.REFUNDED,
                ReturnStatus.EXCHANGED,
                ReturnStatus.REJECTED,
            ]
        )
        .select_related("order")
        .order_by("-announced_at")[:10]
    )
    open_revocations = list(
        Revocation.objects.filter(order__contact=contact)
        .exclude(status__in=[RevocationStatus.REFUNDED, RevocationStatus.REJECTED])
        .select_related("order")
        .order_by("-received_on")[:10]
    )
    late = list(
        Shipment.objects.filter(
            order__contact=contact, late_since__isnull=False, delivered_at__isnull=True
        )
        .select_related("order")
        .order_by("-late_since")[:10]
    )
    return {
        "orders": orders,
        "open_returns": open_returns,
        "open_revocations": open_revocations,
        "late_shipments": late,
    }


def products_of_orders(order_ids, *, limit: int = 10) -> list[tuple]:
    """The products on the orders ``order_ids`` (ids or a subquery), by how many
    of those orders carry each: (name, count)."""
    return list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .values("name")
        .annotate(n=Count("order", distinct=True))
        .order_by("-n", "name")
        .values_list("name", "n")[:limit]
    )


def product_names(limit: int = 5000) -> list[str]:
    """The shop's product names (from its catalogue, else from its orders)."""
    names = list(
        Product.objects.order_by("name")
        .values_list("name", flat=True)
        .distinct()[:limit]
    )
    if names:
        return names
    return list(
        OrderLine.objects.order_by("name")
        .values_list("name", flat=True)
        .distinct()[:limit]
    )


def return_reasons_by_product(*, user, since, limit: int = 10) -> list[dict]:
    """What comes back and why: returned quantities by product and reason, of
    the returns announced since ``since`` on orders ``user`` may see."""
    labels = dict(ReturnReason.choices)
    rows = (
        ReturnLine.objects.filter(
            ret__announced_at__gte=since, ret__order__in=orders_visible_to(user)
        )
        .values("name", "ret__reason")
        .annotate(quantity=Sum("quantity"), returns=Count("ret", distinct=True))
        .order_by("-returns", "-quantity", "name")[:limit]
    )
    return [
        {
            "product": row["name"],
            "reason": str(labels.get(row["ret__reason"], row["ret__reason"])),
            "quantity": row["quantity"],
            "returns": row["returns"],
        }
        for row in rows
    ]


def late_shipments() -> QuerySet[Shipment]:
    """Parcels that are late and not delivered, the latest first, with their order."""
    return (
        Shipment.objects.filter(late_since__isnull=False, delivered_at__isnull=True)
        .select_related("order")
        .order_by("-late_since", "-id")
    )


def late_shipment_of(contact_id: int) -> Shipment | None:
    """The customer's latest parcel that is late and not delivered, with its order."""
    return late_shipments().filter(order__contact_id=contact_id).first()


def contact_visible(*, user, pk: int):
    """The contact ``pk`` if ``user`` may see it, else None."""
    return contact_selectors.contacts_visible_to(user).filter(pk=pk).first()


# --- For messages (no viewer: the system writes to its customers) ---------------------

FOR_MESSAGES = {
    "order": Order,
    "shipment": Shipment,
    "revocation": Revocation,
    "ret": Return,
    "refund": Refund,
}


def records_for_messages(kind: str, ids) -> dict[int, object]:
    """Orders (with lines) or their shipments, revocations, returns, refunds, by id."""
    model = FOR_MESSAGES[kind]
    qs = model.objects.filter(pk__in=list(ids))
    qs = qs.prefetch_related("lines") if model is Order else qs.select_related("order")
    return {record.pk: record for record in qs}
