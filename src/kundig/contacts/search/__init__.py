"""Typo-tolerant search over contacts and companies.

Each record keeps a folded ``search_key`` (names, emails, phone digits,
company names; "Müller" stored as "mueller", and as "muller" too). A query
is folded the same way, so umlaut spellings meet. Every query word must then
match the key, either as a substring or, for words of three letters or more,
as a close match of a word ("Mueler", "Schmitt" for "Schmidt").

Results are ranked by how well the words match the contact's *name* first,
and by how many of them appear in the rest of the key (email, company) only
after that: someone called Weber comes before someone who works at Weber GmbH.

* PostgreSQL (:mod:`.postgres`): substrings through a GIN trigram index;
  typos through a small dictionary of the words in names, which turns a
  misspelt word into the words it is close to. Search-as-you-type first looks
  for surnames starting with what was typed, in an index in name order.
* SQLite (:mod:`.sqlite`): an FTS5 table with the trigram tokenizer finds
  candidates; they are scored with the same trigram measure in Python.

ADR 0005 and ADR 0012 tell why.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import FloatField, QuerySet, Value

from kundig.core.text import query_words

from . import postgres, sqlite
from .sqlite import (
    FTS_TABLES,
    ensure_sqlite_search_index,
    register_sqlite_functions,
    sqlite_fts_drop_sql,
    sqlite_fts_sql,
)

__all__ = [
    "FTS_TABLES",
    "ensure_sqlite_search_index",
    "quick_search",
    "register_sqlite_functions",
    "search",
    "sqlite_fts_drop_sql",
    "sqlite_fts_sql",
]


def search(qs: QuerySet, query: str) -> QuerySet:
    """Return ``qs`` narrowed to records matching ``query``, annotated with ``rank``.

    Order by ``-rank`` and then the model's own order for the best first.
    """
    words = query_words(query)
    if not words:
        return qs.annotate(rank=Value(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        return postgres.search(qs, words)
    return sqlite.search(qs, words)


def quick_search(qs: QuerySet, query: str, *, limit: int) -> list:
    """Return the best ``limit`` records of ``qs`` for ``query``, best first.

    What search-as-you-type shows. On PostgreSQL it never ranks more than a
    few hundred rows, whatever the size of the table; ``search`` ranks all
    matches, which lists need for their pages.
    """
    words = query_words(query)
    if not words or limit < 1:
        return []
    if connection.vendor == "postgresql":
        # An email address or a phone number is no name to look up as one.
        names = "@" not in query and not any(c.isdigit() for c in query)
        return postgres.quick_search(qs, words, limit=limit, names=names)
    ordering = qs.model._meta.ordering
    return list(sqlite.search(qs, words).order_by("-rank", *ordering)[:limit])
