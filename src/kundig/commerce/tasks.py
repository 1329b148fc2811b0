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
