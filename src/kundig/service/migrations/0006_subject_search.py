"""Searching tickets by subject: a trigram index on PostgreSQL.

Django's ``subject__icontains`` asks ``UPPER(subject::text) LIKE UPPER('%word%')``;
the index holds that very expression, so the planner can use it and (from the
statistics ANALYZE keeps on an index's expression) knows how many match.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS service_ticket_subject_trgm "
            "ON service_ticket USING gin ((UPPER(subject::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS service_ticket_subject_trgm")


class Migration(migrations.Migration):
    dependencies = [("service", "0005_list_sorts")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
