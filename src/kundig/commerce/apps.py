from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "kundig.commerce"
    label = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from . import importing, panels, tasks  # noqa: F401  (registers them)
