"""Bulk loading: many rows into one table, as fast as each database allows, inside the caller's transaction.

* PostgreSQL: binary `COPY … FROM STDIN` through psycopg, with the column types read from the catalog
  (rows stream in; no statement per row, no text parsing on the server).
* SQLite: the driver's executemany on a prepared INSERT, with timestamps already in the text form
  SQLAlchemy stores (so a bulk-loaded timestamp compares exactly like one SQLAlchemy wrote:
  '2026-11-01 00:00:00.000000').
* MySQL/MariaDB: multi-row INSERT statements with the literals PyMySQL would send.

`load_rows` takes the columns once and the rows as tuples in that order, each value of its column's Python
type (int, float, bool, str, naive datetime, date) or None for NULL; a row reads back exactly as if
SQLAlchemy had inserted it. Columns left out get the database's default, not SQLAlchemy's client-side one.

Filling whole tables: `bulk_loading` empties them and takes batches, with `indexes_deferred` (indexes
dropped for the load and built again, the same ones, at the end) and on PostgreSQL frozen rows. After a
large load, run `rollups.analyze(engine)` so the planners know the new sizes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pymysql.constants import SERVER_STATUS
from pymysql.converters import escape_date, escape_datetime, escape_float, escape_string
from sqlalchemy import Connection, Date, DateTime, Engine, Index, Table

# Session settings while indexes and keys are built after a load: sorts that fit in memory (the server's
# defaults are small) and a hash join for the foreign-key checks. They end with the transaction.
_PG_BUILD_SETTINGS = ("SET LOCAL maintenance_work_mem = '512MB'", "SET LOCAL work_mem = '256MB'")
_MYSQL_STATEMENT_CHARS = 1_000_000  # at most 4 MB of UTF-8: well under max_allowed_packet (16 MB by default)

# (table, columns, rows) in the order they are loaded.
Batch = Sequence[tuple[Table, Sequence[str], Iterable[Sequence[Any]]]]


def load_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    freeze: bool = False,
) -> int:
    """Insert `rows` (tuples in the order of `columns`) into `table`; how many were written.

    `freeze` (PostgreSQL; ignored elsewhere): the table was created or truncated in this transaction, and
    COPY writes the rows already frozen — visible to every later transaction without a vacuum, and with no
    hint bits for the first reader to set (that is, no second write of every page).
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return _copy_postgresql(conn, table, columns, rows, freeze)
    batch = rows if isinstance(rows, list) else list(rows)
    if not batch:
        return 0
    if dialect == "sqlite":
        _executemany_sqlite(conn, table, columns, batch)
    else:
        _insert_mysql(conn, table, columns, batch)
    return len(batch)


def _copy_postgresql(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], freeze: bool
) -> int:
    raw = conn.connection.driver_connection  # the psycopg connection of this SQLAlchemy transaction
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            (_quoted(table.name),),
        )
        oids = dict(cursor.fetchall())
        names = ", ".join(_quoted(c) for c in columns)
        written = 0
        options = "FORMAT BINARY, FREEZE" if freeze else "FORMAT BINARY"
        with cursor.copy(f"COPY {_quoted(table.name)} ({names}) FROM STDIN ({options})") as copy:
            copy.set_types([oids[c] for c in columns])
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


def _executemany_sqlite(conn: Connection, table: Table, columns: Sequence[str], rows: list) -> None:
    raw = conn.connection.driver_connection  # the sqlite3 connection of this SQLAlchemy transaction
    texts = {i: _sqlite_text(table.c[name].type) for i, name in enumerate(columns)}
    texts = {i: f for i, f in texts.items() if f is not None}
    if texts:  # convert column by column: one pass per timestamp column, not a call per value
        values = list(zip(*rows))
        for i, f in texts.items():
            values[i] = [None if v is None else f(v) for v in values[i]]
        rows = list(zip(*values))
    marks = ", ".join("?" for _ in columns)
    names = ", ".join(_quoted(c) for c in columns)
    insert = f"INSERT INTO {_quoted(table.name)} ({names}) VALUES ({marks})"
    raw.executemany(insert, rows)  # type: ignore[union-attr]


def _sqlite_text(column_type: Any) -> Callable[[Any], str] | None:
    """SQLAlchemy's SQLite storage text for timestamps and dates; None where sqlite3 stores the value as is
    (bool is an int there)."""
    if isinstance(column_type, DateTime):  # SQLAlchemy's '%Y-%m-%d %H:%M:%S.%f', with a 4-digit year
        return lambda v: v.isoformat(" ", "microseconds")
    if isinstance(column_type, Date):
        return dt.date.isoformat
    return None


def _insert_mysql(conn: Connection, table: Table, columns: Sequence[str], rows: list) -> None:
    raw = conn.connection.driver_connection  # the PyMySQL connection of this SQLAlchemy transaction
    literal = _mysql_literals(raw)

    def escape(value: Any) -> str:  # any other type: as PyMySQL does it
        return raw.escape(value, raw.encoders)  # type: ignore[union-attr]

    head = f"INSERT INTO `{table.name}` ({', '.join(f'`{c}`' for c in columns)}) VALUES "
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        parts: list[str] = []
        size = 0
        for row in rows:
            part = "(" + ",".join([literal.get(type(v), escape)(v) for v in row]) + ")"
            parts.append(part)
            size += len(part) + 1
            if size > _MYSQL_STATEMENT_CHARS:
                cursor.execute(head + ",".join(parts))
                parts, size = [], 0
        if parts:
            cursor.execute(head + ",".join(parts))


