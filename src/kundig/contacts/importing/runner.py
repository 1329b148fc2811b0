"""The worker's side of imports: the chunked run, stale jobs, old files.

A run (dry run or import) processes the file in chunks. Each chunk is one
transaction holding its rows' writes, their errors and the job's cursor and
counters, so a worker that dies loses at most the chunk it was working on,
and the next worker redoes exactly that chunk. A job is leased to one worker
at a time; a chunk commits only while its worker still holds the lease, so
a worker that was given up on cannot write twice. A dry run rolls back each
chunk's writes and keeps only the errors and counts.

A run gives the worker back after :data:`TIME_SLICE` by enqueueing its own
continuation, so a big import does not hold up other background jobs.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundig.core.choices import Permission
from kundig.core.notifications import notification_create

from .choices import ACTIVE_STATUSES, ImportPhase, ImportStatus
from .models import ImportJob, ImportRowError
from .reading import ImportFileError, SourceRow, count_data_rows, iter_data_rows
from .rows import importer_for
from .services import COUNTERS, enqueue_run, file_info, open_file

logger = logging.getLogger(__name__)

# Small enough that a chunk holds SQLite's write lock for about a second only.
CHUNK_SIZE = 50
TIME_SLICE = timedelta(seconds=60)
STALE_AFTER = timedelta(minutes=10)
MAX_REQUEUES = 5
KEEP_FILES_FOR = timedelta(days=7)


# --- Running --------------------------------------------------------------------------


def import_job_run(
    *, job_id: int, task_id: str = "", time_slice: timedelta = TIME_SLICE
) -> dict:
    """Process ``job_id`` from its cursor for up to ``time_slice``; the task's body.

    ``task_id`` is the id of the running task. The job's own task (the one it
    was last enqueued with) may take the job over even while its heartbeat
    looks alive: the worker recovers a task only when the worker that ran it
    is dead. Any other task leaves a job with a live heartbeat alone.
    """
    job = _claim(job_id, task_id=task_id)
    if job is None:
        return {"job": job_id, "ran": False}
    # Row errors are stored as text, in the language of the user who imports.
    with translation.override(job.created_by.language):
        return _run(job, time_slice)


def _run(job: ImportJob, time_slice: timedelta) -> dict:
    job_id = job.pk
    deadline = time.monotonic() + time_slice.total_seconds()
    importer = importer_for(
        job.entity, actor=job.created_by, headers=job.headers, mapping=job.mapping
    )
    try:
        with open_file(job) as handle:
            info = file_info(job)
            if job.total_rows is None:
                total = count_data_rows(handle, info)
                if not _update_locked(job, total_rows=total):
                    return {"job": job_id, "ran": False}
            rows = iter_data_rows(handle, info)
            try:
                remaining = itertools.islice(rows, job.cursor, job.total_rows)
                while True:
                    chunk = list(itertools.islice(remaining, CHUNK_SIZE))
                    if not chunk:
                        break
                    if not _commit_chunk(job, chunk, importer):
                        return {"job": job_id, "ran": True, "stopped": True}
                    if job.cursor < job.total_rows and time.monotonic() > deadline:
                        _continue_later(job)
                        return {"job": job_id, "ran": True, "cursor": job.cursor}
            finally:
                rows.close()
    except ImportFileError as exc:
        _fail(job, str(exc))
        return {"job": job_id, "ran": True, "failed": True}
    except OSError:
        logger.exception("Import job %s cannot read its file", job_id)
        _fail(job, _("The file cannot be read any more."))
        return {"job": job_id, "ran": True, "failed": True}
    _finish(job)
    return {"job": job_id, "ran": True, "cursor": job.cursor, "done": True}


def _claim(job_id: int, *, task_id: str = "") -> ImportJob | None:
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status not in ACTIVE_STATUSES:
            return None
        now = timezone.now()
        if (
            job.status == ImportStatus.RUNNING
            and job.lease
            and job.heartbeat_at
            and now - job.heartbeat_at < STALE_AFTER
            and not (task_id and task_id == job.task_id)
        ):
            return None  # another worker is on it
        actor = job.created_by
        if not actor.is_active or not actor.has_role_permission(Permission.IMPORT):
            with translation.override(actor.language):
                message = _("%(user)s may no longer import.") % {"user": actor}
            _mark_failed(job, message)
            return None
        if not job.file:
            with translation.override(actor.language):
                _mark_failed(job, _("The file has been deleted."))
            return None
        job.lease = uuid.uuid4().hex
        job.status = ImportStatus.RUNNING
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save(
            update_fields=[
                "lease",
                "status",
                "heartbeat_at",
                "started_at",
                "updated_at",
            ]
        )
        return job


def _locked(job: ImportJob) -> ImportJob | None:
    """Return the job row locked for this transaction, or None if our lease is gone."""
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if (
        locked.lease != job.lease
        or locked.status != ImportStatus.RUNNING
        or locked.cursor != job.cursor
    ):
        return None
    return locked


def _update_locked(job: ImportJob, **values) -> bool:
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return False
        for name, value in values.items():
            setattr(locked, name, value)
            setattr(job, name, value)
        locked.heartbeat_at = job.heartbeat_at = timezone.now()
        locked.save(update_fields=[*values, "heartbeat_at", "updated_at"])
    return True


def _commit_chunk(job: ImportJob, chunk: list[SourceRow], importer) -> bool:
    """Import one chunk and move the cursor past it, all in one transaction."""
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return False
        importer.prepare(chunk)
        with transaction.atomic():
            outcomes = [importer.apply(row) for row in chunk]
            if job.phase == ImportPhase.DRY_RUN:
                transaction.set_rollback(True)
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(
                    job=locked,
                    phase=job.phase,
                    row_number=row.number,
                    values=[*row.cells, *row.extra],
                    errors=outcome.error_pairs(),
                )
                for row, outcome in zip(chunk, outcomes, strict=True)
                if outcome.failed
            ]
        )
        for outcome in outcomes:
            name = COUNTERS[outcome.action]
            setattr(locked, name, getattr(locked, name) + 1)
        locked.cursor += len(chunk)
        locked.heartbeat_at = timezone.now()
        locked.save(
            update_fields=[
                "cursor",
                "heartbeat_at",
                "updated_at",
                *COUNTERS.values(),
            ]
        )
    for name in ("cursor", "heartbeat_at", *COUNTERS.values()):
        setattr(job, name, getattr(locked, name))
    return True


def _continue_later(job: ImportJob) -> None:
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return
        locked.status = ImportStatus.QUEUED
        locked.lease = ""
        locked.heartbeat_at = timezone.now()
        enqueue_run(locked)
        locked.save(
            update_fields=["status", "lease", "heartbeat_at", "task_id", "updated_at"]
        )


def _summary(job: ImportJob) -> dict:
    return {
        "total": job.total_rows or 0,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "failed": job.failed_count,
        "skipped": job.skipped_count,
        "at": timezone.now().isoformat(),
    }


def _finish(job: ImportJob) -> None:
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return
        if locked.phase == ImportPhase.DRY_RUN:
            locked.status = ImportStatus.CHECKED
            locked.dry_run_summary = _summary(locked)
        else:
            locked.status = ImportStatus.DONE
        locked.finished_at = timezone.now()
        locked.lease = ""
        locked.save()
        _notify(locked)
    job.status = locked.status


def _mark_failed(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.lease = ""
    job.save()
    _notify(job)


def _fail(job: ImportJob, message: str) -> None:
    with transaction.atomic():
        locked = _locked(job)
        if locked is not None:
            _mark_failed(locked, message)


def _notify(job: ImportJob) -> None:
    """Tell the importing user that a long run has ended."""
    user = job.created_by
    stamp = int(job.queued_at.timestamp()) if job.queued_at else 0
    with translation.override(user.language):
        if job.status == ImportStatus.FAILED:
            title = _("Import of %(name)s failed") % {"name": job.original_name}
        elif job.phase == ImportPhase.DRY_RUN:
            title = _(
                "Dry run of %(name)s: %(failed)d of %(total)d rows have errors"
            ) % {
                "name": job.original_name,
                "failed": job.failed_count,
                "total": job.total_rows or 0,
            }
        else:
            title = _(
                "Import of %(name)s finished: %(created)d created, %(updated)d "
                "updated, %(failed)d failed"
            ) % {
                "name": job.original_name,
                "created": job.created_count,
                "updated": job.updated_count,
                "failed": job.failed_count,
            }
    notification_create(
        user=user,
        title=title,
        url=reverse("contacts:import_detail", args=[job.pk]),
        dedupe_key=f"import:{job.pk}:{job.phase}:{job.status}:{stamp}",
    )


# --- Keeping jobs healthy -------------------------------------------------------------


def _task_waiting(task_id: str) -> bool:
    """Return whether the job's task is still waiting in the queue."""
    if not task_id:
        return False
    from django_tasks import TaskResultStatus

    from ..tasks import import_job_run_task

    try:
        result = import_job_run_task.get_result(task_id)
    except Exception:  # pruned, or a backend that keeps no results
        return False
    return result.status == TaskResultStatus.READY


