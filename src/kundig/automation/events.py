"""Every event a playbook can start on starts runs, after commit."""

from __future__ import annotations

from kundig.core.events import handles
from kundig.core.models import DomainEvent

from . import services
from .choices import TRIGGERS


@handles(*TRIGGERS)
def playbooks_start(event: DomainEvent) -> None:
    """Start the playbooks this event triggers and wake the runs waiting for it."""
    services.runs_start(event)
