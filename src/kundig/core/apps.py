from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kundig.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Registers system checks and this app's periodic jobs.
        from . import checks, tasks  # noqa: F401
