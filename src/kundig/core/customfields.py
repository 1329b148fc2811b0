"""Admin-defined custom fields: validation, form fields and display.

Values live in a JSON column on the record (``custom``), keyed by the
definition's ``key``. Stored forms: text and choice as strings, numbers as
canonical decimal strings (exact, unlike JSON floats), dates as ISO strings,
booleans as booleans.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from .choices import CustomFieldType
from .models import CustomFieldDefinition
from .text import has_control_characters

TEXT_MAX_LENGTH = 1000
NUMBER_MAX_EXPONENT = 30  # 10^30 covers any amount of money or stock
_TRUE = {"1", "true", "yes", "ja", "y", "j", "x", "on", "wahr"}
_FALSE = {"0", "false", "no", "nein", "n", "off", "falsch", ""}


def definitions_for(entity: str, *, user=None) -> list[CustomFieldDefinition]:
    defs = list(CustomFieldDefinition.objects.filter(entity=entity, is_active=True))
    if user is not None:
        defs = [d for d in defs if d.is_visible_to(user)]
    return defs


def convert_value(definition: CustomFieldDefinition, raw):
    """Return the stored form of ``raw``; raise ValueError if it is not valid."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        value = str(raw).strip()
        if has_control_characters(value):
            raise ValueError(_("Remove the invisible control characters."))
        if len(value) > TEXT_MAX_LENGTH:
            raise ValueError(_("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH})
        return value
    if kind == CustomFieldType.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a number."))
        text = str(raw).strip().replace(" ", "")
        if "," in text and "." in text:
            text = text.replace(".", "").replace(",", ".")  # German 1.234,56
        else:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        if (
            number != 0
            and not -NUMBER_MAX_EXPONENT <= number.adjusted() <= NUMBER_MAX_EXPONENT
        ):
            raise ValueError(_("This number is too large or too small."))
        return format(number.normalize(), "f") if number != 0 else "0"
    if kind == CustomFieldType.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        text = str(raw).strip()
        parsed = None
        try:
            parsed = parse_date(text)
        except ValueError:
            parsed = None
        if parsed is None:
            try:
                parsed = dt.datetime.strptime(text, "%d.%m.%Y").date()
            except ValueError:
                raise ValueError(
                    _("Enter a date as YYYY-MM-DD or DD.MM.YYYY.")
                ) from None
        return parsed.isoformat()
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind == CustomFieldType.CHOICE:
        text = str(raw).strip()
        for choice in definition.choices:
            if choice.lower() == text.lower():
                return choice
        raise ValueError(
            _("Choose one of: %(choices)s.")
            % {"choices": ", ".join(definition.choices)}
        )
    raise ValueError(f"Unknown field type {kind}")


def clean_custom_values(
    *,
    entity: str,
    values: dict | None,
    existing: dict | None = None,
    user=None,
    creating: bool = False,
    definitions: list[CustomFieldDefinition] | None = None,
) -> dict:
    """Validate ``values`` against the definitions; return the merged stored dict.

    Keys missing from ``values`` keep their ``existing`` value. Errors name the
    field as ``custom.<key>``.
    """
    defs = {d.key: d for d in (definitions or definitions_for(entity))}
    result = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for key, raw in (values or {}).items():
        definition = defs.get(key)
        if definition is None or (
            user is not None and not definition.is_visible_to(user)
        ):
            errors[f"custom.{key}"] = [
                _("There is no custom field %(key)s.") % {"key": key}
            ]
            continue
        try:
            value = convert_value(definition, raw)
        except ValueError as exc:
            errors[f"custom.{key}"] = [str(exc)]
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    for key, definition in defs.items():
        if not definition.required or f"custom.{key}" in errors:
            continue
        if result.get(key) in (None, "") and (creating or key in (values or {})):
            errors[f"custom.{key}"] = [
                _("%(label)s is required.") % {"label": definition.label}
            ]
    if errors:
        raise ValidationError(errors)
    return result


def form_field(definition: CustomFieldDefinition) -> forms.Field:
    common = {"label": definition.label, "required": definition.required}
    kind = definition.field_type
    if kind == CustomFieldType.NUMBER:
        return forms.DecimalField(**common)
    if kind == CustomFieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomFieldType.BOOLEAN:
        return forms.BooleanField(label=definition.label, required=False)
    if kind == CustomFieldType.CHOICE:
        choices = [("", "—"), *[(c, c) for c in definition.choices]]
        return forms.ChoiceField(choices=choices, **common)
    return forms.CharField(max_length=TEXT_MAX_LENGTH, **common)


def initial_value(definition: CustomFieldDefinition, stored):
    if stored is None:
        return None
    if definition.field_type == CustomFieldType.NUMBER:
        return Decimal(stored)
    if definition.field_type == CustomFieldType.DATE:
        return dt.date.fromisoformat(stored)
    return stored


def display_value(definition: CustomFieldDefinition, stored) -> str:
    if stored is None or stored == "":
        return ""
    if definition.field_type == CustomFieldType.BOOLEAN:
        return _("yes") if stored else _("no")
    if definition.field_type == CustomFieldType.NUMBER:
        return formats.number_format(Decimal(stored), use_l10n=True)
    if definition.field_type == CustomFieldType.DATE:
        return formats.date_format(dt.date.fromisoformat(stored), "SHORT_DATE_FORMAT")
    return str(stored)
