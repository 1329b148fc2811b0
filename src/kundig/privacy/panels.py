"""A contact's consents on the 360° page."""

from __future__ import annotations

from django.template.loader import render_to_string

from kundig.activity.panels import register
from kundig.core.choices import Permission

from . import selectors
from .choices import PURPOSES, STATUS_COLORS, Channel, Status
from .forms import ConsentForm


@register("contact", position=45)
def contact_consents_panel(request, contact) -> str:
    consents = {(c.purpose, c.channel): c for c in selectors.contact_consents(contact)}
    rows = []
    for purpose, label in PURPOSES:
        email = consents.get((purpose, Channel.EMAIL))
        others = [
            c
            for (p, channel), c in consents.items()
            if p == purpose and channel != Channel.EMAIL
        ]
        rows.append({"label": label, "email": email, "others": others})
    return render_to_string(
        "privacy/_contact_panel.html",
        {
            "contact": contact,
            "rows": rows,
            "colors": STATUS_COLORS,
            "granted": Status.GRANTED,
            "may_write": request.user.has_role_permission(Permission.WRITE),
            "form": ConsentForm(),
        },
        request=request,
    )
