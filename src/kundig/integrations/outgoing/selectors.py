from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .choices import DeliveryStatus
from .models import Delivery, Subscription

RECENT = 5


def subscription_list() -> QuerySet[Subscription]:
    """Return the subscriptions, active first, each with its newest deliveries."""
    recent = Delivery.objects.select_related("event").order_by("-created_at", "-id")
    return Subscription.objects.order_by("-is_active", "name", "id").prefetch_related(
        Prefetch("deliveries", queryset=recent[:RECENT], to_attr="recent_deliveries")
    )


def subscription_deliveries(
    *, subscription: Subscription, status: str | None = None
) -> QuerySet[Delivery]:
    """Return the delivery log of ``subscription``, newest first."""
    qs = Delivery.objects.filter(subscription=subscription).select_related("event")
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")
