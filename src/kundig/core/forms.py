from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import CustomFieldEntity, CustomFieldType, Language, Role, Visibility
from .models import CustomFieldDefinition, Team


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'Shop sync' or 'Reporting'."),
    )


class UserForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label="—"
    )
    new_team = forms.CharField(
        label=_("… or a new team"), max_length=100, required=False
    )
    visibility = forms.ChoiceField(
        label=_("Record visibility"),
        choices=[("", _("Role default")), *list(Visibility.choices)],
        required=False,
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("At least 10 characters. Leave empty to keep the current one."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.fields["password"].required = True
            self.fields["password"].help_text = _("At least 10 characters.")
            del self.fields["is_active"]
        else:
            self.fields["email"].disabled = True


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]


class CustomFieldForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Choices"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("For choice fields: one value per line."),
    )
    visible_to = forms.MultipleChoiceField(
        label=_("Visible to roles"),
        choices=[(r, label) for r, label in Role.choices if r != Role.ADMIN],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave all unticked to show the field to every role."),
    )

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "entity",
            "label",
            "key",
            "field_type",
            "required",
            "position",
            "is_active",
        ]
        widgets = {
            "entity": forms.Select(choices=CustomFieldEntity.choices),
            "field_type": forms.Select(choices=CustomFieldType.choices),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(self.instance.choices)
            self.fields["visible_to"].initial = self.instance.visible_to_roles
            # Changing these would orphan stored values.
            for name in ("entity", "key", "field_type"):
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        self.instance.choices = [
            line.strip()
            for line in (data.get("choices_text") or "").splitlines()
            if line.strip()
        ]
        self.instance.visible_to_roles = list(data.get("visible_to") or [])
        return data
