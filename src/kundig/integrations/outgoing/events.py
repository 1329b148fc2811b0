"""Every event a subscription may choose becomes deliveries, after commit."""

from __future__ import annotations

from kundig.core.events import handles
from kundig.core.models import DomainEvent

from . import services
from .choices import EVENT_TYPES


@handles(*EVENT_TYPES, batch=True)
def deliveries_create_for(events: list[DomainEvent]) -> None:
    """Create the events' deliveries; which subscriptions want them is decided there."""
    services.deliveries_create_many(events=events)
