"""The worker's side of background jobs: chunks, leases, time slices, recovery.

A run claims the job with a random lease, then does one chunk after another.
Each chunk ends in one transaction that locks the job row, checks that the
lease, the status and the cursor are still as this run left them, writes the
chunk's records (:meth:`JobKind.commit`) and advances the cursor and the
counters. A worker that dies loses only its open chunk; the next run starts
at the committed cursor, so no chunk is done twice and the counters stay
exact. A cancelled job, or one given up on and handed to another worker,
fails the check and its old run stops.

A run hands the worker back after :data:`TIME_SLICE` by enqueueing its own
continuation in the transaction of its last chunk (ADR 3: tasks are short).
Every minute :func:`jobs_requeue_stale` enqueues again the jobs whose
heartbeat stopped; :func:`jobs_purge` deletes old files.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..choices import JOB_ACTIVE_STATUSES, JobStatus
from ..models import Job
from ..notifications import notification_create
from . import kinds
from .kinds import JobFailed, JobKind, JobStopped

logger = logging.getLogger(__name__)

TIME_SLICE = timedelta(seconds=60)
STALE_AFTER = timedelta(minutes=10)
MAX_REQUEUES = 5
KEEP_FILES_FOR = timedelta(days=7)
KEEP_JOBS_FOR = timedelta(days=90)
FILES_DIR = "exports"

_PROGRESS_FIELDS = ["cursor", "done", "counters", "state", "heartbeat_at", "updated_at"]


# --- Running --------------------------------------------------------------------------


def job_run(*, job_id: int, task_id: str = "", time_slice: timedelta = TIME_SLICE):
    """Work on ``job_id`` from its cursor for up to ``time_slice``; a task's body.

    ``task_id`` is the id of the running task. The job's own task (the one it
    was last enqueued with) may take the job over even while its heartbeat
    looks alive: the worker recovers a task only when its worker is dead.
    """
    claimed = _claim(job_id, task_id=task_id)
    if claimed is None:
        return {"job": job_id, "ran": False}
    job, kind = claimed
    # Texts the job stores (errors, notifications) are in its creator's language.
    with translation.override(job.created_by.language):
        return _run(job, kind, time_slice)


def _run(job: Job, kind: JobKind, time_slice: timedelta) -> dict:
    deadline = time.monotonic() + time_slice.total_seconds()
    result = {"job": job.pk, "ran": True}
    try:
        if job.total is None:
            kind.prepare(job)
            if not _store_locked(job, ["total", "state"]):
                kind.discard(job.state)
                return {**result, "stopped": True}
        while True:
            if not _still_leased(job):
                return {**result, "stopped": True}
            work = kind.work(job)
            if work is None:
                break
            if not _commit_chunk(job, kind, work):
                return {**result, "stopped": True}
            if time.monotonic() > deadline:
                _continue_later(job, kind)
                return {**result, "cursor": job.cursor}
        if not _still_leased(job):
            return {**result, "stopped": True}
        kind.finish(job)
        if _finish(job, kind):
            kind.discard(job.state)  # the working files the result no longer needs
    except (JobFailed, ValidationError, PermissionDenied) as exc:
        _fail(job, _message(exc))
        return {**result, "failed": True}
    except JobStopped:
        return {**result, "stopped": True}
    return {**result, "cursor": job.cursor, "done": True}


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("Your role does not allow this.")


def _claim(job_id: int, *, task_id: str = "") -> tuple[Job, JobKind] | None:
    with transaction.atomic():
        job = (
            Job.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status not in JOB_ACTIVE_STATUSES:
            return None
        now = timezone.now()
        if (
            job.status == JobStatus.RUNNING
            and job.lease
            and job.heartbeat_at
            and now - job.heartbeat_at < STALE_AFTER
            and not (task_id and task_id == job.task_id)
        ):
            return None  # another worker is on it
        actor = job.created_by
        kind = kinds.get(job.kind)
        with translation.override(actor.language):
            if kind is None:
                _mark_failed(job, _("This kind of job is not known any more."))
                return None
            if not actor.is_active or not actor.has_role_permission(kind.permission):
                _mark_failed(
                    job,
                    _("%(user)s is no longer allowed to do this.") % {"user": actor},
                )
                return None
        job.lease = uuid.uuid4().hex
        job.status = JobStatus.RUNNING
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
        return job, kind


def _locked(job: Job) -> Job | None:
    """Return the job row locked for this transaction, or None if our lease is gone."""
    locked = Job.objects.select_for_update().filter(pk=job.pk).first()
    if (
        locked is None
        or locked.lease != job.lease
        or locked.status != JobStatus.RUNNING
        or locked.cursor != job.cursor
    ):
        return None
    return locked


def _still_leased(job: Job) -> bool:
    """Check, without locking, that no one took the job from this run.

    Called before a chunk's work, which may write the job's working files
    outside a transaction; the chunk's commit checks again under the lock.
    """
    return Job.objects.filter(
        pk=job.pk, lease=job.lease, status=JobStatus.RUNNING, cursor=job.cursor
    ).exists()


def heartbeat(job: Job) -> None:
    """Show that a long step of ``job`` (no chunk commits) is still alive.

    Raise :class:`JobStopped` if the run no longer holds the job: it was
    cancelled, or given to another worker.
    """
    now = timezone.now()
    alive = Job.objects.filter(
        pk=job.pk, lease=job.lease, status=JobStatus.RUNNING, cursor=job.cursor
    ).update(heartbeat_at=now)
    if not alive:
        raise JobStopped(job.pk)
    job.heartbeat_at = now


def _store_locked(job: Job, fields: list[str]) -> bool:
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return False
        for name in fields:
            setattr(locked, name, getattr(job, name))
        locked.heartbeat_at = job.heartbeat_at = timezone.now()
        locked.save(update_fields=[*fields, "heartbeat_at", "updated_at"])
    return True


def _commit_chunk(job: Job, kind: JobKind, work) -> bool:
    """Write one chunk and move the cursor past it, in one transaction."""
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return False
        kind.commit(locked, work)
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=_PROGRESS_FIELDS)
    for name in _PROGRESS_FIELDS:
        setattr(job, name, getattr(locked, name))
    return True


def _continue_later(job: Job, kind: JobKind) -> None:
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return
        locked.status = JobStatus.QUEUED
        locked.lease = ""
        locked.heartbeat_at = timezone.now()
        kind.enqueue(locked)
        locked.save(
            update_fields=["status", "lease", "heartbeat_at", "task_id", "updated_at"]
        )


def _finish(job: Job, kind: JobKind) -> bool:
    with transaction.atomic():
        locked = _locked(job)
        if locked is None:
            return False
        locked.file = job.file
        locked.file_name = job.file_name
        locked.state = job.state
        locked.counters = job.counters
        locked.status = JobStatus.DONE
        locked.finished_at = timezone.now()
        locked.lease = ""
        locked.save()
        _notify(locked, kind)
    job.status = locked.status
    return True


def _mark_failed(job: Job, message: str) -> None:
    job.status = JobStatus.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.lease = ""
    job.save()
    _notify(job, kinds.get(job.kind))


def _fail(job: Job, message: str) -> None:
    with transaction.atomic():
        locked = _locked(job)
        if locked is not None:
            _mark_failed(locked, message)


def _notify(job: Job, kind: JobKind | None) -> None:
    """Tell the job's creator that it has ended."""
    user = job.created_by
    with translation.override(user.language):
        what = kind.title(job) if kind else job.kind
        if job.status == JobStatus.DONE:
            title = (kind.result(job) if kind else "") or _("Done: %(job)s") % {
                "job": what
            }
        else:
            title = _("Failed: %(job)s") % {"job": what}
    notification_create(
        user=user,
        title=title,
        url=job.get_absolute_url(),
        dedupe_key=f"job:{job.pk}:{job.status}",
    )


