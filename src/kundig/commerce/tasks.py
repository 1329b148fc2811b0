from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler


@task()
def shipments_flag_late() -> int:
    """Flag shipments whose promised delivery day passed without delivery."""
    from .services import shipments_flag_late as flag

    return flag()


scheduler.every(
    timedelta(minutes=15),
    "commerce.shipments_flag_late",
    "kundig.commerce.tasks.shipments_flag_late",
)


@task(takes_context=True)
def order_import_task(context, job_id: int) -> dict:
    """Work on an order import from its cursor."""
    from kundig.core.jobs.runner import job_run

    from . import importing  # noqa: F401  (registers the job kind)

    return job_run(job_id=job_id, task_id=str(context.task_result.id))
