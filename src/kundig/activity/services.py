"""Writes of the timeline and of tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundig.core import audit, bulk
from kundig.core.choices import Permission
from kundig.core.events import emit, emit_many
from kundig.core.models import User
from kundig.core.notifications import notification_create
from kundig.core.permissions import require
from kundig.core.sanitize import html_to_text, text_or_html_to_safe_html
from kundig.core.text import one_line
from kundig.core.visibility import can_see

from .choices import DEFAULT_CHANNEL, Channel, Direction, Kind, Priority, TaskStatus
from .models import Task, TimelineEntry

SUMMARY_LENGTH = 300
BODY_MAX_LENGTH = 100_000


def _summary_from(body_html: str, kind: str) -> str:
    text = " ".join(html_to_text(body_html).split())
    if not text:
        return str(Kind(kind).label)
    return text if len(text) <= 140 else text[:139].rstrip() + "…"


# --- Timeline -------------------------------------------------------------------------


@transaction.atomic
def timeline_add(
    *,
    actor: User | None,
    kind: str,
    contact=None,
    company=None,
    summary: str = "",
    body: str = "",
    channel: str | None = None,
    direction: str | None = None,
    occurred_at: dt.datetime | None = None,
    duration_minutes: int | None = None,
    source_type: str = "",
    source_id: str = "",
    source_url: str = "",
) -> TimelineEntry:
    """Add one interaction to the timeline of a contact or company.

    An entry from another record (``source_type`` + ``source_id``) is added
    once: delivering the same source again returns the existing entry.
    """
    require(actor, Permission.WRITE)
    errors: dict[str, list[str]] = {}
    if contact is None and company is None:
        errors["contact"] = [_("Choose a contact or a company.")]
    if kind not in Kind.values:
        errors["kind"] = [
            _("Unknown kind %(kind)s; use one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(Kind.values)}
        ]
    channel = channel or (DEFAULT_CHANNEL.get(kind) if kind in Kind.values else None)
    if channel not in Channel.values:
        errors["channel"] = [
            _("Unknown channel %(channel)s; use one of: %(channels)s.")
            % {"channel": channel, "channels": ", ".join(Channel.values)}
        ]
    if direction is None:
        direction = (
            Direction.INTERNAL
            if kind in (Kind.NOTE, Kind.TASK_COMPLETED)
            else Direction.OUTBOUND
        )
    if direction not in Direction.values:
        errors["direction"] = [_("Use in, out or internal.")]
    if body and len(body) > BODY_MAX_LENGTH:
        errors["body"] = [_("The text is too long (at most 100,000 characters).")]
    summary = one_line(summary)
    if len(summary) > SUMMARY_LENGTH:
        errors["summary"] = [_("At most %(n)d characters.") % {"n": SUMMARY_LENGTH}]
    if occurred_at is not None and timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at is not None and occurred_at > timezone.now() + dt.timedelta(days=1):
        errors["occurred_at"] = [_("An interaction cannot lie in the future.")]
    if duration_minutes is not None and not (0 <= duration_minutes <= 24 * 60):
        errors["duration_minutes"] = [_("Between 0 and 1440 minutes.")]
    body_html = text_or_html_to_safe_html(body) if body else ""
    if kind == Kind.NOTE and not body_html and not summary:
        errors["body"] = [_("A note needs some text.")]
    if errors:
        raise ValidationError(errors)

    if source_type and source_id:
        existing = TimelineEntry.objects.filter(
            source_type=source_type, source_id=source_id, kind=kind
        ).first()
        if existing is not None:
            return existing

    entry = TimelineEntry(
        contact=contact,
        company=company,
        kind=kind,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at or timezone.now(),
        actor=actor,
        summary=summary or _summary_from(body_html, kind),
        body=body_html,
        duration_minutes=duration_minutes,
        source_type=source_type,
        source_id=str(source_id),
        source_url=source_url,
    )
    if source_type and source_id:
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:  # the same source, delivered concurrently
            return TimelineEntry.objects.get(
                source_type=source_type, source_id=str(source_id), kind=kind
            )
    else:
        entry.save()
    emit(
        "timeline.entry_added",
        entry,
        actor=actor,
        kind=kind,
        channel=channel,
        contact_id=contact.pk if contact else None,
        company_id=company.pk if company else None,
    )
    return entry


def _may_change_entry(actor: User, entry: TimelineEntry) -> bool:
    if entry.source_type:
        return False  # entries mirroring another record change with that record
    return entry.actor_id == actor.pk or actor.has_role_permission(Permission.DELETE)


@transaction.atomic
def timeline_entry_update(
    *,
    actor: User,
    entry: TimelineEntry,
    summary: str | None = None,
    body: str | None = None,
) -> TimelineEntry:
    require(actor, Permission.WRITE)
    if not _may_change_entry(actor, entry):
        raise PermissionDenied(_("Only the author can change this entry."))
    before = {"summary": entry.summary, "body": entry.body}
    if body is not None:
        entry.body = text_or_html_to_safe_html(body)
        if entry.kind == Kind.NOTE and not entry.body:
            raise ValidationError({"body": [_("A note needs some text.")]})
    if summary is not None:
        entry.summary = one_line(summary)[:SUMMARY_LENGTH] or _summary_from(
            entry.body, entry.kind
        )
    elif body is not None:
        entry.summary = _summary_from(entry.body, entry.kind)
    entry.save(update_fields=["summary", "body"])
    audit.audit_changes(
        entry,
        actor=actor,
        before=before,
        after={"summary": entry.summary, "body": entry.body},
    )
    return entry


@transaction.atomic
def timeline_entry_delete(*, actor: User, entry: TimelineEntry) -> None:
    require(actor, Permission.WRITE)
    if not _may_change_entry(actor, entry):
        raise PermissionDenied(_("Only the author can delete this entry."))
    audit.audit_deleted(entry, actor=actor)
    entry.delete()


# --- Tasks ----------------------------------------------------------------------------

TASK_FIELDS = (
    "title",
    "description",
    "due_at",
    "priority",
    "assignee",
    "contact",
    "company",
    "remind_at",
)


def _clean_task(data: dict, *, actor: User | None, existing: Task | None) -> dict:
    errors: dict[str, list[str]] = {}
    for name in sorted(set(data) - set(TASK_FIELDS)):
        errors[name] = [_("Unknown field.")]
    clean: dict = {}
    if "title" in data or existing is None:
        title = one_line(str(data.get("title") or ""))
        if not title:
            errors["title"] = [_("A task needs a title.")]
        elif len(title) > 200:
            errors["title"] = [_("At most %(n)d characters.") % {"n": 200}]
        clean["title"] = title
    if "description" in data:
        clean["description"] = text_or_html_to_safe_html(str(data["description"] or ""))
    for name in ("due_at", "remind_at"):
        if name in data:
            value = data[name]
            if value in (None, ""):
                if name == "due_at":
                    errors[name] = [_("Choose when the task is due.")]
                clean[name] = None
            elif not isinstance(value, dt.datetime):
                errors[name] = [_("Enter a date and time.")]
            else:
                clean[name] = (
                    timezone.make_aware(value) if timezone.is_naive(value) else value
                )
        elif name == "due_at" and existing is None:
            errors[name] = [_("Choose when the task is due.")]
    if "priority" in data:
        if data["priority"] not in Priority.values:
            errors["priority"] = [
                _("Use one of: %(values)s.") % {"values": ", ".join(Priority.values)}
            ]
        clean["priority"] = data["priority"]
    assignee = existing.assignee if existing else actor
    if "assignee" in data and data["assignee"] not in (None, ""):
        value = data["assignee"]
        if isinstance(value, User):
            assignee = value if value.is_active else None
        else:
            try:
                assignee = User.objects.filter(pk=int(value), is_active=True).first()
            except (TypeError, ValueError):
                assignee = User.objects.filter(
                    email__iexact=str(value), is_active=True
                ).first()
        if assignee is None:
            errors["assignee"] = [
                _("There is no active user %(value)s.") % {"value": value}
            ]
    if assignee is None and "assignee" not in errors:
        errors["assignee"] = [_("Choose who does the task.")]
    clean["assignee"] = assignee
    for name in ("contact", "company"):
        if name in data:
            clean[name] = data[name] or None
    contact = clean.get("contact", existing.contact if existing else None)
    company = clean.get("company", existing.company if existing else None)
    if assignee is not None and "assignee" not in errors:
        for record, message in (
            (contact, _("%(user)s cannot see this contact; choose someone who can.")),
            (company, _("%(user)s cannot see this company; choose someone who can.")),
        ):
            if record is not None and not can_see(assignee, record):
                errors["assignee"] = [message % {"user": assignee}]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def task_create(*, actor: User | None, **data) -> Task:
    """Create a task. ``remind_at`` defaults to the due time."""
    require(actor, Permission.WRITE)
    clean = _clean_task(data, actor=actor, existing=None)
    clean.setdefault("priority", Priority.NORMAL)
    if clean.get("remind_at") is None:
        clean["remind_at"] = clean["due_at"]
    task = Task.objects.create(created_by=actor, **clean)
    audit.audit_created(task, actor=actor)
    emit("task.created", task, actor=actor, assignee_id=task.assignee_id)
    _notify_assignee(task, actor=actor)
    return task


def _notify_assignee(task: Task, *, actor: User | None) -> None:
    """Tell the assignee about a task someone else gave them."""
    if actor is None or task.assignee_id == actor.pk:
        return
    with translation.override(task.assignee.language):
        notification_create(
            user=task.assignee,
            title=_("New task for you: %(title)s") % {"title": task.title},
            body=_("%(actor)s assigned it to you.") % {"actor": actor},
            url=task.get_absolute_url(),
        )


def _task_snapshot(task: Task) -> dict:
    return {
        "title": task.title,
        "description": task.description,
        "due_at": task.due_at.isoformat() if task.due_at else "",
        "remind_at": task.remind_at.isoformat() if task.remind_at else "",
        "priority": task.priority,
        "assignee": str(task.assignee),
        "contact": str(task.contact) if task.contact_id else "",
        "company": str(task.company) if task.company_id else "",
        "status": task.status,
    }


@transaction.atomic
def task_update(*, actor: User, task: Task, **data) -> Task:
    require(actor, Permission.WRITE)
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("assignee", "contact", "company")
        .get(pk=task.pk)
    )
    before = _task_snapshot(task)
    before_assignee_id = task.assignee_id
    old_due, old_remind = task.due_at, task.remind_at
    clean = _clean_task(data, actor=actor, existing=task)
    for name, value in clean.items():
        setattr(task, name, value)
    if "due_at" in clean and "remind_at" not in clean and old_remind == old_due:
        task.remind_at = task.due_at  # the reminder follows the due time it was tied to
    if task.remind_at is None:
        task.remind_at = task.due_at
    if task.remind_at != old_remind:
        task.reminded_at = None
    task.save()
    audit.audit_changes(task, actor=actor, before=before, after=_task_snapshot(task))
    if task.assignee_id != before_assignee_id:
        _notify_assignee(task, actor=actor)
    return task


@transaction.atomic
def task_complete(*, actor: User, task: Task) -> Task:
    """Mark a task done and put it on the linked record's timeline."""
    require(actor, Permission.WRITE)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.DONE:
        return task
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
    audit.audit_changes(
        task,
        actor=actor,
        before={"status": TaskStatus.OPEN},
        after={"status": TaskStatus.DONE},
    )
    if task.contact_id or task.company_id:
        timeline_add(
            actor=actor,
            kind=Kind.TASK_COMPLETED,
            contact=task.contact,
            company=task.company if not task.contact_id else None,
            summary=task.title,
            body=task.description,
            source_type="activity.task",
            source_id=f"{task.pk}:{task.completed_at.isoformat()}",
            source_url=task.get_absolute_url(),
        )
    emit("task.completed", task, actor=actor)
    return task


