from __future__ import annotations

import json

from django.http import HttpResponse


def with_toast(
    response: HttpResponse, message: str, level: str = "success"
) -> HttpResponse:
    """Make htmx show ``message`` as a toast once ``response`` arrives."""
    events = json.loads(response.headers.get("HX-Trigger", "{}") or "{}")
    events["kundig:toast"] = {"message": str(message), "level": level}
    response["HX-Trigger"] = json.dumps(events)  # ASCII-only, safe in a header
    return response
