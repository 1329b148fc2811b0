from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import EVENT_TYPES


class SubscriptionForm(forms.Form):
    """The fields an admin edits; the service checks them (URL, event types, secret)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Which system receives the events, e.g. 'Warehouse'."),
    )
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_(
            "Where Kundig sends the events, e.g. https://example.com/hooks/kundig."
        ),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
        help_text=_(
            "Leave all unticked to receive every event, also ones added later."
        ),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "font-monospace", "autocomplete": "off"}
        ),
        help_text=_(
            "The receiver checks each request's signature with it. Keep the "
            "generated one unless the receiver gives you one (16 characters or more)."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
