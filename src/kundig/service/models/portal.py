"""The customer portal's sign-in links (magic links: no password)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PortalLink(models.Model):
    """A one-time sign-in link mailed to a customer; only its hash is kept."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["contact", "-created_at"], name="service_portallink_recent_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.created_at:%Y-%m-%d %H:%M}"
