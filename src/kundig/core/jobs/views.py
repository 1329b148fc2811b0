"""The pages of background jobs: the user's list, progress, result, download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services

RECENT = 50


def _with_display(jobs):
    for job in jobs:
        job.display = selectors.job_display(job)
    return jobs


@login_required
def job_list(request):
    """List the user's recent jobs; the list refreshes while one of them runs."""
    jobs = _with_display(list(selectors.jobs_visible_to(request.user)[:RECENT]))
    context = {"jobs": jobs, "any_active": any(job.is_active for job in jobs)}
    if request.htmx and request.htmx.target == "job-list":
        return render(request, "core/jobs/list.html#jobs", context)
    return render(request, "core/jobs/list.html", context)


@login_required
def job_detail(request, pk: int):
    """Show a job's progress (polled every second while it runs), then its result."""
    job = selectors.job_get(user=request.user, pk=pk)
    _with_display([job])
    template = "core/jobs/detail.html"
    if request.htmx and request.GET.get("fragment") == "progress":
        template += "#progress"
    return render(request, template, {"job": job})


@login_required
def job_download(request, pk: int):
    """Stream the job's file to the user who started it; 404 for anyone else."""
    job = selectors.job_download(user=request.user, pk=pk)
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.file_name or None
    )


@login_required
@require_POST
def job_cancel(request, pk: int):
    job = selectors.job_get(user=request.user, pk=pk)
    job = services.job_cancel(job=job, actor=request.user)
    messages.info(request, _("The job stops after the part it is working on."))
    return redirect(job)
