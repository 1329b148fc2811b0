"""The purchase figures of a contact, written by whoever records orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..models import ContactFigures


def contact_figures_set(
    *,
    contact_id: int,
    first_order_at: dt.datetime | None,
    last_order_at: dt.datetime | None,
    orders_count: int,
    revenue: Decimal,
    currency: str,
    orders_with_returns: int,
) -> ContactFigures:
    """Store a contact's figures, computed from all of their orders.

    The caller computes from the whole order history, never by adding to the
    stored values, so a redelivered or out-of-order event cannot count twice.
    """
    figures, _created = ContactFigures.objects.update_or_create(
        contact_id=contact_id,
        defaults=figures_values(
            first_order_at=first_order_at,
            last_order_at=last_order_at,
            orders_count=orders_count,
            revenue=revenue,
            currency=currency,
            orders_with_returns=orders_with_returns,
        ),
    )
    return figures


def figures_values(
    *,
    first_order_at,
    last_order_at,
    orders_count: int,
    revenue,
    currency: str,
    orders_with_returns: int,
) -> dict:
    """Return the stored fields of figures, with the average and the returns rate."""
    revenue = Decimal(revenue)
    average = (
        (revenue / orders_count).quantize(Decimal("0.01"))
        if orders_count
        else Decimal("0.00")
    )
    rate = (
        (Decimal(orders_with_returns) / orders_count).quantize(Decimal("0.0001"))
        if orders_count
        else Decimal("0")
    )
    return {
        "first_order_at": first_order_at,
        "last_order_at": last_order_at,
        "orders_count": orders_count,
        "revenue": revenue,
        "average_order_value": average,
        "currency": currency,
        "returns_count": orders_with_returns,
        "returns_rate": rate,
    }
