"""Write generated rows fast: COPY on PostgreSQL, executemany on SQLite.

Ids of records other rows point at (contacts, companies, tasks) are taken
from the table's own sequence before the rows are written, so appending to
a database that is in use never collides with ids handed out elsewhere and
no sequence has to be reset afterwards.

For a large load into a table that holds fewer rows than the load adds,
PostgreSQL builds an index in one pass faster than it maintains it row by
row, and checks a foreign key with one join faster than with one lookup per
row. :meth:`Writer.phase` then drops the table's plain indexes and foreign
keys, loads, and recreates them from the definitions PostgreSQL reported
(``pg_get_indexdef``/``pg_get_constraintdef``), all in one transaction: if
anything fails, or the process dies, the rollback restores every index and
constraint as it was. Unique indexes and primary keys stay in place.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection as default_connection
from django.db import transaction

from kundig.core import bulk
from kundig.core.bulk import copy_text

from .clock import TsFormat
from .records import Rows
from .tables import ALL, Table

logger = logging.getLogger(__name__)

INDEX_MODES = ("auto", "keep", "rebuild")
REBUILD_MIN_ROWS = 100_000


@dataclass
class _Saved:
    table: str
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)


class Writer:
    """Base class: transactions and row order; subclasses move the bytes."""

    vendor = ""

    def __init__(self, connection=None, *, index_mode: str = "auto", log=None) -> None:
        if index_mode not in INDEX_MODES:
            raise ValueError(f"index_mode must be one of {INDEX_MODES}")
        self.connection = connection or default_connection
        self.index_mode = index_mode
        self.ts = TsFormat(vendor=self.connection.vendor)
        self._phase_transaction = False
        self.rebuilt: list[str] = []
        self.log = log or (lambda line: logger.info("%s", line))

    def qn(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    @contextmanager
    def phase(self, expected: dict[Table, int]) -> Iterator[None]:
        """Wrap the load of ``expected`` rows per table (see the module docstring)."""
        yield

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Wrap one batch: its own transaction unless the phase holds one."""
        if self._phase_transaction:
            yield
            return
        with transaction.atomic(using=self.connection.alias):
            self.begin_batch()
            yield

    def begin_batch(self) -> None:
        pass

    def reserve_ids(self, table: Table, count: int) -> list[int]:
        return bulk.reserve_ids(table.model_class, count, connection=self.connection)

    def write(self, table: Table, rows: list[tuple]) -> None:
        raise NotImplementedError

    def write_chunks(self, table: Table, chunks: Iterable[list[tuple]]) -> None:
        """Write a stream of row chunks into ``table``, a transaction per chunk."""
        for rows in chunks:
            with self.batch():
                self.write(table, rows)

    def write_rows(self, rows: Rows) -> None:
        for table in ALL:
            batch = rows.tables.get(table.key)
            if batch:
                self.write(table, batch)

    def analyze(self, tables: list[Table]) -> None:
        pass


