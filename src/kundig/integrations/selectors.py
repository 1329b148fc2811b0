"""Reads of the integrations app."""

from __future__ import annotations

from kundig.core.models import Job

from .models import ShopConnection
from .sync import KIND as SYNC_KIND


def shop_sync_latest(*, connection: ShopConnection) -> Job | None:
    """Return the newest import of ``connection``'s order history, if any."""
    return (
        Job.objects.filter(kind=SYNC_KIND, params__connection=connection.pk)
        .select_related("created_by")
        .order_by("-created_at", "-id")
        .first()
    )
