from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ItemCondition, ReturnReason, ReturnStatus, SalesChannel


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


class ReturnAnnounceForm(forms.Form):
    """A return of some of an order's lines; one quantity field per line."""

    reason = forms.ChoiceField(label=_("Reason"), choices=ReturnReason.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order.lines.all())
        for line in self.order_lines:
            self.fields[f"line-{line.pk}"] = forms.DecimalField(
                label=line.name,
                required=False,
                min_value=0,
                max_value=line.quantity,
                decimal_places=3,
                initial=0,
            )

    def line_fields(self):
        return [(line, self[f"line-{line.pk}"]) for line in self.order_lines]

    def quantities(self) -> dict[int, object]:
        return {
            line.pk: self.cleaned_data.get(f"line-{line.pk}") or 0
            for line in self.order_lines
        }


class ReturnStepForm(forms.Form):
    status = forms.ChoiceField(label=_("Next step"), choices=ReturnStatus.choices)
    label_reference = forms.CharField(
        label=_("Return label"), required=False, max_length=100
    )
    carrier = forms.CharField(label=_("Carrier"), required=False, max_length=50)
    tracking_number = forms.CharField(
        label=_("Tracking number"), required=False, max_length=100
    )
    condition = forms.ChoiceField(
        label=_("Condition"), required=False, choices=ItemCondition.choices
    )
