"""Import pages: upload, map columns with a live preview, dry run, progress, result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required
from kundig.core.pagination import paginate

from ..importing import selectors, services
from ..importing.choices import ImportEntity, ImportPhase, ImportStatus
from ..importing.forms import ImportUploadForm, MappingForm
from ..importing.mapping import check_mapping, targets_for

_KINDS = {"contacts": ImportEntity.CONTACT, "companies": ImportEntity.COMPANY}


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for ms in exc.message_dict.values() for m in ms]
    return list(exc.messages)


@role_required(Permission.IMPORT)
def import_list(request):
    """List the user's imports (an admin sees everyone's)."""
    jobs = selectors.import_jobs_visible_to(request.user)
    page = paginate(jobs, request.GET.get("page"), per_page=25)
    template = "contacts/import/list.html"
    if request.htmx and request.htmx.target == "import-jobs":
        template += "#jobs"
    return render(request, template, {"page": page})


@role_required(Permission.IMPORT)
def import_new(request):
    """Upload a file; on success continue with the column mapping."""
    kind = request.GET.get("kind", "")
    initial = {"entity": _KINDS.get(kind, kind if kind in ImportEntity.values else "")}
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                actor=request.user,
                entity=form.cleaned_data["entity"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            return redirect("contacts:import_map", pk=job.pk)
    return render(request, "contacts/import/new.html", {"form": form})


def _preview_context(job, mapping, rows) -> dict:
    """Return the preview table: each row as it would be imported, problems marked."""
    targets = {t.key: t for t in targets_for(job.entity, user=job.created_by)}
    outcomes = services.import_job_preview(job=job, mapping=mapping, rows=rows)
    mapped = [
        (i, header, targets[key].label)
        for i, (header, key) in enumerate(zip(job.headers, mapping, strict=True))
        if key in targets
    ]
    preview = []
    for outcome in outcomes:
        by_column = outcome.errors_by_column()
        preview.append(
            {
                "number": outcome.number,
                "action": outcome.action,
                "cells": [
                    {
                        "value": outcome.values.get(mapping[i], ""),
                        "errors": by_column.get(i, []),
                    }
                    for i, _header, _label in mapped
                ],
                "row_errors": [
                    f"{label}: {message}" if label else message
                    for index, label, message in outcome.errors
                    if index is None or index not in {i for i, _h, _l in mapped}
                ],
            }
        )
    return {"mapped": mapped, "preview": preview}


@role_required(Permission.IMPORT)
def import_map(request, pk: int):
    """Choose the field of each column; the preview follows every change (htmx)."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    if not job.can_change_mapping:
        return redirect(job)
    rows = services.preview_source_rows(job)
    targets = targets_for(job.entity, user=job.created_by)
    initial = {f"col_{i}": key for i, key in enumerate(job.mapping)}
    form = MappingForm(
        request.POST or None, initial=initial, headers=job.headers, targets=targets
    )
    mapping = job.mapping
    problems: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            mapping = form.mapping()
        action = request.POST.get("action", "preview")
        if action in ImportPhase.values and form.is_valid():
            try:
                services.import_job_set_mapping(
                    job=job, actor=request.user, mapping=mapping
                )
                services.import_job_queue(job=job, actor=request.user, phase=action)
            except ValidationError as exc:
                problems = _error_messages(exc)
            else:
                return redirect(job)
    problems = problems or check_mapping(job.entity, mapping, user=job.created_by)
    samples = {
        i: [r.cells[i] for r in rows if r.cells[i].strip()][:3]
        for i in range(len(job.headers))
    }
    context = {
        "job": job,
        "form": form,
        "samples": samples,
        "problems": problems,
        "row_count": len(rows),
        **_preview_context(job, mapping, rows),
    }
    if request.htmx and request.POST.get("action", "preview") == "preview":
        return render(request, "contacts/import/map.html#preview", context)
    return render(request, "contacts/import/map.html", context)


@role_required(Permission.IMPORT)
def import_detail(request, pk: int):
    """Show a job: progress while it runs, then its report and failed rows."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    if request.htmx and request.GET.get("fragment") == "progress":
        response = render(request, "contacts/import/detail.html#progress", {"job": job})
        if not job.is_active:
            # The run ended: reload the page to show the report; polling stops.
            response["HX-Refresh"] = "true"
        return response
    if job.status == ImportStatus.NEW and job.can_change_mapping:
        return redirect("contacts:import_map", pk=job.pk)  # nothing to report yet
    phase = selectors.import_report_phase(job)
    errors = selectors.import_row_errors(job=job, phase=phase)
    page = paginate(errors, request.GET.get("page"), per_page=50)
    template = "contacts/import/detail.html"
    if request.htmx and request.htmx.target == "import-errors":
        template += "#errors"
    return render(
        request,
        template,
        {"job": job, "phase": phase, "page": page, "is_dry_run": phase == "dry_run"},
    )


@require_POST
@role_required(Permission.IMPORT)
def import_start(request, pk: int):
    """Queue the real import (after a dry run, or straight away)."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    try:
        services.import_job_queue(job=job, actor=request.user, phase=ImportPhase.IMPORT)
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    return redirect(job)


@require_POST
@role_required(Permission.IMPORT)
def import_cancel(request, pk: int):
    job = selectors.import_job_get(user=request.user, pk=pk)
    services.import_job_cancel(job=job, actor=request.user)
    messages.info(request, _("The import stops after the rows it is working on."))
    return redirect(job)


@require_POST
@role_required(Permission.IMPORT)
def import_delete(request, pk: int):
    job = selectors.import_job_get(user=request.user, pk=pk)
    try:
        services.import_job_delete(job=job, actor=request.user)
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
        return redirect(job)
    messages.success(request, _("The import and its file were deleted."))
    return redirect("contacts:import_list")


@role_required(Permission.IMPORT)
def import_failed_rows(request, pk: int) -> HttpResponse:
    """Download the rows that failed, with an error column, to fix and import again."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    phase = request.GET.get("phase") or selectors.import_report_phase(job)
    if phase not in ImportPhase.values:
        phase = ImportPhase.IMPORT
    language = translation.get_language() or "de"
    response = StreamingHttpResponse(
        services.failed_rows_csv(job=job, phase=phase, language=language),
        content_type="text/csv; charset=utf-8",
    )
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    response["Content-Disposition"] = content_disposition_header(
        True, f"{stem}-{_('errors')}.csv"
    )
    return response
