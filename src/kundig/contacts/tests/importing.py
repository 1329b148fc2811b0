"""Helpers for the import tests: files in memory, uploads, running jobs."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from kundig.contacts.importing import runner, services
from kundig.contacts.importing.models import ImportJob

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(rows, *, delimiter=";", encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, *, formats=None) -> bytes:
    """Return a workbook of ``rows``; ``formats`` maps (row, col) to a number format."""
    workbook = Workbook()
    sheet = workbook.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if formats and (r, c) in formats:
                cell.number_format = formats[(r, c)]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    kind = XLSX_TYPE if name.endswith(".xlsx") else "text/csv"
    return SimpleUploadedFile(name, content, content_type=kind)


def new_job(actor, rows, *, entity="contact", name="kunden.csv", mapping=None, **kw):
    content = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows, **kw)
    job = services.import_job_create(
        actor=actor, entity=entity, upload=upload(name, content)
    )
    if mapping is not None:
        services.import_job_set_mapping(job=job, actor=actor, mapping=mapping)
    return job


def run(job, phase="import") -> ImportJob:
    """Queue ``job`` for ``phase`` and run it to the end in this process."""
    services.import_job_queue(job=job, actor=job.created_by, phase=phase)
    runner.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def run_worker() -> None:
    """Run every queued background task, as ``kundig worker`` would.

    This is the loop of django-tasks-db's worker without its connection
    housekeeping, which would close the test's transaction on PostgreSQL.
    """
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    while True:
        with transaction.atomic():
            task_result = DBTaskResult.objects.ready().get_locked()
            if task_result is None:
                return
            task_result.claim(worker.worker_id)
        worker.run_task(task_result)


def import_rows(actor, rows, *, entity="contact", phase="import", **kw) -> ImportJob:
    return run(new_job(actor, rows, entity=entity, **kw), phase)


def speaks_english(user):
    """Let ``user`` use Kundig in English, so tests can read its messages."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user
