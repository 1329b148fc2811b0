"""Tickets: a customer's request, from any channel, until it is solved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from ..calendar import BusinessHours
from ..choices import (
    OPEN_STATUSES,
    EntryKind,
    Priority,
    Sentiment,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from ..expressions import DUE_AT, PRIORITY_RANK


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
    team_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Takes a ticket over at the first escalation."),
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
    # Service level: the policy that applied, and the clock it set.
    sla_policy = models.ForeignKey(
        "SlaPolicy",
        verbose_name=_("service level"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    first_response_due_at = models.DateTimeField(_("answer by"), null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(
        _("answer overdue since"), null=True, blank=True
    )
    resolution_due_at = models.DateTimeField(_("solve by"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(
        _("solution overdue since"), null=True, blank=True
    )
    # While it waits on the customer, the solution's clock stands still.
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_paused_minutes = models.FloatField(default=0)
    # How the customer sounded (social posts for now): angry ones go first.
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, blank=True
    )
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("reopened"), default=0)
    # Merged into another ticket of the same customer: that one goes on.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

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
            # The list's sorts, on the open tickets it shows by default.
            models.Index(
                PRIORITY_RANK,
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="service_ticket_prio_idx",
            ),
            models.Index(
                # ascending, as PostgreSQL sorts: its NULLs (no clock) come
                # last, as the list's "nulls last" asks (SQLite cannot say
                # so in an index)
                DUE_AT,
                F("created_at"),
                F("id"),
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="service_ticket_due_idx",
            ),
            models.Index(
                F("updated_at").desc(),
                F("id").desc(),
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="service_ticket_changed_idx",
            ),
            # The dashboard's weeks of solved tickets.
            models.Index(
                fields=["solved_at"],
                condition=Q(solved_at__isnull=False),
                name="service_ticket_solved_idx",
            ),
            # The scheduler's service-level scan: each clock still running.
            models.Index(
                fields=["first_response_warn_at"],
                condition=Q(
                    first_response_at__isnull=True,
                    first_response_warned_at__isnull=True,
                    status__in=[s.value for s in OPEN_STATUSES],
                ),
                name="service_ticket_fr_warn_idx",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(
                    first_response_at__isnull=True,
                    first_response_breached_at__isnull=True,
                    status__in=[s.value for s in OPEN_STATUSES],
                ),
                name="service_ticket_fr_due_idx",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=Q(
                    resolution_warned_at__isnull=True,
                    sla_paused_at__isnull=True,
                    status__in=[s.value for s in OPEN_STATUSES],
                ),
                name="service_ticket_res_warn_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(
                    resolution_breached_at__isnull=True,
                    sla_paused_at__isnull=True,
                    status__in=[s.value for s in OPEN_STATUSES],
                ),
                name="service_ticket_res_due_idx",
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
    # A reply in the chat (no mail): the form's key, so it is written once.
    key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket entry")
        verbose_name_plural = _("ticket entries")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="service_entry_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind}"


def _attachment_path(attachment: TicketAttachment, filename: str) -> str:
    try:
        name = get_valid_filename(filename)
    except SuspiciousFileOperation:  # nothing usable left of the name
        name = "scan"
    return f"service/{attachment.created_at:%Y/%m}/{attachment.entry.ticket_id}/{name}"


class TicketAttachment(models.Model):
    """A file on a ticket's message: a scanned letter, say. Checked by its
    content when added, and only ever handed out as a download."""

    entry = models.ForeignKey(
        TicketEntry, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"), default=0)
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class SlaPolicy(models.Model):
    """A service level: answer within …, solve within …, for the tickets it fits.

    The first active policy (by position) whose priority, category and
    channel fit the ticket applies; an empty one fits any.
    """

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, blank=True
    )
    category = models.CharField(
        _("category"), max_length=15, choices=TicketCategory.choices, blank=True
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=TicketChannel.choices, blank=True
    )
    first_response_minutes = models.PositiveIntegerField(_("answer within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("solve within (minutes)"))
    business_hours = models.BooleanField(
        _("in business hours"),
        default=True,
        help_text=_("Count only the service desk's hours (else around the clock)."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")

    def __str__(self) -> str:
        return self.name

    def fits(self, ticket) -> bool:
        return all(
            not wanted or wanted == getattr(ticket, field)
            for field, wanted in (
                ("priority", self.priority),
                ("category", self.category),
                ("channel", self.channel),
            )
        )


class ServiceSettings(models.Model):
    """One row: which shop events open a ticket on their own, and the desk's hours."""

    open_on_late_shipment = models.BooleanField(
        _("a parcel is late"),
        default=True,
        help_text=_("Open a ticket when a parcel is past its promised date."),
    )
    open_on_revocation_rejected = models.BooleanField(
        _("a revocation is rejected"),
        default=True,
        help_text=_("Open a ticket when the shop rejects a customer's revocation."),
    )
    open_on_unavailable = models.BooleanField(
        _("an item cannot be delivered"),
        default=True,
        help_text=_("Open a ticket when an ordered item turns out unavailable."),
    )

    work_days = models.CharField(
        _("working days"),
        max_length=7,
        default="12345",
        help_text=_("ISO weekdays: 1 Monday … 7 Sunday."),
    )
    work_start = models.TimeField(_("from"), default=dt.time(8))
    work_end = models.TimeField(_("until"), default=dt.time(18))
    holiday_region = models.CharField(
        _("public holidays of"),
        max_length=5,
        blank=True,
        help_text=_("A Bundesland's own holidays count too; empty: nationwide only."),
    )
    # Tickets the escalation owner takes at once, as they open.
    escalate_categories = models.CharField(
        _("escalate tickets of these categories"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated category keys, e.g. revocation,complaint."),
    )
    escalate_negative = models.BooleanField(
        _("escalate angry customers"), default=False
    )
    escalate_valued = models.BooleanField(_("escalate valued customers"), default=False)
    ask_rating = models.BooleanField(
        _("ask for a rating when a ticket is solved"),
        default=True,
        help_text=_(
            "A satisfaction survey (1 to 5) by mail, once per ticket, to customers "
            "who agreed to surveys."
        ),
    )
    # Goodwill limits grow for customers who have bought much.
    valued_revenue = models.DecimalField(
        _("valued customers from (revenue)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("1000.00"),
        validators=[MinValueValidator(0)],
        help_text=_("Customers who have bought at least this much are valued."),
    )
    valued_factor = models.DecimalField(
        _("goodwill limits for valued customers ×"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(1)],
        help_text=_("Every goodwill limit is multiplied by this for them."),
    )

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self) -> str:
        return str(_("Service settings"))

    @classmethod
    def current(cls) -> ServiceSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def business_hours(self) -> BusinessHours:
        return BusinessHours(
            days=frozenset(int(day) for day in self.work_days if day in "1234567"),
            start=self.work_start,
            end=self.work_end,
            region=self.holiday_region,
        )
