"""Crisis plans and goodwill: what to do, and what may be offered, per kind of case."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import GoodwillKind, OfferStatus, TicketCategory

MONEY = {"max_digits": 10, "decimal_places": 2}


class CrisisPlan(models.Model):
    """The plan for one category of case: steps, an answer, who is responsible,
    how long a solution may take, and the goodwill that may be offered."""

    category = models.CharField(
        _("category"), max_length=15, choices=TicketCategory.choices, unique=True
    )
    name = models.CharField(_("name"), max_length=100)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who answers for these cases; shown on each ticket."),
    )
    solution_hours = models.PositiveIntegerField(
        _("solve within (business hours)"),
        null=True,
        blank=True,
        help_text=_("The plan's deadline for a solution, in the desk's hours."),
    )
    response_de = models.TextField(
        _("answer in German"),
        blank=True,
        help_text=_("A reply to start from, with merge fields."),
    )
    response_en = models.TextField(_("answer in English"), blank=True)
    agent_limit = models.DecimalField(
        _("agents may grant up to"),
        default=Decimal("25.00"),
        validators=[MinValueValidator(0)],
        **MONEY,
    )
    team_lead_limit = models.DecimalField(
        _("team leads may grant up to"),
        default=Decimal("100.00"),
        validators=[MinValueValidator(0)],
        help_text=_("Above this, the queue's escalation owner approves."),
        **MONEY,
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["category"]
        verbose_name = _("crisis plan")
        verbose_name_plural = _("crisis plans")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:crisis_plan_edit", args=[self.pk])


class CrisisStep(models.Model):
    """One step of a plan's checklist."""

    plan = models.ForeignKey(CrisisPlan, on_delete=models.CASCADE, related_name="steps")
    text = models.CharField(_("step"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return self.text


class StepDone(models.Model):
    """A plan's step ticked off on one ticket."""

    ticket = models.ForeignKey(
        "service.Ticket", on_delete=models.CASCADE, related_name="steps_done"
    )
    step = models.ForeignKey(CrisisStep, on_delete=models.CASCADE, related_name="+")
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "step"], name="service_stepdone_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.step_id}"


class GoodwillOption(models.Model):
    """One entry of a plan's goodwill catalogue, with the amount it suggests."""

    plan = models.ForeignKey(
        CrisisPlan, on_delete=models.CASCADE, related_name="options"
    )
    kind = models.CharField(_("kind"), max_length=15, choices=GoodwillKind.choices)
    label = models.CharField(
        _("label"),
        max_length=100,
        blank=True,
        help_text=_("What the agent sees; empty: the kind's name."),
    )
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(0)], **MONEY
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("goodwill option")
        verbose_name_plural = _("goodwill options")

    def __str__(self) -> str:
        return self.label or self.get_kind_display()


class GoodwillOffer(models.Model):
    """Goodwill offered on a ticket: granted at once within the offerer's
    limit, else waiting for someone whose limit covers it."""

    ticket = models.ForeignKey(
        "service.Ticket", on_delete=models.CASCADE, related_name="offers"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=15, choices=GoodwillKind.choices)
    label = models.CharField(_("label"), max_length=100)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices)
    # Unique, unguessable, for vouchers and discounts; set when granted.
    code = models.CharField(_("code"), max_length=20, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("offered by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # Who was asked to approve (the team lead or escalation owner).
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    # The form's key: a double click or a retry offers once.
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("offered"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("goodwill offer")
        verbose_name_plural = _("goodwill offers")
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(code=""),
                name="service_goodwilloffer_unique_code",
            )
        ]
        indexes = [
            models.Index(
                fields=["approver", "-created_at"],
                condition=Q(status="pending"),
                name="service_offer_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return self.label


class Macro(models.Model):
    """A saved reply with merge fields, in German and English, for any ticket."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    text_de = models.TextField(_("text in German"), blank=True)
    text_en = models.TextField(_("text in English"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:macro_edit", args=[self.pk])
