"""Customers' mail, shop events and social posts open tickets (or continue
them), and a solved ticket asks for a rating, after commit."""

from __future__ import annotations

from kundig.core.events import handles
from kundig.core.models import DomainEvent

from . import services


@handles("message.received", batch=True)
def tickets_from_mail(events: list[DomainEvent]) -> None:
    """Each customer mail continues its ticket or opens one."""
    services.tickets_from_mail_events(events)


@handles("shipment.late", "product.unavailable", "revocation.rejected", batch=True)
def tickets_from_shop(events: list[DomainEvent]) -> None:
    """A late parcel or an undeliverable item opens a ticket (if switched on)."""
    services.tickets_from_shop_events(events)


@handles("ticket.solved", batch=True)
def ratings_for_solved(events: list[DomainEvent]) -> None:
    """A solved ticket asks its customer for a rating (once per ticket)."""
    services.surveys_for_solved(events)


@handles("social.post_received", batch=True)
def tickets_from_social(events: list[DomainEvent]) -> None:
    """A social post a keyword rule matches opens a ticket or a task."""
    services.tickets_from_social(events)
