"""Write many rows at once: COPY on PostgreSQL, executemany on SQLite.

For paths that write thousands of rows per second (the order import, the
seed), building a model instance per row and letting ``bulk_create`` render
an ``INSERT`` costs more than the database needs to store them. Here rows are
plain tuples in the order of ``columns``; :func:`insert` sends them in
COPY's text format on PostgreSQL and through the driver's ``executemany`` on
SQLite, inside the caller's transaction.

Rows that other rows point at get their ids first, from the table's own
sequence (:func:`reserve_ids`), so ids never collide with those handed out
elsewhere and no sequence needs resetting. Why this is hand-written rather
than a library: ADR 17.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Sequence

from django.db import connection as default_connection
from django.db import models


def reserve_ids(model: type[models.Model], count: int, *, connection=None) -> list[int]:
    """Return ``count`` new ids of ``model``'s table, ascending."""
    connection = connection or default_connection
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: Kundig's transactions are IMMEDIATE, so nobody else writes
        # until ours ends; the next ids follow the highest one ever used.
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT max(id) FROM {quoted}")  # noqa: S608
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
    start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    connection=None,
) -> None:
    """Insert ``rows`` (tuples of Python values, in the order of ``columns``).

    Values are what the model's fields hold: ``datetime`` (aware), ``Decimal``,
    ``bool``, ``None``, dicts and lists for JSON fields, strings and numbers.
    Column names are database columns (``contact_id``, not ``contact``).
    """
    if not rows:
        return
    connection = connection or default_connection
    plan = _plan(model, tuple(columns), connection.vendor)
    rows = _converted(rows, plan.converters)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        data = copy_text(rows, len(columns), plan.special)
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            raw = wrapper.cursor  # the psycopg cursor behind Django's wrapper
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for start in range(0, len(data), 1 << 20):
                    copy.write(data[start : start + (1 << 20)])
        return
    marks = ", ".join("?" for _ in columns)
    connection.ensure_connection()
    # Django's errors (IntegrityError …), not the driver's, as from the ORM
    with connection.wrap_database_errors:
        connection.connection.executemany(
            f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608
            rows,
        )


def insert_objects(objs: Sequence[models.Model], *, connection=None) -> None:
    """Insert unsaved model instances by :func:`insert`, where ``bulk_create``
    would be slower.

    Each gets its id (reserved from the table's sequence) and counts as saved.
    Fields are taken as they are on the instances, after ``pre_save``
    (``auto_now`` …), and written as :func:`insert` writes values: text,
    numbers, booleans, dates and times, decimals, JSON. A model with other
    kinds of fields, database defaults or generated fields is refused. A
    unique violation raises ``IntegrityError`` and writes none of them (the
    caller's savepoint decides what then).
    """
    if not objs:
        return
    connection = connection or default_connection
    model = type(objs[0])
    fields = _plain_fields(model)
    ids = reserve_ids(model, len(objs), connection=connection)
    rows = []
    for obj, pk in zip(objs, ids, strict=True):
        rows.append((pk, *(f.pre_save(obj, True) for f in fields)))
    insert(model, [model._meta.pk.column, *(f.column for f in fields)], rows,
           connection=connection)  # fmt: skip
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


_PLAIN = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField",
    "DateField", "DateTimeField", "DecimalField", "EmailField", "ForeignKey",
    "FloatField", "IntegerField", "JSONField", "OneToOneField",
    "PositiveBigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "SlugField", "SmallIntegerField", "TextField", "URLField",
})  # fmt: skip


@functools.cache
def _plain_fields(model) -> list:
    """The fields :func:`insert_objects` writes; TypeError for any it cannot."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        kind = field.get_internal_type()
        if (
            kind not in _PLAIN
            or field.db_default is not models.NOT_PROVIDED
            or getattr(field, "generated", False)
        ):
            raise TypeError(
                f"insert_objects cannot write {model._meta.label}.{field.name} "
                f"({kind}); use bulk_create."
            )
    return fields


def upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    conflict: Sequence[str],
    connection=None,
) -> None:
    """Insert ``rows``; where the ``conflict`` columns exist, update the others."""
    if not rows:
        return
    connection = connection or default_connection
    rows = _converted(rows, _plan(model, tuple(columns), connection.vendor).converters)
    qn = connection.ops.quote_name
    updates = ", ".join(
        f"{qn(c)} = excluded.{qn(c)}" for c in columns if c not in conflict
    )
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} "  # noqa: S608
        f"({', '.join(qn(c) for c in columns)}) "
        f"VALUES ({', '.join('%s' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(qn(c) for c in conflict)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class _Plan:
    def __init__(self, converters: dict[int, Callable], special: list[int]):
        self.converters, self.special = converters, special


@functools.cache
def _plan(model, columns: tuple[str, ...], vendor: str) -> _Plan:
    fields = {f.column: f for f in model._meta.concrete_fields}
    missing = [c for c in columns if c not in fields]
    if missing:
        raise ValueError(f"{model._meta.label} has no columns {missing}.")
    converters: dict[int, Callable] = {}
    special = []
    for i, column in enumerate(columns):
        field = fields[column]
        kind = field.get_internal_type()
        if kind == "DateTimeField":
            converters[i] = (
                _timestamp_pg if vendor == "postgresql" else _timestamp_sqlite
            )
        elif kind == "DateField":
            converters[i] = _date
        elif kind == "JSONField":
            converters[i] = _json
        elif kind == "DecimalField" and vendor == "sqlite":
            converters[i] = _decimal_sqlite
        if field.null or kind == "BooleanField":
            special.append(i)
    return _Plan(converters, special)


def _converted(rows: Sequence[tuple], converters: dict[int, Callable]):
    if not converters:
        return rows
    items = list(converters.items())
    out = []
    for row in rows:
        values = list(row)
        for i, convert in items:
            value = values[i]
            if value is not None:
                values[i] = convert(value)
        out.append(tuple(values))
    return out


def _timestamp_pg(value: dt.datetime) -> str:
    return value.isoformat(sep=" ")


def _timestamp_sqlite(value: dt.datetime) -> str:
    # What Django stores on SQLite: naive UTC text.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def _date(value: dt.date) -> str:
    return value.isoformat()


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _decimal_sqlite(value) -> str:
    return str(value)


# --- COPY's text format ---------------------------------------------------------------


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value)


def _escaped_value(value) -> str:
    text = _copy_value(value)
    if value is None or not isinstance(value, str):
        return text
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def copy_text(rows: Sequence[tuple], columns: int, special: list[int]) -> bytes:
    """Return ``rows`` in COPY's text format.

    ``special`` lists the columns that may hold NULL or booleans. Values
    hardly ever hold a tab, newline or backslash, so each line is joined as
    it is and only escaped value by value when a check of the whole line
    finds one of them. (``Copy.write_row`` escapes every value of every row
    and is several times slower.)
    """
    tabs = columns - 1
    lines = []
    for row in rows:
        if special:
            values = list(row)
            nulls = 0
            for i in special:
                value = values[i]
                if value is None:
                    values[i] = "\\N"
                    nulls += 1
                elif value is True:
                    values[i] = "t"
                elif value is False:
                    values[i] = "f"
            line = "\t".join(map(str, values))
        else:
            nulls = 0
            line = "\t".join(map(str, row))
        if (
            line.count("\t") != tabs
            or "\n" in line
            or "\r" in line
            or line.count("\\") != nulls
        ):
            line = "\t".join([_escaped_value(v) for v in row])
        lines.append(line)
    lines.append("")
    return "\n".join(lines).encode()
