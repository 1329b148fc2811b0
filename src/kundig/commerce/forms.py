from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import SalesChannel


class OrderImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or Excel (.xlsx), one row per order line."),
    )
    source = forms.SlugField(
        label=_("Source"),
        max_length=40,
        initial="import",
        help_text=_(
            "Names the system the order numbers come from, e.g. pos-berlin or "
            "amazon. Importing the same file again with the same source adds "
            "nothing."
        ),
    )
    channel = forms.ChoiceField(
        label=_("Sales channel"),
        choices=SalesChannel.choices,
        initial=SalesChannel.STORE,
        help_text=_("For rows without a channel column."),
    )


class OrderReassignForm(forms.Form):
    contact = forms.IntegerField(
        label=_("The right contact"),
        min_value=1,
        error_messages={"required": _("Choose the contact the order belongs to.")},
    )
