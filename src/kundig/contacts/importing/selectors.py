"""Reads of import jobs: a job is seen by the user who started it and by admins."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kundig.core.choices import Role

from .choices import ImportPhase, ImportStatus
from .models import ImportJob, ImportRowError


def import_jobs_visible_to(user) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("created_by")
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role == Role.ADMIN:
        return qs
    return qs.filter(created_by=user)


def import_job_get(*, user, pk) -> ImportJob:
    """Return the job ``pk`` if ``user`` may see it; 404 otherwise."""
    return get_object_or_404(import_jobs_visible_to(user), pk=pk)


def import_report_phase(job: ImportJob) -> str:
    """Return the phase whose errors the job's page shows."""
    if job.phase:
        return job.phase
    if job.status == ImportStatus.NEW and job.dry_run_summary:
        return ImportPhase.DRY_RUN
    return ImportPhase.IMPORT


def import_row_errors(*, job: ImportJob, phase: str) -> QuerySet[ImportRowError]:
    return job.row_errors.filter(phase=phase).order_by("row_number", "id")
