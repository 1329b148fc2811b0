from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    JOB_ACTIVE_STATUSES,
    ROLE_DEFAULT_VISIBILITY,
    ROLE_PERMISSIONS,
    AuditAction,
    CustomFieldEntity,
    CustomFieldType,
    EmailState,
    JobStatus,
    Language,
    Role,
    Visibility,
)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.SALES
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    visibility = models.CharField(
        _("record visibility"),
        max_length=10,
        choices=Visibility.choices,
        blank=True,
        help_text=_("Leave empty to use the role's default."),
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.GERMAN
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["first_name", "last_name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def effective_visibility(self) -> str:
        return self.visibility or ROLE_DEFAULT_VISIBILITY[Role(self.role)]

    def has_role_permission(self, permission: str) -> bool:
        return self.is_active and permission in ROLE_PERMISSIONS[Role(self.role)]

    @property
    def initials(self) -> str:
        parts = [self.first_name[:1], self.last_name[:1]]
        return ("".join(parts) or self.email[:2]).upper()


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 hash of the secret is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEntry(models.Model):
    """One changed field of one record: who, when, from what to what."""

    object_type = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    field = models.CharField(_("field"), max_length=100, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "-at"],
                name="core_audit_object_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action} {self.field}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50)
    color = models.CharField(_("colour"), max_length=20, default="azure")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="core_tag_unique_name_ci")
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldDefinition(models.Model):
    """An admin-defined, typed field on contacts or companies."""

    entity = models.CharField(
        _("record type"), max_length=10, choices=CustomFieldEntity.choices
    )
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Used in imports, exports and the API, e.g. 'customer_number'."),
    )
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(
        _("type"), max_length=10, choices=CustomFieldType.choices
    )
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For choice fields: the allowed values."),
    )
    required = models.BooleanField(_("required"), default=False)
    visible_to_roles = models.JSONField(
        _("visible to roles"),
        default=list,
        blank=True,
        help_text=_("Empty means every role sees the field."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["entity", "position", "label"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "key"], name="core_customfield_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.label

    def is_visible_to(self, user) -> bool:
        return (
            not self.visible_to_roles
            or user.role == Role.ADMIN
            or user.role in self.visible_to_roles
        )


class Notification(models.Model):
    """An in-app message for one user (task reminders and the like)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=150, unique=True, null=True, blank=True)
    email_state = models.CharField(
        _("email"), max_length=10, choices=EmailState.choices, default=EmailState.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["user", "read_at", "-created_at"],
                name="core_notification_inbox_idx",
            ),
            models.Index(
                fields=["email_state", "id"],
                condition=models.Q(email_state__in=["pending", "sending"]),
                name="core_notification_mail_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DomainEvent(models.Model):
    """A fact that happened, written in the transaction that made it happen."""

    name = models.CharField(max_length=60, db_index=True)
    subject_type = models.CharField(max_length=50, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="core_event_pending_idx",
            ),
            models.Index(
                fields=["subject_type", "subject_id"], name="core_event_subject_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class HandledEvent(models.Model):
    """Marks that a handler has processed an event, so a retry does nothing."""

    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE)
    handler = models.CharField(max_length=150)
    handled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "handler"], name="core_handledevent_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.handler} handled event {self.event_id}"


class ScheduledRun(models.Model):
    """One enqueued run of a periodic job; the unique key stops a second run."""

    key = models.CharField(max_length=150, unique=True)
    job = models.CharField(max_length=100)
    enqueued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-enqueued_at"]
        indexes = [
            models.Index(fields=["job", "-enqueued_at"], name="core_run_job_idx")
        ]

    def __str__(self) -> str:
        return self.key


def job_file_upload_to(job: Job, filename: str) -> str:
    """Store job files under ``exports/`` with a random, unguessable name."""
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"exports/{uuid.uuid4().hex}.{suffix}"


class Job(models.Model):
    """A long piece of work done in the background, chunk by chunk (ADR 13).

    ``cursor``, ``done``, ``counters`` and ``state`` are written in the same
    transaction as the chunk they describe, so a worker that dies loses at
    most the chunk it was working on and the next one continues exactly
    there. What a kind of job does is defined by its :mod:`kundig.core.jobs`
    kind, looked up by ``kind``.
    """

    kind = models.CharField(_("kind"), max_length=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    params = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_("What to do: the selection, the action and its arguments."),
    )
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    counters = models.JSONField(_("counters"), default=dict, blank=True)
    cursor = models.BigIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True)
    file = models.FileField(
        _("file"), upload_to=job_file_upload_to, max_length=200, blank=True
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    purged_at = models.DateTimeField(_("file deleted"), null=True, blank=True)
    lease = models.CharField(max_length=32, blank=True)
    requeues = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [
            models.Index(
                fields=["created_by", "-created_at"], name="core_job_user_idx"
            ),
            models.Index(fields=["status", "heartbeat_at"], name="core_job_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("core:job_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in JOB_ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return 0
        handled = self.done + int(self.counters.get("skipped", 0))
        return min(99, int(100 * handled / self.total))
