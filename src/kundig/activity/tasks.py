from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler

from . import services


@task()
def task_reminders_send() -> int:
    """Remind assignees of tasks whose reminder time has come."""
    return services.reminders_send_due()


scheduler.every(
    timedelta(minutes=1),
    "activity.task_reminders",
    "kundig.activity.tasks.task_reminders_send",
)
