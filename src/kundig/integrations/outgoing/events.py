"""Every event a subscription may choose becomes deliveries, after commit."""

from __future__ import annotations

from kundig.core.events import handles
from kundig.core.models import DomainEvent

from . import services
from .choices import EVENT_TYPES


@handles(*EVENT_TYPES)
def deliveries_create_for(event: DomainEvent) -> None:
    """Create the event's deliveries; which subscriptions want it is decided there."""
    services.deliveries_create(event=event)
