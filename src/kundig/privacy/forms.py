from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .choices import PURPOSES, Channel

KINDS = [
    ("given", _("Consent given")),
    ("withdrawn", _("Consent withdrawn")),
    ("objected", _("Objection to all marketing")),
]


class ConsentForm(forms.Form):
    """Staff record a consent, a withdrawal or an objection they have proof of."""

    kind = forms.ChoiceField(label=_("What happened"), choices=KINDS)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Channel.choices, initial=Channel.EMAIL
    )
    note = forms.CharField(
        label=_("Proof or note"),
        max_length=500,
        required=False,
        help_text=_('E.g. "signed form of 2 Nov 2026, filed in the customer folder".'),
    )


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    # Left empty by people; bots fill every field.
    website = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={"class": "d-none", "tabindex": "-1", "autocomplete": "off"}
        ),
    )


class ConsentTextForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    text = forms.CharField(
        label=_("Consent text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Publishing a changed text makes a new version; who agreed to the old "
            "one keeps it in their ledger."
        ),
    )