class SQLiteWriter(Writer):
    vendor = "sqlite"

    def write(self, table: Table, rows: list[tuple]) -> None:
        columns = ", ".join(self.qn(c) for c in table.columns)
        marks = ", ".join("?" for _ in table.columns)
        sql = f"INSERT INTO {self.qn(table.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        self.connection.ensure_connection()
        self.connection.connection.executemany(sql, rows)

    def analyze(self, tables: list[Table]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


class PostgresWriter(Writer):
    vendor = "postgresql"

    def begin_batch(self) -> None:
        with self.connection.cursor() as cursor:
            # Losing the last batches in a server crash is fine for generated data.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def write(self, table: Table, rows: list[tuple]) -> None:
        columns = ", ".join(self.qn(c) for c in table.columns)
        sql = f"COPY {self.qn(table.db_table)} ({columns}) FROM STDIN"
        data = copy_text(rows, len(table.columns), special_columns(table))
        with self.connection.cursor() as wrapper:
            raw = wrapper.cursor  # the psycopg cursor behind Django's wrapper
            with raw.copy(sql) as copy:
                for start in range(0, len(data), 1 << 20):
                    copy.write(data[start : start + (1 << 20)])

    def write_chunks(self, table: Table, chunks: Iterable[list[tuple]]) -> None:
        """Write a stream of row chunks; inside a phase's transaction as one COPY.

        One COPY lets PostgreSQL store a chunk while the next is generated;
        a COPY per chunk would wait for the server at the end of each.
        """
        if not self._phase_transaction:
            super().write_chunks(table, chunks)
            return
        columns = ", ".join(self.qn(c) for c in table.columns)
        sql = f"COPY {self.qn(table.db_table)} ({columns}) FROM STDIN"
        special = special_columns(table)
        with self.connection.cursor() as wrapper, wrapper.cursor.copy(sql) as copy:
            for rows in chunks:
                copy.write(copy_text(rows, len(table.columns), special))

    def analyze(self, tables: list[Table]) -> None:
        with self.connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {self.qn(table.db_table)}")

    # --- index and constraint juggling ------------------------------------------

    def _estimated_rows(self, table: Table) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [table.db_table],
            )
            estimate = cursor.fetchone()[0]
            if estimate is None or estimate < 0:  # never vacuumed or analysed
                cursor.execute(
                    f"SELECT count(*) FROM {self.qn(table.db_table)}"  # noqa: S608
                )
                estimate = cursor.fetchone()[0]
        return int(estimate)

    def should_rebuild(self, table: Table, rows: int) -> bool:
        if self.index_mode == "keep" or rows <= 0:
            return False
        if self.index_mode == "rebuild":
            return True
        return rows >= REBUILD_MIN_ROWS and rows >= self._estimated_rows(table)

    def _save(self, db_table: str) -> _Saved:
        saved = _Saved(db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(x.indexrelid)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                WHERE x.indrelid = %s::regclass
                  AND NOT x.indisunique AND NOT x.indisprimary
                  AND NOT EXISTS (
                      SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
                  )
                ORDER BY i.relname
                """,
                [db_table],
            )
            saved.indexes = list(cursor.fetchall())
            cursor.execute(
                """
                SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname
                """,
                [db_table],
            )
            saved.foreign_keys = list(cursor.fetchall())
        return saved

    def _drop(self, saved: _Saved) -> None:
        with self.connection.cursor() as cursor:
            for name, _definition in saved.foreign_keys:
                table, constraint = self.qn(saved.table), self.qn(name)
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
            for name, _definition in saved.indexes:
                cursor.execute(f"DROP INDEX {self.qn(name)}")

    def _restore(self, saved: _Saved) -> None:
        with self.connection.cursor() as cursor:
            for name, definition in saved.indexes:
                started = time.monotonic()
                cursor.execute(definition)
                self.log(f"    index {name}: {time.monotonic() - started:.1f} s")
            for name, definition in saved.foreign_keys:
                started = time.monotonic()
                cursor.execute(
                    f"ALTER TABLE {self.qn(saved.table)} "
                    f"ADD CONSTRAINT {self.qn(name)} {definition}"
                )
                self.log(f"    foreign key {name}: {time.monotonic() - started:.1f} s")
        if self._save(saved.table) != saved:
            raise RuntimeError(f"Indexes of {saved.table} were not restored exactly.")

    @contextmanager
    def phase(self, expected: dict[Table, int]) -> Iterator[None]:
        rebuild = [t for t, rows in expected.items() if self.should_rebuild(t, rows)]
        if not rebuild:
            yield
            return
        with transaction.atomic(using=self.connection.alias):
            with self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            saved = [self._save(t.db_table) for t in rebuild]
            with self.connection.cursor() as cursor:
                # Foreign keys are deferred; rows written earlier in this
                # transaction leave checks pending, and PostgreSQL alters no
                # table with pending trigger events. Run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for item in saved:
                self._drop(item)
            self.log(
                "  dropped the indexes and foreign keys of "
                + ", ".join(s.table for s in saved)
                + " for the load; they are rebuilt at the end"
            )
            self._phase_transaction = True
            try:
                yield
            finally:
                # On an error the transaction rolls back and brings the
                # indexes back; on success they are built here, once.
                self._phase_transaction = False
            for item in saved:
                self._restore(item)
            with self.connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's default
            self.rebuilt += [s.table for s in saved]


@functools.cache
def special_columns(table: Table) -> list[int]:
    """Return the positions of ``table``'s columns that can be NULL or boolean."""
    fields = {f.column: f for f in table.model_class._meta.concrete_fields}
    return [
        i
        for i, column in enumerate(table.columns)
        if fields[column].null or fields[column].get_internal_type() == "BooleanField"
    ]


def writer_for(connection=None, *, index_mode: str = "auto", log=None) -> Writer:
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        return PostgresWriter(connection, index_mode=index_mode, log=log)
    if connection.vendor == "sqlite":
        return SQLiteWriter(connection, index_mode=index_mode, log=log)
    raise NotImplementedError(f"No fast writer for {connection.vendor}.")
