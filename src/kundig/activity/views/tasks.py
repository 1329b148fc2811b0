"""Tasks: my tasks, the task pages, and completing tasks from anywhere."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.htmx import with_toast
from kundig.core.pagination import paginate

from .. import selectors, services
from ..choices import TaskStatus
from ..forms import QuickTaskForm, TaskForm, follow_up_time


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def task_list(request):
    scope = request.GET.get("scope", "mine")
    status = request.GET.get("status", "open")
    if scope == "mine" and status == "open":
        context = {
            "mine": selectors.my_tasks(user=request.user),
            "scope": scope,
            "status": status,
        }
        return render(request, "activity/task_list.html", context)
    qs = selectors.tasks_visible_to(request.user).select_related(
        "assignee", "contact", "company"
    )
    if scope == "mine":
        qs = qs.filter(assignee=request.user)
    elif scope == "created":
        qs = qs.filter(created_by=request.user)
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    order = ("due_at", "id") if status != TaskStatus.DONE else ("-completed_at", "-id")
    page = paginate(qs.order_by(*order), request.GET.get("page"), per_page=50)
    return render(
        request,
        "activity/task_list.html",
        {"page": page, "scope": scope, "status": status},
    )


def _linked_records(request, data) -> dict:
    """Resolve contact and company ids through the user's visibility."""
    linked = {}
    if data.get("contact"):
        linked["contact"] = contact_selectors.contact_get(
            user=request.user, pk=data["contact"]
        )
    if data.get("company"):
        linked["company"] = contact_selectors.company_get(
            user=request.user, pk=data["company"]
        )
    return linked


@login_required
def task_create(request):
    if not request.user.has_role_permission(Permission.WRITE):
        raise PermissionDenied
    initial = {
        "due_at": follow_up_time(1),
        "assignee": request.user.pk,
        "contact": request.GET.get("contact"),
        "company": request.GET.get("company"),
    }
    form = TaskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                due_at=data["due_at"],
                priority=data["priority"],
                assignee=data["assignee"],
                remind_at=data["remind_at"],
                **_linked_records(request, data),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The task was created."))
            return redirect(task.get_absolute_url())
    return render(
        request,
        "activity/task_form.html",
        {"form": form, "task": None},
        status=422 if form.errors else 200,
    )


@login_required
def task_edit(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    initial = {
        "title": task.title,
        "description": task.description,
        "due_at": task.due_at,
        "priority": task.priority,
        "assignee": task.assignee_id,
        "remind_at": task.remind_at if task.remind_at != task.due_at else None,
        "contact": task.contact_id,
        "company": task.company_id,
    }
    form = TaskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.task_update(
                actor=request.user,
                task=task,
                title=data["title"],
                description=data["description"],
                due_at=data["due_at"],
                priority=data["priority"],
                assignee=data["assignee"],
                remind_at=data["remind_at"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The task was saved."))
            return redirect(task.get_absolute_url())
    return render(
        request,
        "activity/task_form.html",
        {"form": form, "task": task},
        status=422 if form.errors else 200,
    )


@login_required
def task_detail(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    return render(
        request,
        "activity/task_detail.html",
        {"task": task, **services.visible_records_for_task(request.user, task)},
    )


def _upcoming_response(request, task, *, message: str):
    """After completing/reopening from a list: re-render the task row."""
    response = render(
        request,
        "activity/partials/task_row.html",
        {"task": task, "completed_now": task.status == TaskStatus.DONE},
    )
    return with_toast(response, message)


@login_required
@require_POST
def task_complete(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    task = services.task_complete(actor=request.user, task=task)
    if request.htmx:
        return _upcoming_response(
            request, task, message=_("Done: %(title)s") % {"title": task.title}
        )
    messages.success(request, _("Done: %(title)s") % {"title": task.title})
    return redirect(task.get_absolute_url())


@login_required
@require_POST
def task_reopen(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    task = services.task_reopen(actor=request.user, task=task)
    if request.htmx:
        return _upcoming_response(
            request, task, message=_("Reopened: %(title)s") % {"title": task.title}
        )
    messages.success(request, _("Reopened: %(title)s") % {"title": task.title})
    return redirect(task.get_absolute_url())


@login_required
@require_POST
def task_delete(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    services.task_delete(actor=request.user, task=task)
    messages.success(request, _("The task was deleted."))
    return redirect("activity:task_list")


def _quick_task(request, *, contact=None, company=None):
    if not request.user.has_role_permission(Permission.WRITE):
        raise PermissionDenied
    form = QuickTaskForm(request.POST)
    task = None
    if form.is_valid():
        try:
            task = services.task_create(
                actor=request.user,
                title=form.cleaned_data["title"],
                due_at=form.cleaned_data["due_at"],
                priority=form.cleaned_data["priority"],
                contact=contact,
                company=company,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
    subject = contact or company
    if task is None:
        return render(
            request,
            "activity/partials/quick_log.html#task_form",
            {"task_form": form, "subject": subject},
            status=422,
        )
    if contact is not None:
        tasks = selectors.open_tasks_for_contact(contact=contact)
    else:
        tasks = selectors.open_tasks_for_company(user=request.user, company=company)
    response = render(
        request,
        "activity/partials/task_added.html",
        {"task_form": QuickTaskForm(), "subject": subject, "tasks": tasks},
    )
    return with_toast(response, _("Task added: %(title)s") % {"title": task.title})


@login_required
@require_POST
def contact_task(request, pk: int):
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    return _quick_task(request, contact=contact)


@login_required
@require_POST
def company_task(request, pk: int):
    company = contact_selectors.company_get(user=request.user, pk=pk)
    return _quick_task(request, company=company)
