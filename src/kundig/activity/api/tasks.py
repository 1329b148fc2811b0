"""Tasks in the JSON API: list, create, read, change, complete, reopen, delete."""

from __future__ import annotations

from datetime import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from kundig.contacts.api.common import (
    DEFAULT_PAGE_SIZE,
    CompanyRef,
    ContactRef,
    CursorParam,
    Input,
    Moment,
    PageSize,
    Params,
    RecordId,
    UserKey,
    UserOut,
    company_ref,
    contact_ref,
    filter_or_400,
    keyset_page,
    plain,
    reject_unknown_params,
    remap_errors,
    user_out,
    visible_links,
    web_url,
)

from .. import selectors, services
from ..choices import Priority, TaskStatus
from ..models import Task

TASK_SORTS = {
    "due": ("due_at", "id"),
    "-due": ("-due_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


class AssigneeField(forms.CharField):
    default_validators = [
        RegexValidator(r"^(me|[0-9]{1,18})$", gettext_lazy("Use me or a user ID."))
    ]


class AssigneeFilter(django_filters.Filter):
    """``me`` or a user id."""

    field_class = AssigneeField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if value == "me":
            return qs.filter(assignee=self.parent.request.user)
        return qs.filter(assignee_id=int(value))


class TaskFilter(django_filters.FilterSet):
    """The filters of the task list."""

    q = django_filters.CharFilter(method="filter_q")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    assignee = AssigneeFilter()
    contact = django_filters.NumberFilter(field_name="contact_id")
    company = django_filters.NumberFilter(field_name="company_id")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="lte"
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, key) for key in TASK_SORTS], method="filter_sort"
    )

    class Meta:
        model = Task
        fields = [
            "q",
            "status",
            "priority",
            "assignee",
            "contact",
            "company",
            "due_after",
            "due_before",
            "sort",
        ]

    def filter_q(self, qs, name, value):
        text = (value or "").strip()
        if not text:
            return qs
        return qs.filter(Q(title__icontains=text) | Q(description__icontains=text))

    def filter_sort(self, qs, name, value):
        return qs  # the list orders by the cursor's keys


class TaskIn(Input):
    """A task to create."""

    title: str = Field(max_length=200)
    description: str = Field("", description="Text or HTML; HTML is sanitised.")
    due_at: datetime = Field(
        description="When it is due; without an offset, in the server's time zone."
    )
    priority: Priority = Priority.NORMAL
    assignee: UserKey = Field(None, description="User id or email; default: you.")
    contact_id: RecordId | None = None
    company_id: RecordId | None = None
    remind_at: datetime | None = Field(
        None, description="When to remind the assignee; default: the due time."
    )


class TaskPatch(Input):
    """The parts of a task to change."""

    title: str | None = Field(None, max_length=200)
    description: str | None = None
    due_at: datetime | None = None
    priority: Priority | None = None
    assignee: UserKey = None
    contact_id: RecordId | None = None
    company_id: RecordId | None = None
    remind_at: datetime | None = None
    status: TaskStatus | None = Field(
        None, description="`done` completes the task, `open` reopens it."
    )


class TaskOut(Schema):
    id: int
    title: str
    description: str = Field(description="Sanitised HTML.")
    due_at: Moment
    remind_at: Moment | None
    priority: str
    status: str
    is_overdue: bool
    assignee: UserOut
    contact: ContactRef | None = Field(description="Null if the caller may not see it.")
    company: CompanyRef | None = Field(description="Null if the caller may not see it.")
    completed_at: Moment | None
    completed_by: UserOut | None
    created_by: UserOut | None
    created_at: Moment
    updated_at: Moment
    url: str | None


class TaskPage(Schema):
    results: list[TaskOut]
    next: str | None


class TaskListParams(Params):
    q: str | None = Field(None, description="Text in the title or description.")
    status: str | None = Field(None, description="open or done.")
    priority: str | None = Field(None, description=", ".join(Priority.values))
    assignee: str | None = Field(None, description="`me` or a user id.")
    contact: RecordId | None = Field(None, description="Tasks about this contact id.")
    company: RecordId | None = Field(None, description="Tasks about this company id.")
    due_after: datetime | None = None
    due_before: datetime | None = None
    sort: str | None = Field(
        None, description="By id if left out: " + ", ".join(TASK_SORTS)
    )
    cursor: CursorParam = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


