"""Upsert of a batch on the ticket number, portable across SQLite, PostgreSQL and MariaDB.

Select the batch's ticket numbers that exist; insert the new rows with Core executemany; update only the
rows whose values differ (compared after the round trip each database makes: whole seconds, MariaDB's
single-precision FLOAT); leave equal rows alone. A second import of the same file therefore writes nothing
and reports every row unchanged. Personal data goes to `ticket_personal` only; an answered callback becomes
a `callback` attempt and the ticket's counted result, as `writes.record_callback` does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from data_access import rollups
from data_access.importers.batch import Ready
from data_access.schema import Callback, Ticket, TicketEvent, TicketPersonal
from metrics import vocab

T = Ticket.__table__
P = TicketPersonal.__table__
CB = Callback.__table__
E = TicketEvent.__table__
TICKET_COLUMNS = tuple(c.name for c in T.columns if c.name != "id")
PERSONAL_COLUMNS = ("caller_name", "caller_phone", "address", "content")
FLOAT_TOLERANCE = 1e-5  # degrees (~1 m): MariaDB's FLOAT keeps ~7 significant digits
IN_CHUNK = 5000  # ticket numbers per IN (...) list (SQLite allows 32,766 parameters)


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


def existing_tickets(conn: Connection, numbers: list[str], *columns: Any) -> dict[str, dict[str, Any]]:
    """Stored rows of the ticket numbers that exist (all columns, or `columns`), by ticket_key."""
    found: dict[str, dict[str, Any]] = {}
    stmt = select(*columns, T.c.ticket_no) if columns else select(T)
    for chunk in _chunks(numbers):
        for row in conn.execute(stmt.where(T.c.ticket_no.in_(chunk))).mappings():
            found[ticket_key(row["ticket_no"])] = dict(row)
    return found


def _personal_of(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(select(P).where(P.c.ticket_id.in_(chunk))).mappings():
            found[row["ticket_id"]] = dict(row)
    return found


def _differs(new: Ready, old: dict[str, Any], old_personal: dict[str, Any] | None) -> bool:
    if any(not _same(new.ticket[c], old[c]) for c in TICKET_COLUMNS):
        return True
    mine = new.personal or {}
    theirs = old_personal or {}
    return any(not _same(mine.get(c), theirs.get(c)) for c in PERSONAL_COLUMNS)


def write_batch(conn: Connection, rows: list[Ready]) -> BatchCounts:
    """Upsert `rows` (unique ticket numbers) in the caller's transaction; how many were new/changed/equal."""
    counts = BatchCounts()
    if not rows:
        return counts
    old = existing_tickets(conn, [r.ticket["ticket_no"] for r in rows])
    old_personal = _personal_of(conn, [o["id"] for o in old.values()])
    new_rows: list[Ready] = []
    changed: list[tuple[Ready, dict[str, Any]]] = []
    for r in rows:
        stored = old.get(ticket_key(r.ticket["ticket_no"]))
        if stored is None:
            new_rows.append(r)
        elif _differs(r, stored, old_personal.get(stored["id"])):
            changed.append((r, stored))
        else:
            counts.unchanged += 1
    # The rollups learn which received days changed (the old day too, if a row moved to another day).
    rollups.mark_days(conn, [r.ticket["received_at"] for r in new_rows]
                      + [day for r, old in changed for day in (r.ticket["received_at"], _as_day(old["received_at"]))])
    if new_rows:
        conn.execute(insert(T), [r.ticket for r in new_rows])
        ids = {k: o["id"] for k, o in existing_tickets(conn, [r.ticket["ticket_no"] for r in new_rows], T.c.id).items()}
        own = [(ids[ticket_key(r.ticket["ticket_no"])], r) for r in new_rows]
        _write_personal(conn, [(tid, r.personal) for tid, r in own if r.personal])
        _write_callbacks(conn, [(tid, r.callback) for tid, r in own if r.callback])
        counts.inserted = len(new_rows)
    if changed:
        _update_changed(conn, changed)
        counts.updated = len(changed)
    return counts


def _as_day(value: Any) -> dt.date:
    return dt.datetime.fromisoformat(value).date() if isinstance(value, str) else value.date()


def _update_changed(conn: Connection, changed: list[tuple[Ready, dict[str, Any]]]) -> None:
    # Bind names differ from the column names: SQLAlchemy reserves those for its own SET parameters.
    stmt = update(T).where(T.c.id == bindparam("_id")).values({c: bindparam(f"v_{c}") for c in TICKET_COLUMNS})
    conn.execute(stmt, [{"_id": old["id"], **{f"v_{c}": r.ticket[c] for c in TICKET_COLUMNS}} for r, old in changed])
    for chunk in _chunks([old["id"] for _, old in changed]):
        conn.execute(delete(P).where(P.c.ticket_id.in_(chunk)))
    _write_personal(conn, [(old["id"], r.personal) for r, old in changed if r.personal])
    # The callback this importer wrote (at the old callback time, or at the new attempt's time) is replaced.
    stale = [dict(tid=old["id"], at=at) for r, old in changed
             for at in {old["callback_at"], r.callback[0] if r.callback else None} if at is not None]
    if stale:
        conn.execute(delete(CB).where(CB.c.ticket_id == bindparam("tid"), CB.c.at == bindparam("at")), stale)
        conn.execute(delete(E).where(E.c.ticket_id == bindparam("tid"), E.c.at == bindparam("at"),
                                     E.c.kind == vocab.EVENT_CALLBACK), stale)
    _write_callbacks(conn, [(old["id"], r.callback) for r, old in changed if r.callback])


def _write_personal(conn: Connection, items: list[tuple[int, dict[str, Any] | None]]) -> None:
    rows = [{"ticket_id": tid, **personal} for tid, personal in items if personal]
    if rows:
        conn.execute(insert(P), rows)


def _write_callbacks(conn: Connection, items: list[tuple[int, tuple]]) -> None:  # type: ignore[type-arg]
    if not items:
        return
    conn.execute(insert(CB), [
        dict(ticket_id=tid, at=at, reached=reached, resolution=resolution, satisfaction=satisfaction)
        for tid, (at, reached, resolution, satisfaction) in items
    ])
    conn.execute(insert(E), [
        dict(ticket_id=tid, at=at, kind=vocab.EVENT_CALLBACK, department_id=None, note=None)
        for tid, (at, *_rest) in items
    ])