@transaction.atomic
def task_reopen(*, actor: User, task: Task) -> Task:
    require(actor, Permission.WRITE)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.OPEN:
        return task
    task.status = TaskStatus.OPEN
    task.completed_at = None
    task.completed_by = None
    if task.remind_at and task.remind_at > timezone.now():
        task.reminded_at = None  # the reminder still lies ahead: arm it again
    task.save(
        update_fields=[
            "status",
            "completed_at",
            "completed_by",
            "reminded_at",
            "updated_at",
        ]
    )
    audit.audit_changes(
        task,
        actor=actor,
        before={"status": TaskStatus.DONE},
        after={"status": TaskStatus.OPEN},
    )
    emit("task.reopened", task, actor=actor)
    return task


@transaction.atomic
def task_delete(*, actor: User, task: Task) -> None:
    require(actor, Permission.WRITE)
    if actor.pk not in (
        task.created_by_id,
        task.assignee_id,
    ) and not actor.has_role_permission(Permission.DELETE):
        raise PermissionDenied(
            _("Only the creator or the assignee can delete this task.")
        )
    audit.audit_deleted(task, actor=actor)
    task.delete()


# --- Reminders ------------------------------------------------------------------------


def reminders_send_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Notify assignees of open tasks whose reminder time has come; return how many."""
    now = now or timezone.now()
    due = (
        Task.objects.filter(
            status=TaskStatus.OPEN, reminded_at__isnull=True, remind_at__lte=now
        )
        .select_related("assignee", "contact", "company")
        .order_by("remind_at", "id")[:limit]
    )
    count = 0
    for task in due:
        with transaction.atomic():
            claimed = Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue  # another worker got it first
            with translation.override(task.assignee.language):
                about = task.contact or task.company
                body = _("Due %(due)s.") % {
                    "due": timezone.localtime(task.due_at).strftime("%d.%m.%Y %H:%M")
                }
                if about is not None:
                    body += " " + _("About: %(record)s.") % {"record": about}
                notification_create(
                    user=task.assignee,
                    title=_("Reminder: %(title)s") % {"title": task.title},
                    body=body,
                    url=task.get_absolute_url(),
                    dedupe_key=f"task-reminder:{task.pk}:{task.remind_at.isoformat()}",
                    email=True,
                )
            emit("task.due", task, assignee_id=task.assignee_id)
            count += 1
    return count


def visible_records_for_task(user: User, task: Task) -> dict:
    """Return the task's contact and company as far as ``user`` may see them."""
    return {
        "contact": task.contact
        if task.contact_id and can_see(user, task.contact)
        else None,
        "company": task.company
        if task.company_id and can_see(user, task.company)
        else None,
    }


