"""Tickets: a customer's request, from any channel, until it is solved."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    OPEN_STATUSES,
    EntryKind,
    Priority,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)


class Queue(models.Model):
    """Where tickets wait for a team: mail to its mailbox opens tickets here."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    mailbox = models.OneToOneField(
        "messaging.Mailbox",
        verbose_name=_("mailbox"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Mail to this mailbox opens tickets in this queue."),
    )
    escalation_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalation owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who takes over the hard cases."),
    )
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Mail to a mailbox of no queue, and shop events, go here."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """One request of one customer, with its conversation (:class:`TicketEntry`)."""

    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TicketStatus.choices,
        default=TicketStatus.NEW,
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=TicketChannel.choices
    )
    category = models.CharField(
        _("category"),
        max_length=15,
        choices=TicketCategory.choices,
        default=TicketCategory.QUESTION,
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    order = models.ForeignKey(
        "commerce.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    shipment = models.ForeignKey(
        "commerce.Shipment",
        verbose_name=_("shipment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ret = models.ForeignKey(
        "commerce.Return",
        verbose_name=_("return"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Replies go out from here (the mailbox the customer wrote to).
    mailbox = models.ForeignKey(
        "messaging.Mailbox",
        verbose_name=_("mailbox"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What opened it ("mail:12", "event:345", "form:<uuid>"): once per source.
    source = models.CharField(max_length=100, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("reopened"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=~Q(source=""),
                name="service_ticket_once_per_source",
            )
        ]
        indexes = [
            models.Index(
                fields=["queue", "status", "-created_at"],
                name="service_ticket_queue_idx",
            ),
            models.Index(
                fields=["assignee", "status", "-created_at"],
                name="service_ticket_mine_idx",
            ),
            models.Index(
                fields=["contact", "-created_at"], name="service_ticket_contact_idx"
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="service_ticket_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("service:ticket_detail", args=[self.pk])

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketEntry(models.Model):
    """One step of a ticket's conversation: the customer's, an answer, a note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("text"), blank=True)
    # The customer's mail this entry is, once only; or the mail we sent.
    inbound = models.OneToOneField(
        "messaging.InboundMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.OneToOneField(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket entry")
        verbose_name_plural = _("ticket entries")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind}"


class ServiceSettings(models.Model):
    """One row: which shop events open a ticket on their own."""

    open_on_late_shipment = models.BooleanField(
        _("a parcel is late"),
        default=True,
        help_text=_("Open a ticket when a parcel is past its promised date."),
    )
    open_on_unavailable = models.BooleanField(
        _("an item cannot be delivered"),
        default=True,
        help_text=_("Open a ticket when an ordered item turns out unavailable."),
    )

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self) -> str:
        return str(_("Service settings"))

    @classmethod
    def current(cls) -> ServiceSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)
