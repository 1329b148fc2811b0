from __future__ import annotations

import sqlite3

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.database)
def sqlite_has_fts5_trigram(app_configs=None, **kwargs):
    """Search on SQLite needs FTS5 with the trigram tokenizer (SQLite 3.34+)."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return []
    try:
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        conn.close()
    except sqlite3.OperationalError:
        return [
            checks.Error(
                f"SQLite {sqlite3.sqlite_version} lacks FTS5's trigram tokenizer.",
                hint="Use a Python built with SQLite 3.34 or newer, or PostgreSQL.",
                id="kundig.E001",
            )
        ]
    return []
