"""The tickets card on a contact's 360° page.

It is loaded by htmx after the page, so the page itself asks the database
nothing more for it (the page's query count is pinned).
"""

from __future__ import annotations

from django.template.loader import render_to_string

from kundig.activity.panels import register


@register("contact", position=30)
def contact_tickets_panel(request, contact) -> str:
    return render_to_string(
        "service/partials/contact_tickets_lazy.html", {"contact": contact}
    )
