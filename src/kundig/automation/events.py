"""Every event a playbook can start on starts runs, after commit."""

from __future__ import annotations

from kundig.core.events import handles
from kundig.core.models import DomainEvent

from . import services
from .choices import TRIGGERS


@handles(*TRIGGERS, batch=True)
def playbooks_start(events: list[DomainEvent]) -> None:
    """Start the playbooks these events trigger and wake the runs waiting for them."""
    services.runs_start_many(events)
