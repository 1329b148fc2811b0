from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kundig.service"
    label = "service"
    verbose_name = _("Service")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Event handlers register themselves; so does the 360° page's card.
        from . import events, panels, tasks  # noqa: F401  (and the SLA scan)
