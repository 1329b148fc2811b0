from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import TRIGGERS, RunStatus, StepOutcome


class Playbook(models.Model):
    """A screenplay (Drehbuch): on an event, for contacts that match, run steps."""

    key = models.SlugField(
        _("key"),
        max_length=80,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Set on the ready-made playbooks Kundig ships."),
    )
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(
        _("starts when"), max_length=60, choices=list(TRIGGERS.items())
    )
    is_active = models.BooleanField(
        _("active"), default=False, help_text=_("Paused playbooks start no new runs.")
    )
    version = models.ForeignKey(
        "PlaybookVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        indexes = [
            models.Index(
                fields=["trigger"],
                condition=Q(is_active=True),
                name="automation_playbook_live_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("automation:playbook_detail", args=[self.pk])


class PlaybookVersion(models.Model):
    """What a playbook does, frozen: editing makes a new version."""

    playbook = models.ForeignKey(
        Playbook, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    steps = models.JSONField(_("steps"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["playbook", "-number"]
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "number"], name="automation_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.playbook_id} v{self.number}"


class Run(models.Model):
    """One contact going through one playbook version, step by step."""

    playbook = models.ForeignKey(
        Playbook,
        verbose_name=_("playbook"),
        on_delete=models.CASCADE,
        related_name="runs",
    )
    version = models.ForeignKey(
        PlaybookVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="runs",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # What started it ("event:123"): a playbook runs once per cause and contact.
    cause = models.CharField(_("cause"), max_length=100)
    event_name = models.CharField(_("event"), max_length=60)
    refs = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    step = models.PositiveIntegerField(_("next step"), default=0)
    wake_at = models.DateTimeField(_("wakes"), null=True, blank=True)
    waiting_for = models.CharField(max_length=60, blank=True)
    woken_by = models.CharField(max_length=60, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("playbook run")
        verbose_name_plural = _("playbook runs")
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "cause", "contact"], name="automation_run_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["wake_at"],
                condition=Q(status="waiting"),
                name="automation_run_due_idx",
            ),
            models.Index(
                fields=["contact", "waiting_for"],
                condition=Q(status="waiting"),
                name="automation_run_waiting_idx",
            ),
            models.Index(
                fields=["contact", "-started_at"], name="automation_run_contact_idx"
            ),
            models.Index(
                fields=["playbook", "-started_at"], name="automation_run_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playbook_id}:{self.contact_id}:{self.cause}"


class RunStep(models.Model):
    """The log of one step of a run: what it did, or why not."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="log")
    index = models.PositiveIntegerField(_("step"))
    kind = models.CharField(_("kind"), max_length=20)
    outcome = models.CharField(_("outcome"), max_length=10, choices=StepOutcome.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["run", "index"]
        verbose_name = _("run step")
        verbose_name_plural = _("run steps")
        constraints = [
            # A step's effect and this row commit together: once per run.
            models.UniqueConstraint(
                fields=["run", "index"], name="automation_step_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index}: {self.outcome}"


class ScanSettings(models.Model):
    """How the daily customer scans behave (one row)."""

    inactive_after_days = models.PositiveIntegerField(
        _("inactive after (days)"),
        default=180,
        help_text=_(
            "A customer with no order and no conversation for this long counts as "
            "inactive: Kundig emits “customer.inactive” once and tells the owner."
        ),
    )
    tell_owner = models.BooleanField(_("tell the owner"), default=True)
    last_scan_at = models.DateTimeField(_("last scan"), null=True, blank=True)
    last_inactive_found = models.PositiveIntegerField(default=0)
    last_birthdays_found = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("scan settings")
        verbose_name_plural = _("scan settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ScanMark(models.Model):
    """That a scan has reported a contact for one period: at most once each.

    For inactivity the period is the last order the customer placed (a new
    order starts a new period); for birthdays it is the day.
    """

    kind = models.CharField(max_length=20)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+"
    )
    period_at = models.DateTimeField()
    # Which scan wrote the mark: a scan emits only for the marks it wrote.
    scan = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "contact", "period_at"], name="automation_scan_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.contact_id} {self.period_at:%Y-%m-%d}"