def import_jobs_requeue_stale(*, now=None) -> int:
    """Enqueue again the jobs whose worker stopped giving signs of life.

    Return how many were enqueued.
    """
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    requeued = 0
    ids = ImportJob.objects.filter(
        status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff
    ).values_list("pk", flat=True)
    for pk in list(ids):
        with transaction.atomic():
            job = (
                ImportJob.objects.select_for_update(of=("self",))
                .select_related("created_by")
                .get(pk=pk)
            )
            if job.status not in ACTIVE_STATUSES or job.heartbeat_at >= cutoff:
                continue
            if job.status == ImportStatus.QUEUED and _task_waiting(job.task_id):
                continue  # the queue is just busy
            if job.requeues >= MAX_REQUEUES:
                with translation.override(job.created_by.language):
                    message = _(
                        "The import stopped %(n)d times without finishing; "
                        "please contact your administrator."
                    ) % {"n": job.requeues}
                _mark_failed(job, message)
                continue
            logger.warning(
                "Import job %s gave no sign of life since %s; enqueueing it again",
                job.pk,
                job.heartbeat_at,
            )
            job.requeues += 1
            job.status = ImportStatus.QUEUED
            job.lease = ""
            job.heartbeat_at = now
            enqueue_run(job)
            job.save()
            requeued += 1
    return requeued


def import_jobs_purge(*, now=None) -> int:
    """Delete the files and error rows of jobs finished or abandoned long enough ago."""
    now = now or timezone.now()
    cutoff = now - KEEP_FILES_FOR
    old = (
        ImportJob.objects.filter(purged_at__isnull=True)
        .exclude(status__in=ACTIVE_STATUSES)
        .filter(
            Q(finished_at__lt=cutoff)
            | Q(finished_at__isnull=True, updated_at__lt=cutoff)
            | Q(status=ImportStatus.CHECKED, updated_at__lt=cutoff)
        )
    )
    purged = 0
    for job in old.iterator(chunk_size=100):
        name = job.file.name
        with transaction.atomic():
            job.row_errors.all().delete()
            ImportJob.objects.filter(pk=job.pk).update(file="", purged_at=now)
        if name:
            job.file.storage.delete(name)
        purged += 1
    return purged
