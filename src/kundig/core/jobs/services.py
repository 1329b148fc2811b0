"""Writes of background jobs from the pages: start one, cancel one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import JOB_ACTIVE_STATUSES, JobStatus
from ..models import Job, User
from ..permissions import require
from . import kinds


@transaction.atomic
def job_start(*, actor: User, kind: str, params: dict, file_name: str = "") -> Job:
    """Create a job of ``kind`` and enqueue its task in the same transaction.

    There is never a queued job without its task, nor a task without its job.
    """
    job_kind = kinds.get(kind)
    if job_kind is None:
        raise ValueError(f"Unknown job kind {kind!r}")
    require(actor, job_kind.permission)
    now = timezone.now()
    job = Job.objects.create(
        kind=kind,
        created_by=actor,
        params=params,
        file_name=file_name,
        heartbeat_at=now,
    )
    job_kind.enqueue(job)
    job.save(update_fields=["task_id"])
    return job


@transaction.atomic
def job_cancel(*, job: Job, actor: User) -> Job:
    """Stop a queued or running job after the chunk it is working on.

    What its finished chunks did stays done.
    """
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.created_by_id != actor.pk:
        raise PermissionDenied(_("Only the user who started a job can stop it."))
    if job.status in JOB_ACTIVE_STATUSES:
        job.status = JobStatus.CANCELLED
        job.lease = ""
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "lease", "finished_at", "updated_at"])
    return job