@dataclass
class SourceEntry:
    """A timeline entry mirroring another record, for :func:`timeline_add_many`."""

    contact_id: int
    kind: str
    channel: str
    direction: str
    occurred_at: dt.datetime
    summary: str
    source_type: str
    source_id: str
    source_url: str = ""
    body: str = ""


def timeline_add_many(entries: list[SourceEntry]) -> int:
    """Add entries that mirror other records, many at once, as timeline_add would.

    For services recording thousands of facts in one transaction (the order
    import). The sources must be new: one already on the timeline breaks the
    unique constraint and rolls the caller's transaction back.
    """
    if not entries:
        return 0
    ids = bulk.reserve_ids(TimelineEntry, len(entries))
    now = timezone.now()
    rows, events = [], []
    for pk, entry in zip(ids, entries, strict=True):
        summary = one_line(entry.summary)
        body = text_or_html_to_safe_html(entry.body) if entry.body else ""
        rows.append(
            (pk, entry.contact_id, None, entry.kind, entry.channel, entry.direction,
             entry.occurred_at, None, summary[:SUMMARY_LENGTH], body,
             entry.source_type, str(entry.source_id)[:100], entry.source_url, None,
             now)
        )  # fmt: skip
        events.append(
            ("timeline.entry_added", "activity.timelineentry", pk,
             {"kind": entry.kind, "channel": entry.channel,
              "contact_id": entry.contact_id, "company_id": None})
        )  # fmt: skip
    bulk.insert(
        TimelineEntry,
        ("id", "contact_id", "company_id", "kind", "channel", "direction",
         "occurred_at", "actor_id", "summary", "body", "source_type", "source_id",
         "source_url", "duration_minutes", "created_at"),
        rows,
    )  # fmt: skip
    emit_many(events)
    return len(rows)


def timeline_move_sources(
    *, source_type: str, id_prefix: str, from_contact, to_contact
) -> int:
    """Move entries mirroring one record from one contact's timeline to another's.

    The record's entries are those whose ``source_id`` starts with
    ``id_prefix``; they are looked up among ``from_contact``'s entries (by
    its index). Returns how many moved.
    """
    return TimelineEntry.objects.filter(
        contact=from_contact, source_type=source_type, source_id__startswith=id_prefix
    ).update(contact=to_contact)
