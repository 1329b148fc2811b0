from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler
from kundig.core.jobs.runner import job_run

from . import sync  # noqa: F401 - registers the order history import


@task()
def delivery_process_task(delivery_id: int) -> str:
    """Map and record one shop webhook."""
    from .services import delivery_process

    return delivery_process(delivery_id)


@task()
def deliveries_sweep() -> int:
    """Process webhooks whose task was lost, and deferred ones that are due."""
    from .services import deliveries_process_due

    return deliveries_process_due()


@task(takes_context=True)
def shop_sync_task(context, job_id: int) -> dict:
    """Import a shop's order history from its cursor (one page per chunk)."""
    return job_run(job_id=job_id, task_id=str(context.task_result.id))


scheduler.every(
    timedelta(minutes=1),
    "integrations.deliveries_sweep",
    "kundig.integrations.tasks.deliveries_sweep",
)
