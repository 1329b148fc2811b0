"""The customer's orders and figures on the contact's 360° page."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string

from kundig.activity.panels import register

from . import selectors


@register("contact", position=10)
def contact_orders_panel(request, contact) -> str | None:
    try:
        figures = contact.figures  # loaded with the contact
    except ObjectDoesNotExist:
        return None  # never ordered: figures come with the first order
    summary = selectors.contact_commerce_summary(contact=contact)
    return render_to_string(
        "commerce/_contact_panel.html",
        {"contact": contact, "figures": figures, **summary},
        request=request,
    )
