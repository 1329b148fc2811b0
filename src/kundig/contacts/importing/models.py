"""Import jobs and the rows they could not import."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    FileFormat,
    ImportEntity,
    ImportPhase,
    ImportStatus,
)


def import_upload_to(job: ImportJob, filename: str) -> str:
    """Store uploads under ``imports/`` with a random, unguessable name."""
    suffix = ".xlsx" if job.file_format == FileFormat.XLSX else ".csv"
    return f"imports/{uuid.uuid4().hex}{suffix}"


class ImportJob(models.Model):
    """One uploaded file, its column mapping and the progress of its runs.

    ``cursor`` counts the data rows of the current phase that are done; it is
    written in the same transaction as those rows, so a restarted worker
    continues exactly where the last committed chunk ended.
    """

    entity = models.CharField(_("records"), max_length=10, choices=ImportEntity.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ImportStatus.choices,
        default=ImportStatus.NEW,
    )
    phase = models.CharField(
        _("phase"), max_length=10, choices=ImportPhase.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    file = models.FileField(
        _("file"), upload_to=import_upload_to, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(
        _("format"), max_length=5, choices=FileFormat.choices
    )
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    first_rows = models.JSONField(
        _("first rows"),
        default=list,
        blank=True,
        help_text=_("The first rows of the file for the preview: [number, cells]."),
    )
    mapping = models.JSONField(
        _("mapping"),
        default=list,
        help_text=_("The target field of each column, '' for ignored columns."),
    )

    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    cursor = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    skipped_count = models.PositiveIntegerField(_("empty rows"), default=0)
    dry_run_summary = models.JSONField(_("dry run result"), default=dict, blank=True)

    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    lease = models.CharField(max_length=32, blank=True)
    requeues = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    purged_at = models.DateTimeField(_("file deleted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(
                fields=["created_by", "-created_at"], name="contacts_import_user_idx"
            ),
            models.Index(
                fields=["status", "heartbeat_at"], name="contacts_import_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_entity_display()})"

    def get_absolute_url(self) -> str:
        return reverse("contacts:import_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_dry_run(self) -> bool:
        return self.phase == ImportPhase.DRY_RUN

    @property
    def can_change_mapping(self) -> bool:
        return self.status in (ImportStatus.NEW, ImportStatus.CHECKED) and bool(
            self.file
        )

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.cursor / self.total_rows))


class ImportRowError(models.Model):
    """A row that could not be imported: its cells and what was wrong with them."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="row_errors"
    )
    phase = models.CharField(max_length=10, choices=ImportPhase.choices)
    row_number = models.PositiveIntegerField(_("row"))
    values = models.JSONField(_("cells"), default=list)
    errors = models.JSONField(
        _("errors"), default=list, help_text=_("[column, message] pairs.")
    )

    class Meta:
        ordering = ["row_number", "id"]
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")
        constraints = [
            models.UniqueConstraint(
                fields=["job", "phase", "row_number"],
                name="contacts_importrowerror_unique_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_id} row {self.row_number}"

    @property
    def messages(self) -> list[str]:
        return [
            f"{column}: {message}" if column else message
            for column, message in self.errors
        ]