# --- Keeping jobs healthy -------------------------------------------------------------


def _task_waiting(kind: JobKind | None, task_id: str) -> bool:
    """Return whether the job's task is still waiting in the queue."""
    if kind is None or not task_id:
        return False
    from django_tasks import TaskResultStatus

    try:
        result = kind.task().get_result(task_id)
    except Exception:  # pruned, or a backend that keeps no results
        return False
    return result.status == TaskResultStatus.READY


def jobs_requeue_stale(*, now=None) -> int:
    """Enqueue again the jobs whose worker stopped giving signs of life.

    Return how many were enqueued.
    """
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    requeued = 0
    ids = Job.objects.filter(
        status__in=JOB_ACTIVE_STATUSES, heartbeat_at__lt=cutoff
    ).values_list("pk", flat=True)
    for pk in list(ids):
        with transaction.atomic():
            job = (
                Job.objects.select_for_update(of=("self",))
                .select_related("created_by")
                .get(pk=pk)
            )
            if job.status not in JOB_ACTIVE_STATUSES or job.heartbeat_at >= cutoff:
                continue
            kind = kinds.get(job.kind)
            if job.status == JobStatus.QUEUED and _task_waiting(kind, job.task_id):
                continue  # the queue is just busy
            with translation.override(job.created_by.language):
                if kind is None:
                    _mark_failed(job, _("This kind of job is not known any more."))
                    continue
                if job.requeues >= MAX_REQUEUES:
                    message = _(
                        "The job stopped %(n)d times without finishing; "
                        "please contact your administrator."
                    ) % {"n": job.requeues}
                    _mark_failed(job, message)
                    continue
            logger.warning(
                "Job %s (%s) gave no sign of life since %s; enqueueing it again",
                job.pk,
                job.kind,
                job.heartbeat_at,
            )
            job.requeues += 1
            job.status = JobStatus.QUEUED
            job.lease = ""
            job.heartbeat_at = now
            kind.enqueue(job)
            job.save()
            requeued += 1
    return requeued


