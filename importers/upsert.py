"""Upsert of a batch on the ticket number, portable across SQLite, PostgreSQL and MariaDB.

One query reads the batch's stored tickets with their personal rows; new rows are bulk-loaded
(`data_access.bulk.load_rows`: COPY on PostgreSQL, with ids drawn from the sequence beforehand; elsewhere
the ids are read back by ticket number); only the rows whose values differ are updated (compared after the
round trip each database makes: whole seconds, MariaDB's single-precision FLOAT); equal rows are left
alone. A second import of the same file therefore writes nothing and reports every row unchanged. Personal
data goes to `ticket_personal` only; an answered callback becomes a `callback` attempt and the ticket's
counted result, as `writes.record_callback` does. Every write marks the received days it touched for the
rollups (`rollups.mark_days`), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Iterable

from sqlalchemy import (
    ARRAY,
    Connection,
    Row,
    String,
    any_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
    update,
)

from data_access import rollups
from data_access.bulk import load_rows
from data_access.schema import Callback, Ticket, TicketEvent, TicketPersonal
from domain import vocab
from importers.batch import Ready

T = Ticket.__table__
P = TicketPersonal.__table__
CB = Callback.__table__
E = TicketEvent.__table__
TICKET_COLUMNS = tuple(c.name for c in T.columns if c.name != "id")
PERSONAL_COLUMNS = ("caller_name", "caller_phone", "address", "content")
CALLBACK_COLUMNS = ("ticket_id", "at", "reached", "resolution", "satisfaction")
EVENT_COLUMNS = ("ticket_id", "at", "kind", "department_id", "note")
FLOAT_TOLERANCE = 1e-5  # degrees (~1 m): MariaDB's FLOAT keeps ~7 significant digits
IN_CHUNK = 5000  # ticket numbers per IN (...) list (SQLite allows 32,766 parameters)

ticket_values = itemgetter(*TICKET_COLUMNS)  # a prepared ticket dict → its values in TICKET_COLUMNS order
personal_values = itemgetter(*PERSONAL_COLUMNS)
NO_PERSONAL = (None,) * len(PERSONAL_COLUMNS)
# Positions in a stored row (TICKET_COLUMNS then PERSONAL_COLUMNS) compared exactly, and with a tolerance.
_FLOATS = tuple(i for i, c in enumerate(TICKET_COLUMNS) if c in ("lat", "lon"))
_exact = itemgetter(*(i for i in range(len(TICKET_COLUMNS) + len(PERSONAL_COLUMNS)) if i not in _FLOATS))
# The sequence is named by a parameter (one lookup per statement): pg_get_serial_sequence in the query would
# be evaluated once per id, ten times the cost of the ids themselves.
_SEQUENCE = text("SELECT pg_get_serial_sequence('ticket', 'id')")
_NEXT_IDS = text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)")
_RECEIVED, _CALLBACK_AT = (1 + TICKET_COLUMNS.index(c) for c in ("received_at", "callback_at"))  # in a stored row


@dataclass
class BatchCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= FLOAT_TOLERANCE
    if isinstance(a, dt.datetime) and isinstance(b, str):
        return a == dt.datetime.fromisoformat(b)
    return a == b


def _chunks(items: list[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def ticket_key(ticket_no: str) -> str:
    """How ticket numbers are matched: ignoring letter case, because MariaDB's default collation does."""
    return ticket_no.casefold()


