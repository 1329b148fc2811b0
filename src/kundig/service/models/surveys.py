"""Surveys: a customer's rating after a solved ticket (CSAT) or of the shop (NPS)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import SurveyKind


class Survey(models.Model):
    """One question to one customer, answered once through its unguessable link."""

    kind = models.CharField(_("kind"), max_length=5, choices=SurveyKind.choices)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+"
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
    )
    # Once per reason ("csat:ticket:12", "nps:run:7:step:0").
    key = models.CharField(max_length=100, unique=True)
    # The SHA-256 of the link's token; the token itself is only in the mail.
    token_hash = models.CharField(max_length=64, unique=True)
    message = models.OneToOneField(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why no mail went out (no consent, no address), if none did.
    problem = models.CharField(_("not sent because"), max_length=300, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    expires_at = models.DateTimeField(_("open until"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        indexes = [
            models.Index(
                fields=["kind", "answered_at"],
                condition=Q(answered_at__isnull=False),
                name="service_survey_answered_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.contact_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.expires_at > timezone.now()