TASK_RELATED = ("assignee", "contact", "company", "created_by", "completed_by")


def _task_out(task, user) -> dict:
    records = services.visible_records_for_task(user, task)
    return {
        "id": task.pk,
        "title": task.title,
        "description": task.description,
        "due_at": task.due_at,
        "remind_at": task.remind_at,
        "priority": task.priority,
        "status": task.status,
        "is_overdue": task.is_overdue,
        "assignee": user_out(task.assignee),
        "contact": contact_ref(records["contact"]),
        "company": company_ref(records["company"]),
        "completed_at": task.completed_at,
        "completed_by": user_out(task.completed_by),
        "created_by": user_out(task.created_by),
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "url": web_url(task),
    }


def _task_after_write(task, user) -> dict:
    prefetch_related_objects([task], *TASK_RELATED)
    return _task_out(task, user)


def _task_input(payload: Schema, user) -> dict:
    """Return the service's keyword arguments, with linked records looked up."""
    data = payload.model_dump(exclude_unset=True)
    data.pop("status", None)
    data = visible_links(user, data)
    return {name: plain(value) for name, value in data.items()}


def _task_error_name(name: str) -> str:
    return {"contact": "contact_id", "company": "company_id"}.get(name, name)


tasks_router = Router(tags=["Tasks"])


@tasks_router.get(
    "", response=TaskPage, summary="List tasks", operation_id="list_tasks"
)
def list_tasks(request, params: Query[TaskListParams]):
    """Return the tasks the caller may see, a page at a time.

    Those are their own tasks, the ones they created and the ones about
    records they may see. Without `sort` the results come by id.
    """
    reject_unknown_params(request, TaskListParams.model_fields)
    filterset = filter_or_400(
        TaskFilter, request, selectors.tasks_visible_to(request.auth)
    )
    sort = filterset.form.cleaned_data.get("sort")
    rows, next_cursor = keyset_page(
        filterset.qs.select_related(*TASK_RELATED),
        order=TASK_SORTS[sort] if sort else ("id",),
        cursor=params.cursor,
        size=params.page_size,
    )
    return {
        "results": [_task_out(task, request.auth) for task in rows],
        "next": next_cursor,
    }


@tasks_router.post(
    "", response={201: TaskOut}, summary="Create a task", operation_id="create_task"
)
def create_task(request, payload: TaskIn):
    """Create a task, by default for yourself.

    The assignee must be able to see the linked contact or company, and is
    notified if it is someone else.
    """
    data = _task_input(payload, request.auth)
    try:
        task = services.task_create(actor=request.auth, **data)
    except ValidationError as exc:
        raise remap_errors(exc, _task_error_name) from None
    return Status(201, _task_after_write(task, request.auth))


@tasks_router.get(
    "/{int:task_id}", response=TaskOut, summary="Get a task", operation_id="get_task"
)
def get_task(request, task_id: int):
    """Return one task; 404 if the caller may not see it."""
    return _task_out(selectors.task_get(user=request.auth, pk=task_id), request.auth)


@tasks_router.patch(
    "/{int:task_id}",
    response=TaskOut,
    summary="Change, complete or reopen a task",
    operation_id="update_task",
)
def update_task(request, task_id: int, payload: TaskPatch):
    """Change the fields sent; leave the others as they are.

    `status: done` completes the task and puts it on the linked record's
    timeline; `status: open` reopens it. Changes and status apply together
    or not at all.
    """
    task = selectors.task_get(user=request.auth, pk=task_id)
    data = _task_input(payload, request.auth)
    with transaction.atomic():
        try:
            if data:
                task = services.task_update(actor=request.auth, task=task, **data)
        except ValidationError as exc:
            raise remap_errors(exc, _task_error_name) from None
        if payload.status == TaskStatus.DONE:
            task = services.task_complete(actor=request.auth, task=task)
        elif payload.status == TaskStatus.OPEN:
            task = services.task_reopen(actor=request.auth, task=task)
    return _task_after_write(task, request.auth)


@tasks_router.delete(
    "/{int:task_id}",
    response={204: None},
    summary="Delete a task",
    operation_id="delete_task",
)
def delete_task(request, task_id: int):
    """Delete a task; its creator, its assignee or a role that may delete can."""
    task = selectors.task_get(user=request.auth, pk=task_id)
    services.task_delete(actor=request.auth, task=task)
    return Status(204, None)
