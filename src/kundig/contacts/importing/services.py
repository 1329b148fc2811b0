"""Writes of import jobs from the pages: upload, mapping, preview, queueing.

The worker's side (running a job chunk by chunk, requeueing stale jobs,
deleting old files) is in :mod:`.runner`.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core.choices import Permission
from kundig.core.exports import iter_csv

from .choices import ACTIVE_STATUSES, ImportEntity, ImportPhase, ImportStatus
from .mapping import auto_map, check_mapping
from .models import ImportJob
from .reading import (
    FileInfo,
    ImportFileError,
    SourceRow,
    inspect,
)
from .rows import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, RowOutcome, importer_for

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 10

COUNTERS = {
    CREATED: "created_count",
    UPDATED: "updated_count",
    UNCHANGED: "unchanged_count",
    FAILED: "failed_count",
    SKIPPED: "skipped_count",
}


def _require_import(actor) -> None:
    if actor is None or not actor.has_role_permission(Permission.IMPORT):
        raise PermissionDenied(_("Your role does not allow importing."))


@contextmanager
def open_file(job: ImportJob):
    """Open the job's stored file; yield the plain binary file object."""
    with job.file.storage.open(job.file.name, "rb") as stored:
        handle = stored
        while isinstance(handle, File):
            handle = handle.file
        yield handle


def file_info(job: ImportJob) -> FileInfo:
    return FileInfo(
        file_format=job.file_format,
        headers=job.headers,
        header_row=job.header_row,
        encoding=job.encoding,
        delimiter=job.delimiter,
    )


# --- Upload and mapping ---------------------------------------------------------------


def import_job_create(*, actor, entity: str, upload) -> ImportJob:
    """Check an uploaded file, store it and return its job with a guessed mapping."""
    _require_import(actor)
    if entity not in ImportEntity.values:
        raise ValidationError({"entity": _("Choose contacts or companies.")})
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    limit = settings.KUNDIG_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)d MB. Split it into parts.")
                % {"mb": limit // (1024 * 1024)}
            }
        )
    handle = upload.file
    try:
        info = inspect(handle, upload.name, keep_rows=PREVIEW_ROWS)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from None
    handle.seek(0)
    job = ImportJob(
        entity=entity,
        created_by=actor,
        original_name=(upload.name or "import")[:255],
        file_format=info.file_format,
        file_size=upload.size,
        encoding=info.encoding,
        delimiter=info.delimiter,
        headers=info.headers,
        header_row=info.header_row,
        first_rows=[[r.number, r.cells, r.extra] for r in info.first_rows],
        mapping=auto_map(entity, info.headers, user=actor),
    )
    job.file.save(upload.name or "import", upload, save=False)
    try:
        job.save()
    except Exception:
        job.file.delete(save=False)
        raise
    return job


def import_job_set_mapping(*, job: ImportJob, actor, mapping: list[str]) -> ImportJob:
    """Store the column mapping; raise ValidationError naming what is wrong."""
    _require_import(actor)
    if not job.can_change_mapping:
        raise ValidationError(
            _("The mapping of this import cannot be changed any more.")
        )
    mapping = [str(m or "") for m in mapping][: len(job.headers)]
    mapping += [""] * (len(job.headers) - len(mapping))
    problems = check_mapping(job.entity, mapping, user=job.created_by)
    if problems:
        raise ValidationError({"mapping": problems})
    job.mapping = mapping
    job.save(update_fields=["mapping", "updated_at"])
    return job


def preview_source_rows(job: ImportJob) -> list[SourceRow]:
    """Return the first non-empty rows of the job's file, as kept at upload."""
    return [SourceRow(number, cells, extra) for number, cells, extra in job.first_rows]


def import_job_preview(
    *, job: ImportJob, mapping: list[str], rows: list[SourceRow]
) -> list[RowOutcome]:
    """Run ``rows`` through the import and roll everything back; return the outcomes."""
    importer = importer_for(
        job.entity, actor=job.created_by, headers=job.headers, mapping=mapping
    )
    with transaction.atomic():
        importer.prepare(rows)
        outcomes = [importer.apply(row) for row in rows]
        transaction.set_rollback(True)
    return outcomes


# --- Queueing, cancelling, deleting ---------------------------------------------------


def enqueue_run(job: ImportJob) -> None:
    from ..tasks import import_job_run_task

    result = import_job_run_task.enqueue(job.pk)
    job.task_id = str(result.id)


@transaction.atomic
def import_job_queue(*, job: ImportJob, actor, phase: str) -> ImportJob:
    """Queue a dry run or the import of ``job``.

    The task is enqueued in the transaction that marks the job queued, so
    there is never a queued job without its task or a task without its job.
    """
    _require_import(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if phase not in ImportPhase.values:
        raise ValueError(f"Unknown phase {phase!r}")
    if not job.can_change_mapping:
        raise ValidationError(_("This import has already been started."))
    problems = check_mapping(job.entity, job.mapping, user=job.created_by)
    if problems:
        raise ValidationError({"mapping": problems})
    now = timezone.now()
    job.row_errors.filter(phase=phase).delete()
    job.phase = phase
    job.status = ImportStatus.QUEUED
    job.cursor = 0
    for name in COUNTERS.values():
        setattr(job, name, 0)
    job.queued_at = job.heartbeat_at = now
    job.started_at = job.finished_at = None
    job.lease = job.error = ""
    job.requeues = 0
    enqueue_run(job)
    job.save()
    return job


@transaction.atomic
def import_job_cancel(*, job: ImportJob, actor) -> ImportJob:
    """Stop a queued or running job after its current chunk.

    A cancelled dry run returns the job to its mapping; a cancelled import
    keeps what it imported so far.
    """
    _require_import(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in ACTIVE_STATUSES:
        return job
    if job.phase == ImportPhase.DRY_RUN:
        job.status = ImportStatus.NEW
        job.phase = ""
    else:
        job.status = ImportStatus.CANCELLED
    job.finished_at = timezone.now()
    job.lease = ""
    job.save()
    return job


def import_job_delete(*, job: ImportJob, actor) -> None:
    """Delete a job that is not running, with its file and its error rows."""
    _require_import(actor)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in ACTIVE_STATUSES:
            raise ValidationError(_("Cancel the import before deleting it."))
        name = job.file.name
        job.delete()
    if name:
        transaction.on_commit(lambda: job.file.storage.delete(name))


# --- Reports --------------------------------------------------------------------------


def failed_rows_csv(*, job: ImportJob, phase: str, language: str):
    """Yield the failed rows as CSV: the original cells and an error column."""
    from kundig.core.exports import csv_delimiter_for

    headers = [*job.headers, _("Error")]
    row_label = _("Row %(n)d")  # translated now: the rows are written while streaming

    def rows():
        for error in (
            job.row_errors.filter(phase=phase)
            .order_by("row_number")
            .iterator(chunk_size=1000)
        ):
            cells = list(error.values[: len(job.headers)])
            cells += [""] * (len(job.headers) - len(cells))
            messages = [
                f"{column}: {message}" if column else message
                for column, message in error.errors
            ]
            prefix = row_label % {"n": error.row_number}
            yield [*cells, f"{prefix}: {'; '.join(messages)}"]

    # The separator of the uploaded CSV is one the user's spreadsheet handles.
    delimiter = job.delimiter or csv_delimiter_for(language)
    return iter_csv(headers, rows(), delimiter=delimiter)
