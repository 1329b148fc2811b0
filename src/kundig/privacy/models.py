from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import PURPOSES, Action, Channel, Source, Status


class ConsentText(models.Model):
    """The exact wording a contact agreed to, one version per purpose and language.

    Versions are never edited: a changed wording is a new version, so every
    ledger line keeps pointing at what the person actually read.
    """

    purpose = models.CharField(_("purpose"), max_length=20, choices=PURPOSES)
    language = models.CharField(_("language"), max_length=5)
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("consent text"))
    created_at = models.DateTimeField(_("published"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["purpose", "language", "-version"]
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "language", "version"],
                name="privacy_text_one_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.language} v{self.version}"


class ConsentRecord(models.Model):
    """One line of the consent ledger: who agreed or withdrew, when, how, to what.

    Append-only; the current state is kept in :class:`Consent`.
    """

    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=PURPOSES)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    email = models.EmailField(_("address"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    text = models.ForeignKey(
        ConsentText,
        verbose_name=_("consent text"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("proof or note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent ledger")
        indexes = [
            models.Index(
                fields=["contact", "-occurred_at"], name="privacy_record_contact_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.purpose}/{self.channel}: {self.action}"


class Consent(models.Model):
    """A contact's current consent for one purpose on one channel."""

    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=PURPOSES)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    since = models.DateTimeField(_("since"))
    record = models.ForeignKey(
        ConsentRecord, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["purpose", "channel"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "purpose", "channel"],
                name="privacy_consent_one_per_purpose",
            )
        ]
        indexes = [
            # The send check: which of these contacts may get this purpose.
            models.Index(
                fields=["purpose", "channel", "contact"],
                condition=Q(status=Status.GRANTED),
                name="privacy_consent_granted_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.purpose}/{self.channel}: {self.status}"


class OptInRequest(models.Model):
    """A sign-up waiting for its confirmation click (double opt-in).

    Only a hash of the link's token is stored: a leaked database does not
    confirm anybody.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=PURPOSES)
    email = models.EmailField(_("address"))
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(
        ConsentRecord, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["contact", "purpose", "-created_at"],
                name="privacy_optin_recent_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.purpose}"
