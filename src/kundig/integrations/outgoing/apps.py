from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutgoingWebhooksConfig(AppConfig):
    name = "kundig.integrations.outgoing"
    label = "outgoing_webhooks"
    verbose_name = _("Outgoing webhooks")

    def ready(self) -> None:
        # Register the event handler and the scheduled sweep.
        from . import events, tasks  # noqa: F401
