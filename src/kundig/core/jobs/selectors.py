"""Reads of background jobs: a job is seen by the user who started it, only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ..choices import JobStatus
from ..models import Job
from . import kinds


def jobs_visible_to(user) -> QuerySet[Job]:
    """Return the jobs of ``user``, newest first.

    Not even administrators see other users' jobs: an export holds the
    records its creator may see, and a job's page is its creator's receipt.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Job.objects.none()
    return Job.objects.filter(created_by=user).select_related("created_by")


def job_get(*, user, pk) -> Job:
    """Return the job ``pk`` if ``user`` started it; 404 otherwise."""
    return get_object_or_404(jobs_visible_to(user), pk=pk)


def job_download(*, user, pk) -> Job:
    """Return the finished job ``pk`` with a file ``user`` may download; else 404.

    The user must have started the job and still hold the permission of its
    kind (an export needs the export permission at download time too).
    """
    job = job_get(user=user, pk=pk)
    kind = kinds.get(job.kind)
    if (
        kind is None
        or not kind.has_file
        or not job.file
        or job.status != JobStatus.DONE
        or not user.has_role_permission(kind.permission)
    ):
        raise Http404
    return job


def job_display(job: Job) -> dict:
    """Return the job's title and result text in the active language."""
    kind = kinds.get(job.kind)
    if kind is None:
        return {"title": job.kind, "result": "", "has_file": False}
    return {
        "title": kind.title(job),
        "result": kind.result(job) if job.status == JobStatus.DONE else "",
        "has_file": kind.has_file,
    }
