from __future__ import annotations

import secrets

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundig.commerce.choices import SalesChannel

from .choices import DeliveryStatus, Platform


def _new_key() -> str:
    return secrets.token_urlsafe(18)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class ShopConnection(models.Model):
    """One shop that sends webhooks to Kundig (and may be synced from)."""

    name = models.CharField(_("name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    # The unguessable part of the webhook URL: /hooks/shop/<key>/
    key = models.CharField(max_length=40, unique=True, default=_new_key, editable=False)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        default=_new_secret,
        help_text=_("The secret the shop signs its webhooks with (HMAC-SHA256)."),
    )
    channel = models.CharField(
        _("sales channel"),
        max_length=16,
        choices=SalesChannel.choices,
        default=SalesChannel.WEB_SHOP,
    )
    # Pulling the order history through the shop's REST API (blank: no pull).
    api_url = models.URLField(
        _("API address"),
        max_length=300,
        blank=True,
        help_text=_("The shop's base address, e.g. https://shop.example.com."),
    )
    api_key = models.CharField(
        _("API key"),
        max_length=200,
        blank=True,
        help_text=_(
            "Shopware: the integration's access key ID. "
            "WooCommerce: the consumer key. Shopify: not needed."
        ),
    )
    api_secret = models.CharField(
        _("API secret"),
        max_length=500,
        blank=True,
        help_text=_(
            "Shopware: the integration's secret access key. WooCommerce: the "
            "consumer secret. Shopify: the Admin API access token."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("shop connection")
        verbose_name_plural = _("shop connections")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def source(self) -> str:
        """What its orders carry as ``source``: the platform and this connection."""
        return f"{self.platform}-{self.pk}"

    def webhook_path(self) -> str:
        return reverse("integrations:shop_webhook", args=[self.key])

    @property
    def can_pull(self) -> bool:
        """Whether the order history can be pulled through the shop's API."""
        return bool(self.api_url)

    @property
    def api_key_hint(self) -> str:
        """The API key's first characters: enough to recognise, not to use."""
        return hint(self.api_key)


def hint(value: str) -> str:
    """Return the first four characters of a credential and an ellipsis."""
    if not value:
        return ""
    return value[:4] + "…" if len(value) > 8 else "…"


class WebhookDelivery(models.Model):
    """One webhook as the shop sent it: stored first, processed by the worker."""

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(_("event ID"), max_length=200)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    body = models.TextField(_("body"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # The same event delivered again, even concurrently, is one row.
            models.UniqueConstraint(
                fields=["connection", "event_id"], name="integrations_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["pending", "deferred"]),
                name="integrations_delivery_due_idx",
            ),
            models.Index(
                fields=["status", "-received_at"], name="integrations_delivery_st_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}:{self.event_id}"
