"""The service desk's forms: they parse input, the services decide."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kundig.core.models import Team, User
from kundig.messaging.models import Mailbox

from .choices import Priority, TicketCategory, TicketChannel, TicketStatus
from .models import Queue

# What an agent logs by hand; mail and shop events open tickets on their own.
AGENT_CHANNELS = [
    (channel.value, channel.label)
    for channel in (
        TicketChannel.PHONE,
        TicketChannel.LETTER,
        TicketChannel.WEB,
        TicketChannel.EMAIL,
        TicketChannel.CHAT,
        TicketChannel.SOCIAL,
    )
]


def active_users():
    return User.objects.filter(is_active=True).order_by(
        "first_name", "last_name", "email"
    )


def _user_field(label, *, required=False, empty_label=None, help_text=""):
    return forms.ModelChoiceField(
        label=label,
        queryset=active_users(),
        required=required,
        empty_label=empty_label,
        help_text=help_text,
    )


class TicketForm(forms.Form):
    """A ticket an agent logs: a call, a letter, a message from elsewhere."""

    contact = forms.IntegerField(
        label=_("Customer"),
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose the customer.")},
    )
    contact_label = forms.CharField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=AGENT_CHANNELS, initial=TicketChannel.PHONE
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=TicketCategory.choices,
        initial=TicketCategory.QUESTION,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.all(), empty_label=None
    )
    assignee = _user_field(
        _("Assigned to"),
        empty_label=_("Nobody yet"),
        help_text=_("Calls and letters are yours unless you choose someone."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("What the customer wants"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    order = forms.CharField(
        label=_("Order number"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "recent-orders", "autocomplete": "off"}),
        help_text=_("Optional: the customer's order this is about."),
    )


class ReplyForm(forms.Form):
    """The answer to the customer; ``key`` makes a double click send one mail."""

    text = forms.CharField(
        label=_("Reply to the customer"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    status = forms.ChoiceField(
        label=_("After sending"),
        choices=TicketStatus.choices,
        initial=TicketStatus.WAITING_CUSTOMER,
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=32)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your team sees it; it is never sent."),
    )


class TicketChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices)
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.all(), empty_label=None
    )
    assignee = _user_field(_("Assigned to"), empty_label=_("Nobody"))

    @classmethod
    def for_ticket(cls, ticket, data=None) -> TicketChangeForm:
        form = cls(
            data,
            initial={
                "status": ticket.status,
                "priority": ticket.priority,
                "category": ticket.category,
                "queue": ticket.queue_id,
                "assignee": ticket.assignee_id,
            },
        )
        if ticket.assignee_id:
            # Someone who has left still shows as the assignee.
            form.fields["assignee"].queryset = User.objects.filter(
                Q(is_active=True) | Q(pk=ticket.assignee_id)
            ).order_by("first_name", "last_name", "email")
        return form


class QueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label="—"
    )
    mailbox = forms.ModelChoiceField(
        label=_("Mailbox"),
        queryset=Mailbox.objects.order_by("name"),
        required=False,
        empty_label="—",
        help_text=_("Mail to this mailbox opens tickets in this queue."),
    )
    escalation_owner = _user_field(
        _("Escalation owner"),
        empty_label="—",
        help_text=_("Who takes over the hard cases."),
    )
    is_default = forms.BooleanField(
        label=_("Default queue"),
        required=False,
        help_text=_("Mail to a mailbox of no queue, and shop events, go here."),
    )


class ServiceSettingsForm(forms.Form):
    open_on_late_shipment = forms.BooleanField(
        label=_("Open a ticket when a parcel is late"), required=False
    )
    open_on_unavailable = forms.BooleanField(
        label=_("Open a ticket when an ordered item cannot be delivered"),
        required=False,
    )