def _mysql_literals(raw: Any) -> dict[type, Callable[[Any], str]]:
    """SQL literals by Python type, as PyMySQL's executemany writes them, without its dispatch per value."""
    if raw.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES:

        def text(value: str) -> str:
            return "'" + value.replace("'", "''") + "'"

    else:

        def text(value: str) -> str:
            return "'" + escape_string(value) + "'"

    return {
        int: str,
        float: escape_float,
        bool: lambda v: "1" if v else "0",
        str: text,
        type(None): lambda _: "NULL",
        dt.datetime: _mysql_datetime,
        dt.date: escape_date,
    }


def _mysql_datetime(value: dt.datetime) -> str:
    # str() of a naive datetime is PyMySQL's literal ('2026-11-01 08:00:00', microseconds only when set),
    # at a fraction of escape_datetime's cost.
    return "'" + str(value) + "'" if value.tzinfo is None else escape_datetime(value)


@contextmanager
def bulk_loading(engine: Engine, tables: Sequence[Table]) -> Iterator[Callable[[Batch], None]]:
    """Empty `tables` and fill them in batches: yields `write(batch)`, which loads each (table, columns,
    rows) of the batch in order (parents before children).

    Indexes are deferred (`indexes_deferred`) and rebuilt when the block ends. PostgreSQL: every batch goes
    into one transaction that truncated the tables, so COPY writes frozen rows (see `load_rows`); nothing is
    visible to others before the block ends. SQLite, MySQL/MariaDB: each batch is its own transaction.
    """
    with indexes_deferred(engine, tables):
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE " + ", ".join(_quoted(t.name) for t in tables))
                yield lambda batch: _write(conn, batch, freeze=True)
            return
        with engine.begin() as conn:
            for table in reversed(tables):  # children first (foreign keys)
                conn.execute(table.delete())

        def write(batch: Batch) -> None:
            with engine.begin() as conn:
                _write(conn, batch, freeze=False)

        yield write


def _write(conn: Connection, batch: Batch, *, freeze: bool) -> None:
    for table, columns, rows in batch:
        load_rows(conn, table, columns, rows, freeze=freeze)


@contextmanager
def indexes_deferred(engine: Engine, tables: Sequence[Table]) -> Iterator[None]:
    """Load `tables` inside this block without their indexes; afterwards they exist again, exactly as before.

    PostgreSQL: every index and key of the tables goes, foreign keys pointing at them included, and is
    rebuilt from its catalog definition (a sort per index, one check per foreign key instead of a trigger
    per row). SQLite: the named indexes (`Table.indexes`) go; primary keys and UNIQUE columns stay.
    MySQL/MariaDB: the named indexes that no foreign key needs go (InnoDB keeps a foreign key's index).
    If the block raises, the indexes are not rebuilt: the caller is expected to start over.
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            drop, create = _postgresql_keys(conn, tables)
            for statement in drop:
                conn.exec_driver_sql(statement)
        yield
        with engine.begin() as conn:
            for statement in (*_PG_BUILD_SETTINGS, *create):
                conn.exec_driver_sql(statement)
        return
    named = [index for t in tables for index in sorted(t.indexes, key=lambda i: str(i.name))]
    indexes = [index for index in named if _droppable(engine, index)]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    yield
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)


def _droppable(engine: Engine, index: Index) -> bool:
    if engine.dialect.name == "sqlite":
        return True
    return not next(iter(index.columns)).foreign_keys  # InnoDB refuses to drop the index a foreign key uses


def _postgresql_keys(conn: Connection, tables: Sequence[Table]) -> tuple[list[str], list[str]]:
    """(DROP statements, CREATE statements in a working order) for the indexes and keys of `tables`."""
    names = [_quoted(t.name) for t in tables]
    constraints = conn.exec_driver_sql(
        "SELECT contype, format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname), "
        "format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname, "
        "pg_get_constraintdef(oid)) FROM pg_constraint WHERE contype IN ('p', 'u', 'f') "
        "AND (conrelid = ANY(%(t)s::regclass[]) OR confrelid = ANY(%(t)s::regclass[])) "
        "ORDER BY conrelid, conname",
        {"t": names},
    ).all()
    indexes = conn.exec_driver_sql(
        "SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i WHERE i.indrelid = ANY(%(t)s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) "
        "ORDER BY i.indrelid, i.indexrelid",
        {"t": names},
    ).all()
    foreign = [(drop, create) for kind, drop, create in constraints if kind == "f"]
    keys = [(drop, create) for kind, drop, create in constraints if kind != "f"]
    # Foreign keys go first and come back last: they need the referenced key's index.
    drop = [d for d, _ in foreign] + [d for d, _ in keys] + [d for d, _ in indexes]
    create = [c for _, c in keys] + [c for _, c in indexes] + [c for _, c in foreign]
    return drop, create


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
