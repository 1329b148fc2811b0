from __future__ import annotations

import secrets

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundig.core.models import DomainEvent

from .choices import OPEN_STATUSES, DeliveryStatus


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """A URL outside Kundig that receives the domain events it chose, signed."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(
        _("event types"),
        default=list,
        blank=True,
        help_text=_("Empty: every event."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        default=new_secret,
        help_text=_("Kundig signs every request with it (HMAC-SHA256)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("outgoing_webhooks:subscription_detail", args=[self.pk])

    def wants(self, event_name: str) -> bool:
        return not self.event_types or event_name in self.event_types


class Delivery(models.Model):
    """One event for one subscription: its attempts so far and how they ended."""

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # Housekeeping deletes events 90 days after dispatch; their log goes too.
    event = models.ForeignKey(
        DomainEvent,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due. While an attempt runs, the end of its
    # lease: no other worker takes the delivery before then.
    next_attempt_at = models.DateTimeField(
        _("next attempt"), null=True, blank=True, default=timezone.now
    )
    last_status_code = models.PositiveSmallIntegerField(
        _("response code"), null=True, blank=True
    )
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("last attempt"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing webhook delivery")
        verbose_name_plural = _("outgoing webhook deliveries")
        constraints = [
            # However often the handler runs, an event goes once per subscription.
            models.UniqueConstraint(
                fields=["subscription", "event"],
                name="outgoing_webhooks_delivery_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="outgoing_delivery_due_idx",
            ),
            models.Index(
                fields=["subscription", "-created_at"],
                name="outgoing_delivery_log_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.event_id}"

    @property
    def can_retry(self) -> bool:
        return self.status in (DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP)
