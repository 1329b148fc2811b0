from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler


@task()
def runs_advance_task(run_ids: list[int]) -> int:
    """Take the due steps of playbook runs, those at the same step together."""
    from .services import runs_advance_many

    return runs_advance_many(run_ids)


@task()
def run_advance_task(run_id: int) -> str:
    """Take one playbook run's due steps (tasks queued before runs_advance_task)."""
    from .services import run_advance

    return run_advance(run_id)


@task()
def runs_wake() -> int:
    """Advance the waiting playbook runs whose time has come."""
    from .services import runs_wake_due

    return runs_wake_due()


scheduler.every(
    timedelta(minutes=1), "automation.runs_wake", "kundig.automation.tasks.runs_wake"
)


@task()
def customer_scans() -> dict:
    """The daily scans: inactive customers and birthdays."""
    from .scans import scans_run

    result = scans_run()
    return {"inactive": result.inactive, "birthdays": result.birthdays}


scheduler.every(
    timedelta(days=1),
    "automation.customer_scans",
    "kundig.automation.tasks.customer_scans",
)
