from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "kundig.automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # Register the event handler, the scheduled wake-ups and the panel.
        from . import events, panels, tasks  # noqa: F401
