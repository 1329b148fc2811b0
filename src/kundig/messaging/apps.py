from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "kundig.messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # Register the outbox sweep and the mailbox reading with the
        # scheduler, and the mail card with the 360° page.
        from . import panels, tasks  # noqa: F401
