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


def figures_refresh(contact_id: int) -> dict:
    """Recompute a contact's figures from all their orders; return them."""
    purchases = Order.objects.filter(contact_id=contact_id).exclude(
        status=OrderStatus.CANCELLED
    )
    base = settings.KUNDIG_CURRENCY
    stats = purchases.aggregate(
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
    revenue = Decimal(stats["gross"] or 0) - Decimal(stats["refunded"] or 0)
    contact_services.contact_figures_set(
        contact_id=contact_id,
        first_order_at=stats["first"],
        last_order_at=stats["last"],
        orders_count=stats["count"],
        revenue=revenue,
        currency=base,
        orders_with_returns=stats["with_returns"],
    )
    return stats


def lifecycle_follow(contact, *, orders_count: int) -> None:
    """Move the contact along the lifecycle as their orders say."""
    stage = contact.lifecycle_stage
    target = None
    if orders_count >= settings.KUNDIG_REGULAR_CUSTOMER_ORDERS:
        if stage in BECOMES_CUSTOMER or stage == LifecycleStage.CUSTOMER:
            target = LifecycleStage.REGULAR_CUSTOMER
    elif orders_count >= 1 and stage in BECOMES_CUSTOMER:
        target = LifecycleStage.CUSTOMER
    if target and target != stage:
        contact_services.contact_set_stage(
            actor=None, contact=contact, stage=target, source=ChangeSource.SYSTEM
        )
