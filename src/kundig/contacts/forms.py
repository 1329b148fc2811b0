"""Web forms for contacts and companies.

Forms only parse what the browser sends; the services validate and write.
:func:`apply_service_errors` puts a service's field errors (``emails.1.email``)
back next to the right input.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from kundig.core.customfields import form_field, initial_value
from kundig.core.models import Team, User

from .choices import (
    AddressKind,
    CompanySize,
    EmailKind,
    FormOfAddress,
    LegalForm,
    LifecycleStage,
    PhoneKind,
    Salutation,
    Source,
)
from .models import CONTACT_LANGUAGES
from .services import AddressData, CompanyLinkData, EmailData, PhoneData


def _live(kind: str, **attrs) -> dict:
    """Widget attributes that check the value on the server when the field is left."""
    return {
        "hx-post": reverse_lazy("contacts:validate_field", args=[kind]),
        "hx-trigger": "change",
        "hx-target": "next .field-feedback",
        "hx-swap": "innerHTML",
        **attrs,
    }


class _OwnerTeamMixin:
    def _owner_team_fields(self):
        self.fields["owner"] = forms.ModelChoiceField(
            label=_("Owner"),
            queryset=User.objects.filter(is_active=True),
            required=False,
            empty_label=_("Nobody"),
        )
        self.fields["team"] = forms.ModelChoiceField(
            label=_("Team"),
            queryset=Team.objects.all(),
            required=False,
            empty_label=_("No team"),
            help_text=_("Empty: the owner's team."),
        )


class CustomFieldsMixin:
    """Adds one form field per custom field definition, named ``custom__<key>``."""

    def _add_custom_fields(self, definitions, stored: dict | None):
        self.custom_definitions = definitions
        for definition in definitions:
            name = f"custom__{definition.key}"
            self.fields[name] = form_field(definition)
            if stored and definition.key in stored:
                self.initial[name] = initial_value(definition, stored[definition.key])

    def custom_values(self) -> dict:
        values = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(f"custom__{definition.key}")
            values[definition.key] = None if value in ("", None) else value
        return values

    @property
    def custom_bound_fields(self):
        return [self[f"custom__{d.key}"] for d in self.custom_definitions]


class ContactForm(_OwnerTeamMixin, CustomFieldsMixin, forms.Form):
    salutation = forms.ChoiceField(label=_("Salutation"), choices=Salutation.choices)
    title = forms.CharField(label=_("Academic title"), max_length=50, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    form_of_address = forms.ChoiceField(
        label=_("Form of address"), choices=FormOfAddress.choices
    )
    language = forms.ChoiceField(label=_("Language"), choices=CONTACT_LANGUAGES)
    birthday = forms.DateField(
        label=_("Birthday"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), choices=LifecycleStage.choices
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", "—"), *Source.choices], required=False
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate with commas, e.g. VIP, Newsletter"),
    )
    external_id = forms.CharField(
        label=_("External ID"),
        max_length=100,
        required=False,
        help_text=_("The customer number in your shop or ERP."),
    )

    def __init__(self, *args, definitions=(), stored_custom=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_team_fields()
        self._add_custom_fields(definitions, stored_custom)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        names = (
            "salutation", "title", "first_name", "last_name", "form_of_address",
            "language", "birthday", "lifecycle_stage", "source", "owner", "team",
            "external_id",
        )  # fmt: skip
        return {name: data.get(name) for name in names}

    def tag_names(self) -> list[str]:
        return [
            t.strip()
            for t in (self.cleaned_data.get("tags") or "").split(",")
            if t.strip()
        ]


class EmailForm(forms.Form):
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs=_live("email", autocomplete="off")),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=EmailKind.choices)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs=_live("phone", type="tel", autocomplete="off")),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PhoneKind.choices)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AddressKind.choices)
    recipient = forms.CharField(label=_("Recipient"), max_length=200, required=False)
    street = forms.CharField(
        label=_("Street and number"), max_length=200, required=False
    )
    extra = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.ChoiceField(
        # A callable, so the names are in the language of each request.
        label=_("Country"),
        choices=lambda: list(countries),
        initial="DE",
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(
            data.get(n) for n in ("recipient", "street", "extra", "postcode", "city")
        )


class CompanyLinkForm(forms.Form):
    company = forms.IntegerField(widget=forms.HiddenInput, required=False)
    company_label = forms.CharField(required=False, widget=forms.HiddenInput)
    role = forms.CharField(label=_("Role"), max_length=100, required=False)
    is_primary = forms.BooleanField(label=_("Main company"), required=False)


EmailFormSet = formset_factory(
    EmailForm, extra=0, can_delete=True, max_num=20, validate_max=True
)
PhoneFormSet = formset_factory(
    PhoneForm, extra=0, can_delete=True, max_num=20, validate_max=True
)
AddressFormSet = formset_factory(
    AddressForm, extra=0, can_delete=True, max_num=10, validate_max=True
)
CompanyLinkFormSet = formset_factory(
    CompanyLinkForm, extra=0, can_delete=True, max_num=20, validate_max=True
)


def _kept(formset) -> list[forms.Form]:
    return [
        f
        for f in formset.forms
        if f.is_valid() and not (formset.can_delete and f.cleaned_data.get("DELETE"))
    ]


def email_rows(formset) -> tuple[list[EmailData], list[forms.Form]]:
    rows, forms_used = [], []
    for f in _kept(formset):
        if (f.cleaned_data.get("email") or "").strip():
            rows.append(
                EmailData(
                    f.cleaned_data["email"],
                    f.cleaned_data["kind"],
                    f.cleaned_data["is_primary"],
                )
            )
            forms_used.append(f)
    return rows, forms_used


def phone_rows(formset) -> tuple[list[PhoneData], list[forms.Form]]:
    rows, forms_used = [], []
    for f in _kept(formset):
        if (f.cleaned_data.get("number") or "").strip():
            rows.append(
                PhoneData(
                    f.cleaned_data["number"],
                    f.cleaned_data["kind"],
                    f.cleaned_data["is_primary"],
                )
            )
            forms_used.append(f)
    return rows, forms_used


def address_rows(formset) -> tuple[list[AddressData], list[forms.Form]]:
    rows, forms_used = [], []
    for f in _kept(formset):
        if not f.is_blank():
            d = f.cleaned_data
            rows.append(
                AddressData(
                    street=d["street"],
                    postcode=d["postcode"],
                    city=d["city"],
                    country=d["country"],
                    kind=d["kind"],
                    extra=d["extra"],
                    recipient=d["recipient"],
                )
            )
            forms_used.append(f)
    return rows, forms_used


def company_rows(formset) -> tuple[list[CompanyLinkData], list[forms.Form]]:
    rows, forms_used = [], []
    for f in _kept(formset):
        if f.cleaned_data.get("company"):
            rows.append(
                CompanyLinkData(
                    f.cleaned_data["company"],
                    f.cleaned_data["role"],
                    f.cleaned_data["is_primary"],
                )
            )
            forms_used.append(f)
    return rows, forms_used


_FORMSET_FIELD = {"companies": {"company": "company_label"}}


def apply_service_errors(exc: ValidationError, form, formsets: dict) -> None:
    """Put the service's errors next to the inputs they are about.

    ``formsets`` maps a service list name ("emails") to ``(formset, forms_used)``
    where ``forms_used[i]`` is the form that produced item ``i``.
    """
    for key, messages in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] in formsets and len(parts) == 3 and parts[1].isdigit():
            _formset, used = formsets[parts[0]]
            index, field = int(parts[1]), parts[2]
            if index < len(used):
                target = used[index]
                field = _FORMSET_FIELD.get(parts[0], {}).get(field, field)
                target.add_error(field if field in target.fields else None, messages)
                continue
        if parts[0] == "custom" and len(parts) == 2:
            name = f"custom__{parts[1]}"
            if name in form.fields:
                form.add_error(name, messages)
                continue
        form.add_error(key if key in form.fields else None, messages)


class CompanyForm(_OwnerTeamMixin, CustomFieldsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    legal_form = forms.ChoiceField(
        label=_("Legal form"), choices=[("", "—"), *LegalForm.choices], required=False
    )
    vat_id = forms.CharField(
        label=_("VAT ID"),
        max_length=30,
        required=False,
        help_text=_("e.g. DE123456789"),
        widget=forms.TextInput(attrs=_live("vat_id")),
    )
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    size = forms.ChoiceField(
        label=_("Size"), choices=[("", "—"), *CompanySize.choices], required=False
    )
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs=_live("email")),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs=_live("phone", type="tel")),
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate with commas.")
    )
    external_id = forms.CharField(
        label=_("External ID"), max_length=100, required=False
    )

    def __init__(self, *args, definitions=(), stored_custom=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_team_fields()
        self._add_custom_fields(definitions, stored_custom)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        names = (
            "name", "legal_form", "vat_id", "industry", "size", "website", "email",
            "phone", "owner", "team", "external_id",
        )  # fmt: skip
        return {name: data.get(name) for name in names}

    def tag_names(self) -> list[str]:
        return [
            t.strip()
            for t in (self.cleaned_data.get("tags") or "").split(",")
            if t.strip()
        ]


class BulkForm(forms.Form):
    ACTIONS = [
        ("tag", _("Add tag")),
        ("untag", _("Remove tag")),
        ("assign", _("Assign owner")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.CharField(required=False)
    all_matching = forms.BooleanField(required=False)
    query = forms.CharField(required=False)
    tag = forms.CharField(required=False, max_length=50)
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True), required=False
    )

    def clean_ids(self):
        raw = self.cleaned_data.get("ids") or ""
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise ValidationError(_("Invalid selection.")) from None

    def clean(self):
        data = super().clean()
        if not data.get("ids") and not data.get("all_matching"):
            raise ValidationError(_("Select at least one record."))
        action = data.get("action")
        if action in ("tag", "untag") and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Enter a tag."))
        if action == "assign" and not data.get("owner"):
            self.add_error("owner", _("Choose an owner."))
        return data
