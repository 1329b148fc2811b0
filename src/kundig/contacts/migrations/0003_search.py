"""Search indexes: pg_trgm GIN indexes on PostgreSQL, FTS5 trigram tables on SQLite."""

from django.db import migrations

from kundig.contacts.search import sqlite_fts_drop_sql, sqlite_fts_sql

TABLES = ["contacts_contact", "contacts_company"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in TABLES:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_search_trgm "
                f"ON {table} USING gin (search_key gin_trgm_ops)"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for statement in sqlite_fts_sql(table):
                schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")
        elif vendor == "sqlite":
            for statement in sqlite_fts_drop_sql(table):
                schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
