from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundig.core.models import User

from .choices import Channel, Direction, Kind, Priority

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT)


def follow_up_time(days: int = 1) -> dt.datetime:
    """``days`` from today at nine in the morning, local time."""
    moment = timezone.localtime() + dt.timedelta(days=days)
    return moment.replace(hour=9, minute=0, second=0, microsecond=0)


MEETING_CHANNELS = [
    (Channel.IN_PERSON, Channel.IN_PERSON.label),
    (Channel.VIDEO, Channel.VIDEO.label),
    (Channel.PHONE, Channel.PHONE.label),
]
QUICK_KINDS = (Kind.NOTE, Kind.CALL, Kind.MEETING, Kind.LETTER)


class LogEntryForm(forms.Form):
    """Log an interaction from the 360° page: note, call, meeting or letter."""

    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in QUICK_KINDS], widget=forms.HiddenInput
    )
    body = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=100_000,
    )
    summary = forms.CharField(label=_("Subject"), max_length=300, required=False)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (Direction.OUTBOUND, _("We contacted them")),
            (Direction.INBOUND, _("They contacted us")),
        ],
        required=False,
    )
    meeting_channel = forms.ChoiceField(
        label=_("Where"), choices=MEETING_CHANNELS, required=False
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"), min_value=0, max_value=24 * 60, required=False
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=_datetime_widget(),
        input_formats=[DATETIME_INPUT],
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        kwargs = {
            "kind": kind,
            "body": data.get("body") or "",
            "summary": data.get("summary") or "",
            "occurred_at": data.get("occurred_at"),
            "duration_minutes": data.get("duration_minutes"),
        }
        if kind in (Kind.CALL, Kind.LETTER) and data.get("direction"):
            kwargs["direction"] = data["direction"]
        if kind == Kind.MEETING and data.get("meeting_channel"):
            kwargs["channel"] = data["meeting_channel"]
        return kwargs


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("Due"), widget=_datetime_widget(), input_formats=[DATETIME_INPUT]
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    assignee = forms.ModelChoiceField(
        label=_("Assigned to"),
        queryset=User.objects.filter(is_active=True),
        empty_label=None,
    )
    remind_at = forms.DateTimeField(
        label=_("Reminder"),
        required=False,
        widget=_datetime_widget(),
        input_formats=[DATETIME_INPUT],
        help_text=_(
            "Empty: remind at the due time. You get a notification and an email."
        ),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    contact = forms.IntegerField(widget=forms.HiddenInput, required=False)
    company = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QuickTaskForm(forms.Form):
    """The follow-up task of the 360° page: a title and when."""

    WHEN = [
        ("1", _("Tomorrow")),
        ("3", _("In 3 days")),
        ("7", _("Next week")),
        ("custom", _("Pick a date")),
    ]
    title = forms.CharField(label=_("Follow-up"), max_length=200)
    when = forms.ChoiceField(choices=WHEN, initial="1", widget=forms.RadioSelect)
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=_datetime_widget(),
        input_formats=[DATETIME_INPUT],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )

    def clean(self):
        data = super().clean()
        when = data.get("when")
        if when == "custom":
            if not data.get("due_at"):
                self.add_error("due_at", _("Pick the date and time."))
        elif when:
            data["due_at"] = follow_up_time(int(when))
        return data


class EntryEditForm(forms.Form):
    summary = forms.CharField(label=_("Subject"), max_length=300, required=False)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
