from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "kundig.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the scheduled sweep)
