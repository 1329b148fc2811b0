from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    name = "kundig.activity"
    label = "activity"
    verbose_name = _("Activity")

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the reminder job
