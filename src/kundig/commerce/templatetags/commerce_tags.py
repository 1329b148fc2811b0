from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html

from ..choices import OrderStatus, ReturnStatus, RevocationStatus

register = template.Library()

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


@register.filter
def money(value, currency: str = "EUR") -> str:
    """19.9, "EUR" → "19,90 €" in German, "19.90 €" in English."""
    if value is None or value == "":
        return "—"
    amount = number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{amount}\u00a0{SYMBOLS.get(currency, currency)}"


_STATUS_COLOURS = {
    OrderStatus.PLACED: "blue",
    OrderStatus.PAID: "cyan",
    OrderStatus.SHIPPED: "indigo",
    OrderStatus.DELIVERED: "green",
    OrderStatus.COMPLETED: "green",
    OrderStatus.CANCELLED: "secondary",
    OrderStatus.REFUNDED: "orange",
    ReturnStatus.ANNOUNCED: "yellow",
    ReturnStatus.RECEIVED: "orange",
    ReturnStatus.INSPECTED: "orange",
    ReturnStatus.EXCHANGED: "green",
    ReturnStatus.REJECTED: "red",
    RevocationStatus.ACCEPTED: "orange",
}


@register.simple_tag
def status_badge(record) -> str:
    colour = _STATUS_COLOURS.get(record.status, "secondary")
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>', colour, record.get_status_display()
    )
