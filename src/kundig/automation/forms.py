"""The playbook editor: trigger, conditions and steps as rows of plain fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kundig.contacts.choices import LifecycleStage
from kundig.core.models import User
from kundig.integrations.outgoing.models import Subscription
from kundig.messaging.models import MessageTemplate

from . import conditions
from .choices import TRIGGERS, StepKind
from .models import ScanSettings

FIELD_CHOICES = [("", "—")] + [(k, v[0]) for k, v in conditions.FIELDS.items()]
OP_CHOICES = [("", "—"), *conditions.OPERATORS.items()]
EXTRA_STEPS = 3
EXTRA_CONDITIONS = 2


class PlaybookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    trigger = forms.ChoiceField(label=_("Starts when"), choices=list(TRIGGERS.items()))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)


class ConditionForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), choices=FIELD_CHOICES, required=False)
    op = forms.ChoiceField(label=_("Operator"), choices=OP_CHOICES, required=False)
    value = forms.CharField(label=_("Value"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def as_condition(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("field"):
            return None
        return {"field": data["field"], "op": data["op"], "value": data["value"]}


class StepForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Step"), choices=[("", "—"), *StepKind.choices], required=False
    )
    template = forms.ChoiceField(label=_("Template"), required=False)
    offer_text = forms.CharField(
        label=_("Goodwill offer"), required=False, max_length=300
    )
    offer_code = forms.CharField(label=_("Coupon code"), required=False, max_length=60)
    days = forms.IntegerField(label=_("Days"), required=False, min_value=0)
    hours = forms.IntegerField(
        label=_("Hours"), required=False, min_value=0, max_value=23
    )
    until_event = forms.ChoiceField(
        label=_("Or until"), required=False, choices=[("", "—"), *TRIGGERS.items()]
    )
    title = forms.CharField(label=_("Task title"), required=False, max_length=200)
    due_days = forms.IntegerField(label=_("Due in days"), required=False, min_value=0)
    assignee = forms.ChoiceField(label=_("For"), required=False)
    user = forms.ChoiceField(label=_("Owner"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", "—"), *LifecycleStage.choices]
    )
    subscription = forms.ChoiceField(label=_("Webhook"), required=False)
    field = forms.ChoiceField(label=_("If"), choices=FIELD_CHOICES, required=False)
    op = forms.ChoiceField(label=_("Operator"), choices=OP_CHOICES, required=False)
    value = forms.CharField(label=_("Value"), required=False, max_length=500)
    else_goto = forms.IntegerField(
        label=_("Else go to step (0: stop)"), required=False, min_value=0
    )

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or {}
        self.fields["template"].choices = choices.get("template", [])
        self.fields["assignee"].choices = choices.get("assignee", [])
        self.fields["user"].choices = choices.get("user", [])
        self.fields["subscription"].choices = choices.get("subscription", [])
        _style(self)

    def as_step(self) -> dict | None:
        data = self.cleaned_data
        kind = data.get("kind")
        if not kind:
            return None
        step = {"kind": kind}
        for name in (
            "template",
            "offer_text",
            "offer_code",
            "days",
            "hours",
            "until_event",
            "title",
            "due_days",
            "assignee",
            "user",
            "tag",
            "stage",
            "subscription",
            "else_goto",
        ):
            if data.get(name) not in (None, ""):
                step[name] = data[name]
        if kind == StepKind.BRANCH and data.get("field"):
            step["conditions"] = [
                {"field": data["field"], "op": data["op"], "value": data["value"]}
            ]
        return step


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
        field.widget.attrs.setdefault("class", css)


def step_choices() -> dict[str, list]:
    users = [
        (str(u.pk), str(u))
        for u in User.objects.filter(is_active=True).order_by("email")
    ]
    return {
        "template": [("", "—")]
        + [(t.key, t.name) for t in MessageTemplate.objects.order_by("name")],
        "assignee": [("owner", _("The contact's owner")), *users],
        "user": [("", "—"), *users],
        "subscription": [("", "—")]
        + [(str(s.pk), s.name) for s in Subscription.objects.all()],
    }


def step_initial(step: dict) -> dict:
    initial = {k: v for k, v in step.items() if k != "conditions"}
    if step.get("conditions"):
        first = step["conditions"][0]
        value = first["value"]
        initial.update(
            field=first["field"],
            op=first["op"],
            value=", ".join(value) if isinstance(value, list) else value,
        )
    return initial


def condition_initial(condition: dict) -> dict:
    value = condition["value"]
    return {
        **condition,
        "value": ", ".join(value) if isinstance(value, list) else value,
    }


class ScanSettingsForm(forms.ModelForm):
    class Meta:
        model = ScanSettings
        fields = ["inactive_after_days", "tell_owner"]

    def clean_inactive_after_days(self):
        days = self.cleaned_data["inactive_after_days"]
        if days < 7:
            raise forms.ValidationError(_("Choose at least 7 days."))
        if days > 3650:
            raise forms.ValidationError(_("Choose at most 3,650 days (ten years)."))
        return days
