"""Pieces every commerce service uses: timeline entries, figures, lifecycle moves."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum

from kundig.activity import services as activity_services
from kundig.activity.choices import Channel, Direction
from kundig.contacts import services as contact_services
from kundig.contacts.choices import ChangeSource, LifecycleStage

from ..choices import OrderStatus, SalesChannel
from ..models import Order, Return, Revocation

CHANNEL_OF = {
    SalesChannel.WEB_SHOP: Channel.SHOP,
    SalesChannel.MARKETPLACE: Channel.MARKETPLACE,
    SalesChannel.STORE: Channel.STORE,
    SalesChannel.PHONE: Channel.PHONE,
}

# Stages a first order moves to "customer": everyone not yet a customer, and
# those who had drifted away and now buy again.
BECOMES_CUSTOMER = {
    LifecycleStage.SUBSCRIBER,
    LifecycleStage.LEAD,
    LifecycleStage.MARKETING_QUALIFIED,
    LifecycleStage.SALES_QUALIFIED,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.AT_RISK,
    LifecycleStage.INACTIVE,
}


def timeline(order: Order, *, kind: str, fact: str, summary: str, at, body="") -> None:
    """Put ``fact`` about ``order`` on its customer's timeline, once."""
    activity_services.timeline_add(
        actor=None,
        kind=kind,
        contact=order.contact,
        summary=summary[:300],
        body=body,
        channel=CHANNEL_OF.get(order.channel, Channel.SHOP),
        direction=Direction.INBOUND,
        occurred_at=at,
        source_type="commerce.order",
        source_id=f"{order.pk}:{fact}"[:100],
        source_url=order.get_absolute_url(),
    )


def _figures_of(contact_ids):
    """Aggregate the purchases of ``contact_ids``: one row per contact that has any."""
    base = settings.KUNDIG_CURRENCY
    return (
        Order.objects.filter(contact_id__in=contact_ids)
        .exclude(status=OrderStatus.CANCELLED)
        .values("contact_id")
        .order_by("contact_id")
        .annotate(
            first=Min("placed_at"),
            last=Max("placed_at"),
            count=Count("id"),
            gross=Sum("total", filter=Q(currency=base)),
            refunded=Sum("refunded_total", filter=Q(currency=base)),
            with_returns=Count(
                "id",
                filter=Q(
                    Exists(Return.objects.filter(order=OuterRef("pk")))
                    | Exists(Revocation.objects.filter(order=OuterRef("pk")))
                ),
            ),
        )
    )


def _figures(contact_id: int, stats: dict | None) -> contact_services.Figures:
    stats = stats or {}
    return contact_services.Figures(
        contact_id=contact_id,
        first_order_at=stats.get("first"),
        last_order_at=stats.get("last"),
        orders_count=stats.get("count", 0),
        revenue=Decimal(stats.get("gross") or 0) - Decimal(stats.get("refunded") or 0),
        currency=settings.KUNDIG_CURRENCY,
        orders_with_returns=stats.get("with_returns", 0),
    )


def figures_refresh(contact_id: int) -> dict:
    """Recompute a contact's figures from all their orders; return them."""
    stats = next(iter(_figures_of([contact_id])), None)
    figures = _figures(contact_id, stats)
    contact_services.contact_figures_set(
        contact_id=contact_id,
        first_order_at=figures.first_order_at,
        last_order_at=figures.last_order_at,
        orders_count=figures.orders_count,
        revenue=figures.revenue,
        currency=figures.currency,
        orders_with_returns=figures.orders_with_returns,
    )
    return {"count": figures.orders_count}


def figures_refresh_many(contact_ids) -> None:
    """Recompute the figures of many contacts, in two statements."""
    contact_ids = sorted(set(contact_ids))
    found = {row["contact_id"]: row for row in _figures_of(contact_ids)}
    contact_services.contact_figures_set_many(
        [_figures(pk, found.get(pk)) for pk in contact_ids]
    )


def purchase_counts(contact_ids) -> dict[int, int]:
    """Return how many orders (not cancelled) each of ``contact_ids`` has."""
    return dict(
        Order.objects.filter(contact_id__in=contact_ids)
        .exclude(status=OrderStatus.CANCELLED)
        .values("contact_id")
        .order_by("contact_id")
        .annotate(n=Count("id"))
        .values_list("contact_id", "n")
    )


def lifecycle_target(stage: str, orders_count: int) -> str | None:
    """The stage a contact at ``stage`` with ``orders_count`` purchases moves to."""
    if orders_count >= settings.KUNDIG_REGULAR_CUSTOMER_ORDERS:
        if stage in BECOMES_CUSTOMER or stage == LifecycleStage.CUSTOMER:
            return LifecycleStage.REGULAR_CUSTOMER
    elif orders_count >= 1 and stage in BECOMES_CUSTOMER:
        return LifecycleStage.CUSTOMER
    return None


def lifecycle_follow(contact, *, orders_count: int) -> None:
    """Move the contact along the lifecycle as their orders say."""
    stage = contact.lifecycle_stage
    target = lifecycle_target(stage, orders_count)
    if target and target != stage:
        contact_services.contact_set_stage(
            actor=None, contact=contact, stage=target, source=ChangeSource.SYSTEM
        )
