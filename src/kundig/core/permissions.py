from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def require(actor, permission: str) -> None:
    """Raise PermissionDenied unless ``actor`` (None: the system) may do this."""
    if actor is not None and not actor.has_role_permission(permission):
        raise PermissionDenied(_("Your role does not allow this."))
