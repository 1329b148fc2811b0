"""Facts about a request that need the deployment's shape to be read right."""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str:
    """The visitor's address: ``REMOTE_ADDR``, or behind ``KUNDIG_PROXIES``
    trusted proxies the address the outermost of them saw in
    ``X-Forwarded-For`` (entries a client adds itself come before it)."""
    proxies = getattr(settings, "KUNDIG_PROXIES", 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    return hops[-proxies] if len(hops) >= proxies else remote
