from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kundig.privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        # Register the consent policy with messaging, and the 360° panel.
        from . import panels, services  # noqa: F401

        services.register_policy()
