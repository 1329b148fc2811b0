from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "kundig.integrations.social"
    label = "social"
    verbose_name = _("Social media")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (the scheduled polling)
