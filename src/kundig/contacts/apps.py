from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "kundig.contacts"
    label = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import tasks  # noqa: F401 - registers the periodic import jobs
        from .search import register_sqlite_functions

        connection_created.connect(
            register_sqlite_functions, dispatch_uid="kundig_rank"
        )
        post_migrate.connect(_restore_search_index, sender=self)


def _restore_search_index(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from .search import ensure_sqlite_search_index

    ensure_sqlite_search_index(connections[using])
