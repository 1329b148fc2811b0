"""Background jobs of the contacts app: imports, large bulk actions and exports."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler
from kundig.core.jobs.runner import job_run

from .importing import runner
from .jobs import bulk, export  # noqa: F401 - registers the kinds of jobs


@task(takes_context=True)
def import_job_run_task(context, job_id: int) -> dict:
    """Process an import job (dry run or import) from its cursor."""
    return runner.import_job_run(job_id=job_id, task_id=str(context.task_result.id))


@task(takes_context=True)
def bulk_job_run_task(context, job_id: int) -> dict:
    """Work on a large bulk action (tag, untag, assign) from its cursor."""
    return job_run(job_id=job_id, task_id=str(context.task_result.id))


@task(takes_context=True)
def export_job_run_task(context, job_id: int) -> dict:
    """Work on a large export from its cursor."""
    return job_run(job_id=job_id, task_id=str(context.task_result.id))


@task()
def imports_requeue_stale() -> int:
    """Give import jobs whose worker died to a new worker."""
    return runner.import_jobs_requeue_stale()


@task()
def imports_purge() -> int:
    """Delete uploaded files and error rows of imports finished days ago."""
    return runner.import_jobs_purge()


scheduler.every(
    timedelta(minutes=1),
    "contacts.imports_requeue_stale",
    "kundig.contacts.tasks.imports_requeue_stale",
)
scheduler.every(
    timedelta(hours=6), "contacts.imports_purge", "kundig.contacts.tasks.imports_purge"
)
