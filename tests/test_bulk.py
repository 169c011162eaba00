"""Bulk loading on SQLite, PostgreSQL and MariaDB: rows read back equal, timestamps compare like any other."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data_access.bulk import load_rows
from data_access.schema import Ticket
from data_access.writes import prepare_ticket
from helpers import CASEBOOK_TICKETS

T = Ticket.__table__


def _row(ticket_no: str, received: dt.datetime) -> dict:
    base = {k: v for k, v in CASEBOOK_TICKETS[0].items() if k != "id"}
    return prepare_ticket({**base, "ticket_no": ticket_no, "received_at": received})


def test_loaded_rows_read_back_equal_and_compare_at_midnight(conn):
    midnight = dt.datetime(2026, 11, 21, 0, 0, 0)
    rows = [_row("BULK1", midnight), _row("BULK2", dt.datetime(2026, 11, 21, 13, 5, 7))]
    columns = [c for c in rows[0] if c != "id"]
    assert load_rows(conn, T, columns, [tuple(r[c] for c in columns) for r in rows]) == 2
    stored = conn.execute(select(T).where(T.c.ticket_no.in_(["BULK1", "BULK2"])).order_by(T.c.ticket_no)).mappings().all()
    assert [r["received_at"] for r in stored] == [midnight, dt.datetime(2026, 11, 21, 13, 5, 7)]
    assert [r["whistle"] for r in stored] == [False, False]
    # A bound midnight compares equal to the loaded midnight on every database (SQLite compares text).
    at_or_after = conn.execute(select(func.count()).select_from(T).where(T.c.received_at >= midnight)).scalar_one()
    assert at_or_after == 2


def test_nothing_to_load(conn):
    assert load_rows(conn, T, ["ticket_no"], []) == 0


def test_values_read_back_as_if_sqlalchemy_had_inserted_them(conn):
    """Quotes, backslashes, tabs, newlines, full-precision floats, microseconds, booleans and NULLs: a row
    bulk-loaded reads back like the same row inserted through SQLAlchemy."""
    received = dt.datetime(2026, 11, 21, 23, 59, 59, 123456)
    awkward = "it's a \\ \t tab,\nnew line, 引号 \"'\" and \\N"
    extra = {"lat": 39.12345678901234, "whistle": True, "caller_hash": awkward}
    rows = {ticket_no: _row(ticket_no, received) | extra for ticket_no in ("VIA_SA", "VIA_BULK")}
    conn.execute(T.insert(), [rows["VIA_SA"]])
    columns = [c for c in rows["VIA_BULK"] if c != "id"]
    load_rows(conn, T, columns, [tuple(rows["VIA_BULK"][c] for c in columns)])
    stored = {
        r["ticket_no"]: {k: v for k, v in r.items() if k not in ("id", "ticket_no")}
        for r in conn.execute(select(T).where(T.c.ticket_no.in_(list(rows)))).mappings()
    }
    assert stored["VIA_BULK"] == stored["VIA_SA"]
    assert stored["VIA_BULK"]["caller_hash"] == awkward and stored["VIA_BULK"]["whistle"] is True
