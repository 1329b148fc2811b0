from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "kundig.messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # Register the outbox sweep with the scheduler.
        from . import tasks  # noqa: F401