def _numbered(conn: Connection, numbers: list[str]):  # type: ignore[no-untyped-def]
    """`ticket.ticket_no IN numbers` as one bound value where the database allows it: compiling and binding
    thousands of separate parameters per batch costs more than the lookup itself."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return T.c.ticket_no == any_(bindparam("numbers", numbers, type_=ARRAY(String)))
    if dialect == "sqlite":
        listed = select(literal_column("value")).select_from(func.json_each(bindparam("numbers", json.dumps(numbers))))
        return T.c.ticket_no.in_(listed)
    return T.c.ticket_no.in_(numbers)


def stored_tickets(conn: Connection, numbers: list[str]) -> dict[str, Row]:  # type: ignore[type-arg]
    """The stored tickets of the ticket numbers that exist, by ticket_key: rows of id, then the values in
    TICKET_COLUMNS + PERSONAL_COLUMNS order (the personal ones None when the ticket has no personal row)."""
    found: dict[str, Row] = {}  # type: ignore[type-arg]
    stmt = select(T.c.id, *(T.c[c] for c in TICKET_COLUMNS), *(P.c[c] for c in PERSONAL_COLUMNS)).select_from(
        T.outerjoin(P, P.c.ticket_id == T.c.id))
    number_at = 1 + TICKET_COLUMNS.index("ticket_no")
    for chunk in _chunks(numbers):
        for row in conn.execute(stmt.where(_numbered(conn, chunk))):
            found[ticket_key(row[number_at])] = row
    return found


def ticket_ids(conn: Connection, numbers: list[str]) -> dict[str, int]:
    """The ids of these ticket numbers, by ticket_key."""
    ids: dict[str, int] = {}
    for chunk in _chunks(numbers):
        for tid, number in conn.execute(select(T.c.id, T.c.ticket_no).where(_numbered(conn, chunk))):
            ids[ticket_key(number)] = tid
    return ids


def _insert_tickets(conn: Connection, new_rows: list[tuple[Ready, tuple]]) -> list[int]:  # type: ignore[type-arg]
    """Bulk-load new tickets; their ids in order. PostgreSQL draws the ids from the ticket sequence first
    (COPY returns nothing); elsewhere they are read back by ticket number."""
    if conn.dialect.name == "postgresql":
        sequence = conn.execute(_SEQUENCE).scalar_one()
        ids = conn.execute(_NEXT_IDS, {"seq": sequence, "n": len(new_rows)}).scalars().all()
        load_rows(conn, T, ("id", *TICKET_COLUMNS), [(tid, *values) for tid, (_, values) in zip(ids, new_rows)])
        return ids
    load_rows(conn, T, TICKET_COLUMNS, [values for _, values in new_rows])
    found = ticket_ids(conn, [r.ticket["ticket_no"] for r, _ in new_rows])
    return [found[ticket_key(r.ticket["ticket_no"])] for r, _ in new_rows]


def _differs(new: tuple, old: tuple) -> bool:  # type: ignore[type-arg]
    """Whether a row's values (TICKET_COLUMNS + PERSONAL_COLUMNS) differ from the stored ones, by `_same`;
    for a row that is not exactly equal (the caller tries that first, in C): MariaDB's FLOAT coordinates
    or a real change."""
    if _exact(new) == _exact(old):  # only the coordinates differ: within the tolerance?
        return any(not _same(new[i], old[i]) for i in _FLOATS)
    return any(not _same(a, b) for a, b in zip(new, old))


def write_batch(conn: Connection, rows: list[Ready]) -> BatchCounts:
    """Upsert `rows` (unique ticket numbers) in the caller's transaction; how many were new/changed/equal."""
    counts = BatchCounts()
    if not rows:
        return counts
    old = stored_tickets(conn, [r.ticket["ticket_no"] for r in rows])
    new_rows: list[tuple[Ready, tuple]] = []  # type: ignore[type-arg]
    changed: list[tuple[Ready, tuple, Row]] = []  # type: ignore[type-arg]
    for r in rows:
        values = ticket_values(r.ticket)
        stored = old.get(ticket_key(r.ticket["ticket_no"]))
        if stored is None:
            new_rows.append((r, values))
            continue
        full, kept = values + (personal_values(r.personal) if r.personal else NO_PERSONAL), stored[1:]
        if full == kept or not _differs(full, kept):
            counts.unchanged += 1
        else:
            changed.append((r, values, stored))
    # The rollups learn which received days changed (the old day too, if a row moved to another day).
    rollups.mark_days(conn, [r.ticket["received_at"] for r, _ in new_rows]
                      + [day for r, _, s in changed for day in (r.ticket["received_at"], _as_day(s[_RECEIVED]))])
    if new_rows:
        own = list(zip(_insert_tickets(conn, new_rows), (r for r, _ in new_rows)))
        _write_personal(conn, [(tid, r) for tid, r in own if r.personal])
        _write_callbacks(conn, [(tid, r.callback) for tid, r in own if r.callback])
        counts.inserted = len(new_rows)
    if changed:
        _update_changed(conn, changed)
        counts.updated = len(changed)
    return counts


def _as_day(value: Any) -> dt.date:
    return dt.datetime.fromisoformat(value).date() if isinstance(value, str) else value.date()


def _update_changed(conn: Connection, changed: list[tuple[Ready, tuple, Row]]) -> None:  # type: ignore[type-arg]
    # Bind names differ from the column names: SQLAlchemy reserves those for its own SET parameters.
    stmt = update(T).where(T.c.id == bindparam("_id")).values({c: bindparam(f"v_{c}") for c in TICKET_COLUMNS})
    conn.execute(stmt, [{"_id": s[0], **{f"v_{c}": v for c, v in zip(TICKET_COLUMNS, values)}}
                        for _, values, s in changed])
    for chunk in _chunks([s[0] for _, _, s in changed]):
        conn.execute(delete(P).where(P.c.ticket_id.in_(chunk)))
    _write_personal(conn, [(s[0], r) for r, _, s in changed if r.personal])
    # The callback this importer wrote (at the old callback time, or at the new attempt's time) is replaced.
    stale = [dict(tid=s[0], at=at) for r, _, s in changed
             for at in {s[_CALLBACK_AT], r.callback[0] if r.callback else None} if at is not None]
    if stale:
        conn.execute(delete(CB).where(CB.c.ticket_id == bindparam("tid"), CB.c.at == bindparam("at")), stale)
        conn.execute(delete(E).where(E.c.ticket_id == bindparam("tid"), E.c.at == bindparam("at"),
                                     E.c.kind == vocab.EVENT_CALLBACK), stale)
    _write_callbacks(conn, [(s[0], r.callback) for r, _, s in changed if r.callback])


def _write_personal(conn: Connection, items: list[tuple[int, Ready]]) -> None:
    if items:
        load_rows(conn, P, ("ticket_id", *PERSONAL_COLUMNS), [(tid, *personal_values(r.personal)) for tid, r in items])


def _write_callbacks(conn: Connection, items: list[tuple[int, tuple]]) -> None:  # type: ignore[type-arg]
    if not items:
        return
    load_rows(conn, CB, CALLBACK_COLUMNS, [
        (tid, at, reached, resolution, satisfaction) for tid, (at, reached, resolution, satisfaction) in items
    ])
    load_rows(conn, E, EVENT_COLUMNS, [(tid, at, vocab.EVENT_CALLBACK, None, None) for tid, (at, *_rest) in items])
