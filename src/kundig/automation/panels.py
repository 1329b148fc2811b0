"""A contact's messages and playbook runs on the 360° page."""

from __future__ import annotations

from django.template.loader import render_to_string

from kundig.activity.panels import register
from kundig.core.choices import Permission
from kundig.messaging import selectors as messaging_selectors
from kundig.messaging.choices import STATUS_COLORS

from . import selectors
from .choices import RUN_STATUS_COLORS


@register("contact", position=40)
def contact_messages_panel(request, contact) -> str | None:
    messages = messaging_selectors.contact_messages(user=request.user, contact=contact)
    runs = selectors.contact_runs(user=request.user, contact=contact)
    if not messages and not runs:
        return None
    return render_to_string(
        "automation/_contact_panel.html",
        {
            "messages_sent": messages,
            "runs": runs,
            "message_colors": STATUS_COLORS,
            "run_colors": RUN_STATUS_COLORS,
            "may_open": request.user.has_role_permission(Permission.MESSAGING),
        },
        request=request,
    )