def jobs_purge(*, now=None) -> dict:
    """Delete the files of jobs that ended days ago, and long-finished jobs.

    Files (downloads and working files) go seven days after their job ended;
    files in ``exports/`` that no job knows of (a run that died between
    writing and recording a file) go seven days after their last change.
    """
    now = now or timezone.now()
    cutoff = now - KEEP_FILES_FOR
    old = Job.objects.filter(purged_at__isnull=True, finished_at__lt=cutoff).exclude(
        status__in=JOB_ACTIVE_STATUSES
    )
    purged = 0
    for job in old.iterator(chunk_size=100):
        names = [job.file.name] if job.file else []
        names += kinds.working_files(job.state)
        Job.objects.filter(pk=job.pk).update(file="", purged_at=now)
        for name in names:
            default_storage.delete(name)
        purged += 1
    deleted, _counts = Job.objects.filter(finished_at__lt=now - KEEP_JOBS_FOR).delete()
    return {"files": purged, "orphans": _purge_orphans(cutoff), "jobs": deleted}


def _purge_orphans(cutoff) -> int:
    try:
        _dirs, files = default_storage.listdir(FILES_DIR)
    except FileNotFoundError:
        return 0
    in_use = set()
    for file, state in Job.objects.filter(purged_at__isnull=True).values_list(
        "file", "state"
    ):
        in_use.add(file)
        in_use.update(kinds.working_files(state or {}))
    deleted = 0
    for filename in files:
        name = f"{FILES_DIR}/{filename}"
        if name in in_use or not _older_than(name, cutoff):
            continue
        default_storage.delete(name)
        deleted += 1
    return deleted


def _older_than(name: str, cutoff) -> bool:
    try:
        return default_storage.get_modified_time(name) < cutoff
    except (FileNotFoundError, OSError):
        return False


def file_path(name: str) -> str:
    """Return the local path of the job file ``name``, creating its folder."""
    path = default_storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path
