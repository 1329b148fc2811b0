"""Export contacts or companies: streamed at once, or written by a background job.

Up to ``KUNDIG_EXPORT_SYNC_LIMIT`` rows are streamed in the response. A
larger export becomes a job that writes the file under ``MEDIA_ROOT/exports/``
(random names) in chunks; its creator downloads it from the job's page.

The job first stores the ids of the selection in the list's order (one
query, written to a working file of 8 bytes per id), so the file has the
rows in the same order as the immediate export. Each chunk then reads the
next ids, loads those its creator may still see and appends their rows.
The file's length is committed with the cursor; a run that resumes cuts the
file back to that length first, so a chunk that was written but not
committed is written once only. An XLSX export collects the cells as JSON
lines and turns them into the workbook (openpyxl, write-only) at the end.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from array import array

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundig.core.choices import Permission
from kundig.core.exports import (
    EXCEL_MAX_ROWS,
    cell_text,
    csv_delimiter_for,
    csv_lines,
    csv_start,
    write_xlsx_to,
)
from kundig.core.jobs import kinds
from kundig.core.jobs.kinds import JobFailed, JobStopped
from kundig.core.jobs.runner import FILES_DIR, file_path, heartbeat
from kundig.core.jobs.services import job_start
from kundig.core.models import Job, User
from kundig.core.permissions import require

from ..exporting import columns_by_keys
from .records import RECORD_TYPES, InvalidFilter, RecordType, selected

KIND = "contacts.export"
CHUNK_SIZE = 1000
FORMATS = ("csv", "xlsx")
HEARTBEAT_EVERY = 30  # seconds, while the workbook is built
_ID = array("q").itemsize


def export_file_name(record_type: RecordType, fmt: str) -> str:
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return f"{record_type.basename}-{stamp}.{fmt}"


def export_is_large(records) -> bool:
    """Return whether exporting ``records`` is a job for the background."""
    limit = settings.KUNDIG_EXPORT_SYNC_LIMIT
    return records.order_by()[: limit + 1].count() > limit


def records_export_start(
    *,
    actor: User,
    record_type: RecordType,
    fmt: str,
    query: str,
    ids: list[int] | None = None,
) -> Job:
    """Start a background export of the records matching ``query`` (and ``ids``)."""
    require(actor, Permission.EXPORT)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    params = {
        "records": record_type.key,
        "format": fmt,
        "query": query,
        "ids": sorted(set(ids)) if ids is not None else None,
        "delimiter": csv_delimiter_for(actor.language),
        "title": str(record_type.basename),
    }
    return job_start(
        actor=actor,
        kind=KIND,
        params=params,
        file_name=export_file_name(record_type, fmt),
    )


def _new_name(suffix: str) -> str:
    return f"{FILES_DIR}/{uuid.uuid4().hex}.{suffix}"


def _write_ids(name: str, ids, *, limit: int | None) -> int:
    """Write ``ids`` (an iterator) to the working file ``name``; return how many."""
    count = 0
    batch = array("q")
    with open(file_path(name), "wb") as handle:
        for pk in ids:
            if limit is not None and count >= limit:
                break
            batch.append(pk)
            count += 1
            if len(batch) >= 10_000:
                batch.tofile(handle)
                batch = array("q")
        batch.tofile(handle)
    return count


def _read_ids(name: str, start: int, count: int) -> list[int]:
    with open(default_storage.path(name), "rb") as handle:
        handle.seek(start * _ID)
        chunk = array("q")
        chunk.frombytes(handle.read(count * _ID))
    return chunk.tolist()


def _append(name: str, size: int, data: bytes) -> int:
    """Cut the file ``name`` back to ``size`` bytes, append ``data``; return its size.

    Bytes after ``size`` were written by a run whose chunk never committed.
    """
    with open(default_storage.path(name), "r+b") as handle:
        handle.truncate(size)
        handle.seek(size)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        return handle.tell()


class _Spool:
    """The spooled rows of an XLSX export, read back while the workbook is built.

    Building a workbook of a million rows takes minutes, longer than a job
    may stay silent before it counts as stale, so reading keeps the job's
    heartbeat going. If the run has lost the job, the rows end early (openpyxl
    must not be interrupted in the middle of writing) and ``stopped`` is set.
    """

    def __init__(self, job: Job, name: str) -> None:
        self.job, self.name, self.stopped = job, name, False

    def __iter__(self):
        beat = time.monotonic()
        with open(default_storage.path(self.name), "rb") as handle:
            for line in handle:
                if time.monotonic() - beat > HEARTBEAT_EVERY:
                    try:
                        heartbeat(self.job)
                    except JobStopped:
                        self.stopped = True
                        return
                    beat = time.monotonic()
                yield json.loads(line)


class ExportJob(kinds.JobKind):
    """An export of more rows than a request should stream."""

    name = KIND
    permission = Permission.EXPORT
    task_path = "kundig.contacts.tasks.export_job_run_task"
    has_file = True

    def prepare(self, job: Job) -> None:
        params = job.params
        record_type = RECORD_TYPES[params["records"]]
        user = job.created_by
        try:
            records = selected(
                record_type, user, query=params["query"], ids=params.get("ids")
            )
        except InvalidFilter:
            raise JobFailed(_("The filter is not valid any more.")) from None
        xlsx = params["format"] == "xlsx"
        ids_name = _new_name("ids")
        out_name = _new_name("jsonl" if xlsx else "csv")
        job.state = {"files": [ids_name, out_name], "ids": ids_name, "out": out_name}
        job.total = _write_ids(
            ids_name,
            records.values_list("pk", flat=True).iterator(chunk_size=5000),
            limit=EXCEL_MAX_ROWS - 1 if xlsx else None,
        )
        keys = [column.key for column in record_type.columns(user)]
        start = b"" if xlsx else csv_start(keys, delimiter=params["delimiter"])
        with open(file_path(out_name), "wb") as handle:
            handle.write(start)
        job.state.update(columns=keys, size=len(start))

    def work(self, job: Job):
        if job.cursor >= (job.total or 0):
            return None
        params, state = job.params, job.state
        record_type = RECORD_TYPES[params["records"]]
        user = job.created_by
        ids = _read_ids(state["ids"], job.cursor, CHUNK_SIZE)
        if not ids:
            return None
        columns = columns_by_keys(record_type.columns(user), state["columns"])
        rows = record_type.export_chunk(
            record_type.visible(user), ids, columns, user=user
        )
        if params["format"] == "xlsx":
            data = "".join(
                json.dumps([cell_text(value) for value in row], ensure_ascii=False)
                + "\n"
                for row in rows
            ).encode()
        else:
            data = b"".join(csv_lines(rows, delimiter=params["delimiter"]))
        size = _append(state["out"], state["size"], data)
        return {"ids": len(ids), "rows": len(rows), "size": size}

    def commit(self, job: Job, work: dict) -> None:
        job.cursor += work["ids"]
        job.done += work["rows"]
        job.state["size"] = work["size"]
        if work["rows"] < work["ids"]:
            skipped = job.counters.get("skipped", 0) + work["ids"] - work["rows"]
            job.counters["skipped"] = skipped

    def finish(self, job: Job) -> None:
        state = job.state
        out = state["out"]
        if job.params["format"] == "xlsx":
            # Cut back as a resumed chunk would, then build the workbook.
            _append(out, state["size"], b"")
            name = _new_name("xlsx")
            spool = _Spool(job, out)
            write_xlsx_to(
                file_path(name), state["columns"], spool, title=job.params["title"]
            )
            if spool.stopped:
                default_storage.delete(name)
                raise JobStopped(job.pk)
            job.file.name = name
            state["files"] = [state["ids"], out]
        else:
            _append(out, state["size"], b"")
            job.file.name = out
            state["files"] = [state["ids"]]

    def title(self, job: Job) -> str:
        fmt = job.params["format"].upper()
        if job.params["records"] == "company":
            return _("Export companies as %(format)s") % {"format": fmt}
        return _("Export contacts as %(format)s") % {"format": fmt}

    def result(self, job: Job) -> str:
        if job.params["records"] == "company":
            text = ngettext(
                "%(n)d company exported; the file is ready.",
                "%(n)d companies exported; the file is ready.",
                job.done,
            )
        else:
            text = ngettext(
                "%(n)d contact exported; the file is ready.",
                "%(n)d contacts exported; the file is ready.",
                job.done,
            )
        return text % {"n": job.done}


kinds.register(ExportJob())
