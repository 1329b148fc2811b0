from __future__ import annotations

import json

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def startswith(value, prefix) -> bool:
    return bool(value) and bool(prefix) and str(value).startswith(str(prefix))


@register.filter
def initials(value) -> str:
    words = [w for w in str(value or "").replace(".", " ").split() if w[:1].isalpha()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


@register.filter
def is_past(value) -> bool:
    return bool(value) and value < timezone.now()


@register.simple_tag
def chart(option: dict, css_class: str = "kundig-chart", label: str = ""):
    """Render an ECharts chart from ``option`` (initialised by app.js)."""
    data = json.dumps(option, default=str).replace("<", "\\u003c")
    return format_html(
        '<div class="{}" data-chart role="img" aria-label="{}">'
        '<script type="application/json">{}</script></div>',
        css_class,
        label,
        mark_safe(data),
    )


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def control(field, extra: str = ""):
    """Render a form field's widget with Tabler's classes (and ``is-invalid``)."""
    from django import forms

    widget = field.field.widget
    if isinstance(
        widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)
    ):
        css = "form-check-input"
    elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    attrs = {"class": " ".join(c for c in (css, existing, extra) if c)}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field) -> bool:
    from django import forms

    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(field) -> bool:
    from django import forms

    return isinstance(
        field.field.widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)
    )


@register.filter
def ago(value) -> str:
    """The time since ``value`` in its largest unit only: "3 days"."""
    from django.utils.timesince import timesince

    return timesince(value, depth=1) if value else ""


@register.filter
def seen_by(record, user) -> bool:
    """Whether ``user`` may see ``record`` (contact or company), for list links."""
    from kundig.core.visibility import can_see

    return record is not None and can_see(user, record)
