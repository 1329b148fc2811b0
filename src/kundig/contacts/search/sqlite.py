"""Search on SQLite: FTS5 trigram candidates, scored in Python by ``kundig_rank``."""

from __future__ import annotations

from django.db.models import F, FloatField, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from kundig.core.text import trigrams, word_similarity

SQLITE_CANDIDATES = 2000
SQLITE_FUZZY_THRESHOLD = 0.34
# A word found in the key counts this much on top of the name's similarity:
# enough to order equal names, never enough to outrank a better name.
KEY_HIT_WEIGHT = 0.01
# A name starting with a word (a contact's surname, a company's name) counts
# this much more: "Jürgens" before "Jürgen Abel" for "jürg".
NAME_START_BONUS = 0.5

FTS_TABLES = {
    "contacts_contact": "contacts_contact_fts",
    "contacts_company": "contacts_company_fts",
}
# What "the name" is when ranking: contacts have a folded one; a company's
# key starts with its name.
NAME_FIELDS = {"contacts_contact": "sort_name", "contacts_company": "search_key"}


def _fts_query(words: list[str]) -> str | None:
    grams: set[str] = set()
    for word in words:
        if len(word) >= 3:
            grams |= {g for g in trigrams(word) if " " not in g}
    if not grams:
        return None
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))


def _name_score(word: str, name: str) -> float:
    if len(word) >= 3:
        score = word_similarity(word, name)
    else:
        score = float(any(part.startswith(word) for part in name.split()))
    return score + (NAME_START_BONUS if name.startswith(word) else 0.0)


def sqlite_rank(query: str, name: str, key: str) -> float:
    """Score a record against the folded ``query`` words; 0 if any word fails to match.

    A word matches if it is part of the ``key`` or, from three letters on,
    close to one of its words. The score is the words' similarity to the
    ``name`` (more if the name starts with one), plus a little for each word
    found in the key as typed.
    Registered as the SQL function ``kundig_rank`` on SQLite connections.
    """
    if not key:
        return 0.0
    name = name or ""
    total = 0.0
    for word in query.split():
        if word in key:
            total += KEY_HIT_WEIGHT
        elif len(word) < 3 or word_similarity(word, key) < SQLITE_FUZZY_THRESHOLD:
            return 0.0
        total += _name_score(word, name)
    return total


class _Rank(Func):
    function = "kundig_rank"
    output_field = FloatField()


def search(qs: QuerySet, words: list[str]) -> QuerySet:
    table = qs.model._meta.db_table
    fts = FTS_TABLES[table]
    condition = Q()
    for word in words:
        condition &= Q(search_key__contains=word)
    match = _fts_query(words)
    if match:
        # FTS5 narrows the table to rows sharing trigrams with the query;
        # kundig_rank then keeps those close enough, like pg_trgm.
        candidates = RawSQL(  # noqa: S611 - the table name is a constant
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s "  # noqa: S608
            f"ORDER BY rank LIMIT {SQLITE_CANDIDATES}",
            [match],
        )
        condition |= Q(pk__in=candidates)
    rank = _Rank(Value(" ".join(words)), F(NAME_FIELDS[table]), F("search_key"))
    return qs.filter(condition).annotate(rank=rank).filter(rank__gt=0)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "kundig_rank", 3, sqlite_rank, deterministic=True
        )


def sqlite_fts_sql(table: str) -> list[str]:
    """Return the statements creating ``table``'s FTS5 index and keeping it current.

    Table names only, from ``FTS_TABLES``; no input goes into them.
    """
    fts = FTS_TABLES[table]
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
        f"search_key, content='{table}', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}(rowid, search_key) VALUES (new.id, new.search_key); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, search_key) "
        f"VALUES ('delete', old.id, old.search_key); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_key ON {table} "  # noqa: S608
        f"BEGIN INSERT INTO {fts}({fts}, rowid, search_key) "
        f"VALUES ('delete', old.id, old.search_key); "
        f"INSERT INTO {fts}(rowid, search_key) VALUES (new.id, new.search_key); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


def ensure_sqlite_search_index(connection) -> bool:
    """Create the FTS5 tables and triggers if they are missing; return whether it did.

    SQLite rebuilds a table for many schema changes (copy, drop, rename), and
    the rebuild drops the table's triggers. Running this after every migrate
    puts them back and re-indexes, so search never silently goes stale.
    """
    if connection.vendor != "sqlite":
        return False
    wanted = {
        f"{fts}_{suffix}"
        for fts in FTS_TABLES.values()
        for suffix in ("ai", "ad", "au")
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row[0] for row in cursor.fetchall()}
        if wanted <= present or not set(FTS_TABLES) <= tables:
            return False
        for table in FTS_TABLES:
            for statement in sqlite_fts_sql(table):
                cursor.execute(statement)
    return True


def sqlite_fts_drop_sql(table: str) -> list[str]:
    fts = FTS_TABLES[table]
    return [
        f"DROP TRIGGER IF EXISTS {fts}_ai",
        f"DROP TRIGGER IF EXISTS {fts}_ad",
        f"DROP TRIGGER IF EXISTS {fts}_au",
        f"DROP TABLE IF EXISTS {fts}",
    ]
