"""Helpers shared by the contact and company views."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from kundig.core.exports import csv_delimiter_for, iter_csv, write_xlsx

from ..forms import BulkForm
from ..jobs.bulk import records_bulk_apply
from ..jobs.export import export_is_large, records_export_start
from ..jobs.records import InvalidFilter, RecordType, selected

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(
    *, fmt: str, basename: str, columns, rows, language: str
) -> HttpResponse:
    """Return the export as a streamed CSV or an XLSX download."""
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    headers = [c.key for c in columns]
    if fmt == "xlsx":
        handle = write_xlsx(headers, rows, title=basename)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{basename}-{stamp}.xlsx",
            content_type=XLSX_TYPE,
        )
    response = StreamingHttpResponse(
        iter_csv(headers, rows, delimiter=csv_delimiter_for(language)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{basename}-{stamp}.csv"
    )
    return response


def in_background(page) -> dict:
    """Tell a list page whether acting on all its matches runs in the background."""
    limits = {"export_sync_limit": settings.KUNDIG_EXPORT_SYNC_LIMIT}
    if page is None:
        return {**limits, "bulk_in_background": False, "export_in_background": False}

    def more_than(limit: int) -> bool:
        return page.count_capped or page.count > limit

    return {
        **limits,
        "bulk_in_background": more_than(settings.KUNDIG_BULK_SYNC_LIMIT),
        "export_in_background": more_than(settings.KUNDIG_EXPORT_SYNC_LIMIT),
    }


def bulk_action(request, record_type: RecordType, *, list_url: str):
    """Run a bulk action from a list's bulk bar; a large one starts a job."""
    form = BulkForm(request.POST)
    back = reverse(list_url)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{back}?{request.POST.get('query', '')}")
    data = form.cleaned_data
    try:
        outcome = records_bulk_apply(
            actor=request.user,
            record_type=record_type,
            action=data["action"],
            tag=data["tag"],
            owner=data["owner"],
            ids=None if data["all_matching"] else data["ids"],
            query=data["query"] or "",
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    if outcome.job is not None:
        messages.info(
            request,
            _("The action runs in the background; this page shows its progress."),
        )
        return redirect(outcome.job)
    messages.success(request, outcome.message)
    return redirect(f"{back}?{data['query']}" if data["query"] else back)


def _selected_ids(raw: str) -> list[int] | None:
    if not raw:
        return None
    return [int(x) for x in raw.split(",") if x]


def export_action(request, record_type: RecordType):
    """Download an export; a large one asks to be confirmed, then starts a job."""
    if request.method == "POST":
        fmt, query = request.POST.get("format"), request.POST.get("query", "")
    else:
        fmt, query = request.GET.get("format"), request.GET.urlencode()
    fmt = "xlsx" if fmt == "xlsx" else "csv"
    try:
        ids = _selected_ids(QueryDict(query).get("ids", ""))
    except ValueError:
        return HttpResponse(_("Invalid selection."), status=400)
    try:
        records = selected(record_type, request.user, query=query, ids=ids)
    except InvalidFilter:
        return HttpResponse(_("The filter is not valid."), status=400)
    if request.method == "POST":
        job = records_export_start(
            actor=request.user, record_type=record_type, fmt=fmt, query=query, ids=ids
        )
        return redirect(job)
    if export_is_large(records):
        return render(
            request,
            "contacts/export_confirm.html",
            {
                "record_type": record_type.key,
                "format": fmt,
                "query": query,
                "limit": settings.KUNDIG_EXPORT_SYNC_LIMIT,
            },
        )
    columns = record_type.columns(request.user)
    return export_response(
        fmt=fmt,
        basename=str(record_type.basename),
        columns=columns,
        rows=record_type.export_rows(records, columns, user=request.user),
        language=request.user.language,
    )
