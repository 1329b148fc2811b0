from __future__ import annotations

from django import template
from django.utils.html import format_html

from kundig.contacts.choices import STAGE_COLORS, LifecycleStage
from kundig.contacts.validation import format_phone

register = template.Library()

_STAGE_LABELS = dict(LifecycleStage.choices)  # a list shows 50 badges


@register.filter
def phone(value) -> str:
    return format_phone(value or "")


@register.simple_tag
def stage_badge(stage: str):
    if not stage:
        return ""
    color = STAGE_COLORS.get(stage, "secondary")
    label = _STAGE_LABELS.get(stage, stage)
    return format_html('<span class="badge bg-{}-lt">{}</span>', color, label)
