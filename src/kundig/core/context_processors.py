from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .choices import Permission


def kundig(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread():
        return user.notifications.filter(read_at__isnull=True).count()

    return {
        "unread_notifications": SimpleLazyObject(unread),
        "perms_kundig": {p: user.has_role_permission(p) for p in Permission.values},
        # The demo's mail catcher (kundig.ops); its pages are for administrators.
        "mail_catcher": settings.KUNDIG_MAIL_CATCHER_DIR is not None,
    }
