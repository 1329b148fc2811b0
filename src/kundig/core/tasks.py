from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import events, scheduler


@task()
def events_dispatch() -> int:
    """Hand new domain events to their handlers."""
    return events.dispatch_pending()


@task()
def housekeeping() -> dict:
    """Prune old scheduler runs and finished background-job results."""
    from django_tasks_db.models import DBTaskResult

    from .models import DomainEvent

    cutoff = timezone.now() - timedelta(days=14)
    finished, _ = DBTaskResult.objects.filter(
        finished_at__lt=cutoff, status__in=["SUCCESSFUL", "FAILED"]
    ).delete()
    # Handled events have done their work; keep three months for tracing.
    events, _ = DomainEvent.objects.filter(
        dispatched_at__lt=timezone.now() - timedelta(days=90)
    ).delete()
    return {
        "scheduled_runs": scheduler.prune_runs(),
        "task_results": finished,
        "events": events,
    }


scheduler.every(
    timedelta(minutes=1), "core.events_dispatch", "kundig.core.tasks.events_dispatch"
)
scheduler.every(
    timedelta(days=1), "core.housekeeping", "kundig.core.tasks.housekeeping"
)


@task()
def notification_emails_send() -> int:
    """Send the emails of notifications that are waiting for it."""
    from .notifications import send_pending_emails

    return send_pending_emails()


scheduler.every(
    timedelta(minutes=1),
    "core.notification_emails",
    "kundig.core.tasks.notification_emails_send",
)


@task()
def jobs_requeue_stale() -> int:
    """Give background jobs whose worker died to a new worker."""
    from .jobs.runner import jobs_requeue_stale as requeue

    return requeue()


@task()
def jobs_purge() -> dict:
    """Delete export files of background jobs that ended days ago."""
    from .jobs.runner import jobs_purge as purge

    return purge()


scheduler.every(
    timedelta(minutes=1),
    "core.jobs_requeue_stale",
    "kundig.core.tasks.jobs_requeue_stale",
)
scheduler.every(timedelta(hours=6), "core.jobs_purge", "kundig.core.tasks.jobs_purge")
