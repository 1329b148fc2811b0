"""The public channels: chat conversations from the website widget and
requests from the contact form; each one is a ticket."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ChatConversation(models.Model):
    """A visitor's chat; the token (kept as its hash) is their key to it."""

    ticket = models.OneToOneField(
        "service.Ticket", on_delete=models.CASCADE, related_name="chat"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # Who started it (a hash of the address), for the per-visitor limit.
    client_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the visitor's chat window last asked for news: an answer to a
    # visitor who has gone away goes by mail too.
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.ticket_id})"


class WebFormEntry(models.Model):
    """A request sent through the public contact form (its ticket), with a
    hash of the sender's address for the per-visitor limit."""

    ticket = models.OneToOneField(
        "service.Ticket", on_delete=models.CASCADE, related_name="web_form"
    )
    client_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"form {self.pk} ({self.ticket_id})"
