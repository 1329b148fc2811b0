from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler


@task()
def sla_scan() -> dict:
    """Mark the service-level clocks that came due; escalate the breaches."""
    from .services import sla_scan as scan

    result = scan()
    return {
        "warned": result.warned,
        "breached": result.breached,
        "escalated": result.escalated,
    }


scheduler.every(
    timedelta(minutes=1), "service.sla_scan", "kundig.service.tasks.sla_scan"
)
