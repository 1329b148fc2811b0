from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import SourceKind


class SourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=50,
        help_text=_("Letters, digits and hyphens; part of the intake address."),
    )
    url = forms.URLField(
        label=_("Address"),
        required=False,
        assume_scheme="https",
        help_text=_("The feed's address, or the Mastodon server (https://…)."),
    )
    token = forms.CharField(
        label=_("Access token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Mastodon: an access token of the account with the scope "
            "read:notifications. Empty keeps the stored one."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
