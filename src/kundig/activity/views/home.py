from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kundig.contacts import selectors as contact_selectors

from .. import selectors


@login_required
def home(request):
    """The start page: my tasks and what happened recently on my records."""
    mine = selectors.my_tasks(user=request.user, limit=10)
    context = {
        "mine": mine,
        "recent": selectors.recent_activity(user=request.user, limit=15),
        "my_contacts": contact_selectors.contacts_visible_to(request.user)
        .filter(owner=request.user)
        .count(),
    }
    return render(request, "activity/home.html", context)
