"""Where social posts come from, and the posts themselves."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import SourceKind


class Source(models.Model):
    """A feed, a Mastodon account, or an endpoint other tools post to."""

    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    url = models.URLField(
        _("address"),
        blank=True,
        help_text=_("The feed's address, or the Mastodon server (https://…)."),
    )
    # Mastodon: the account's access token (read:notifications), encrypted.
    token_encrypted = models.TextField(blank=True, editable=False)
    # Intake: the SHA-256 of the key senders present; the key is shown once.
    key_hash = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Mastodon: the newest notification seen, so a poll asks only for newer.
    cursor = models.CharField(max_length=100, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("social source")
        verbose_name_plural = _("social sources")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("social:source_edit", args=[self.pk])

    def intake_path(self) -> str:
        return reverse("social:intake", args=[self.slug])


class Post(models.Model):
    """One post, once per source and id, with its text as plain text."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="posts")
    external_id = models.CharField(max_length=300)
    network = models.CharField(_("network"), max_length=30)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_handle = models.CharField(_("handle"), max_length=200, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    text = models.TextField(_("text"))
    posted_at = models.DateTimeField(_("posted"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # Who wrote it, once a rule made a ticket or task of it: their next
    # post goes to the same contact.
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("social post")
        verbose_name_plural = _("social posts")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="social_post_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["network", "author_handle"], name="social_post_author_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_handle or self.author_name}: {self.text[:50]}"
