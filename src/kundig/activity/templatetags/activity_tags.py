from __future__ import annotations

from django import template

from kundig.activity.choices import (
    KIND_COLORS,
    KIND_ICONS,
    PRIORITY_ORDER,
    Channel,
    Kind,
)

register = template.Library()

# value -> lazy label. ``entry.get_kind_display`` hashes every label of the
# field's choices on each call, translating each; a timeline of 25 entries
# paid that 75 times.
_KIND_LABELS = dict(Kind.choices)
_CHANNEL_LABELS = dict(Channel.choices)


@register.filter
def kind_label(kind: str):
    return _KIND_LABELS.get(kind, kind)


@register.filter
def channel_label(channel: str):
    return _CHANNEL_LABELS.get(channel, channel)


@register.filter
def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "point")


@register.filter
def kind_color(kind: str) -> str:
    return KIND_COLORS.get(kind, "secondary")


@register.filter
def priority_color(priority: str) -> str:
    return {0: "red", 1: "orange", 2: "secondary", 3: "muted"}.get(
        PRIORITY_ORDER.get(priority, 2), "secondary"
    )
