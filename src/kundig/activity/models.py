from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Channel, Direction, Kind, Priority, TaskStatus


def DETACH_OR_CASCADE(collector, field, sub_objs, using):
    """On deleting a company: keep rows that also belong to a contact, else delete.

    A contact's order or task stays on the contact's timeline when the company
    it was also filed under goes; rows about the company alone go with it.
    """
    keep = [row for row in sub_objs if row.contact_id]
    drop = [row for row in sub_objs if not row.contact_id]
    if keep:
        collector.add_field_update(field, None, keep)
    if drop:
        models.CASCADE(collector, field, drop, using)


class TimelineEntry(models.Model):
    """One interaction with a customer, on any channel: the 360° ledger."""

    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline_entries",
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=DETACH_OR_CASCADE,
        null=True,
        blank=True,
        related_name="timeline_entries",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(
        _("direction"),
        max_length=10,
        choices=Direction.choices,
        default=Direction.INTERNAL,
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("text"), blank=True, help_text=_("Sanitised HTML."))
    source_type = models.CharField(_("source"), max_length=50, blank=True)
    source_id = models.CharField(_("source ID"), max_length=100, blank=True)
    source_url = models.CharField(_("source link"), max_length=500, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [
            models.Index(
                fields=["contact", "-occurred_at", "-id"],
                name="activity_entry_contact_idx",
            ),
            models.Index(
                fields=["company", "-occurred_at", "-id"],
                name="activity_entry_company_idx",
            ),
            models.Index(
                fields=["-occurred_at", "-id"], name="activity_entry_recent_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(company__isnull=False),
                name="activity_entry_has_subject",
            ),
            # A record mirrored onto the timeline (an order, a completed task)
            # appears once, however often its source is delivered.
            models.UniqueConstraint(
                fields=["source_type", "source_id", "kind"],
                condition=~Q(source_type=""),
                name="activity_entry_unique_source",
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class Task(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_at = models.DateTimeField(_("due"))
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=DETACH_OR_CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    remind_at = models.DateTimeField(
        _("reminder"),
        null=True,
        blank=True,
        help_text=_("When to remind the assignee; empty means at the due time."),
    )
    reminded_at = models.DateTimeField(
        _("reminded"), null=True, blank=True, editable=False
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(
                fields=["assignee", "status", "due_at"], name="activity_task_mine_idx"
            ),
            models.Index(
                fields=["contact", "status", "due_at"], name="activity_task_contact_idx"
            ),
            models.Index(
                fields=["company", "status", "due_at"], name="activity_task_company_idx"
            ),
            models.Index(
                fields=["remind_at"],
                condition=Q(status="open", reminded_at__isnull=True),
                name="activity_task_reminder_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activity:task_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()
