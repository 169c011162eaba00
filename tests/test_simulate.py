"""The live hotline simulator writes real tickets through the write path and moves open ones on."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from data_access import queries
from data_access.schema import Callback, Ticket
from data_access.scope import Scope, TicketFilter
from helpers import NOW
from sample_data.simulate import Places, run, tick

T = Ticket.__table__


def _status(conn, ticket_no: str) -> str:
    return conn.execute(select(T.c.status).where(T.c.ticket_no == ticket_no)).scalar_one()


def test_new_tickets_appear_in_the_counts_with_deadlines(conn):
    before = queries.rate_counts_for(conn, Scope.district(), TicketFilter(), now=NOW)["tickets"]
    report = tick(conn, random.Random(1), Places.load(conn), NOW, new_tickets=3, seq=100)
    assert report.created == 3
    assert queries.rate_counts_for(conn, Scope.district(), TicketFilter(), now=NOW)["tickets"] == before + 3
    due = conn.execute(select(func.count()).where(T.c.ticket_no.like("SIM%"), T.c.due_at.is_not(None))).scalar_one()
    assert due == 3


def test_open_tickets_move_one_stage(conn):
    # At NOW, T11 (dispatched 11:05) and T5 (dispatched on the 15th) are past the 5-minute dispatch stage.
    report = tick(conn, random.Random(1), Places.load(conn), NOW, new_tickets=0, seq=100)
    assert _status(conn, "T11") == "signed" and _status(conn, "T5") == "signed"
    assert report.moved["signed"] == 2


def test_excluded_tickets_are_left_alone(conn):
    tick(conn, random.Random(1), Places.load(conn), NOW, new_tickets=0, seq=100)
    assert _status(conn, "T8") == "dispatched"


def test_closed_ticket_without_answer_is_called_back(conn):
    # T10 is closed and its only callback attempt was not reached.
    tick(conn, random.Random(1), Places.load(conn), NOW, new_tickets=0, seq=100)
    attempts = conn.execute(select(func.count()).select_from(Callback.__table__).where(Callback.__table__.c.ticket_id == 10)).scalar_one()
    assert attempts == 2


def test_run_for_a_few_ticks_with_a_fake_clock(casebook_sqlite_url, tmp_path):
    import shutil

    from data_access.engine import make_engine

    path = tmp_path / "live.db"
    shutil.copy(casebook_sqlite_url.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    clock = iter(NOW + dt.timedelta(seconds=5 * i) for i in range(10))
    created = run(engine, per_minute=24, clock=lambda: next(clock), seed=3, tick_seconds=5, ticks=4, sleep=lambda s: None)
    # 24 per minute = 2 per 5-second tick.
    assert created == 8
    with engine.connect() as c:
        assert c.execute(select(func.count()).where(T.c.ticket_no.like("SIM%"))).scalar_one() == 8
    engine.dispose()


def test_a_locked_database_is_waited_for_not_a_crash(casebook_sqlite_url, tmp_path):
    """Beside a long import on SQLite (which holds the write lock), the simulation skips the tick, says why and
    goes on once the lock is released; nothing is half-written and no ticket is lost."""
    import shutil
    import sqlite3

    from sqlalchemy import create_engine

    path = tmp_path / "live.db"
    shutil.copy(casebook_sqlite_url.removeprefix("sqlite:///"), path)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})  # a busy timeout that runs out fast
    importer = sqlite3.connect(path)
    importer.execute("BEGIN IMMEDIATE")  # another writer holds the database
    waits: list[str] = []

    def sleep(_seconds: float) -> None:
        if waits and importer.in_transaction:
            importer.rollback()  # the import ends after the first wait

    clock = iter(NOW + dt.timedelta(seconds=5 * i) for i in range(20))
    created = run(engine, per_minute=24, clock=lambda: next(clock), seed=3, tick_seconds=5, ticks=3, sleep=sleep,
                  on_wait=waits.append)
    assert waits and "locked" in waits[0]
    assert created == 6 + 2  # 3 ticks of 2, plus the 2 owed by the tick that waited
    with engine.connect() as c:
        assert c.execute(select(func.count()).where(T.c.ticket_no.like("SIM%"))).scalar_one() == created
    importer.close()
    engine.dispose()
