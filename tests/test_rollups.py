"""The rollups on SQLite, PostgreSQL and MariaDB: built from the case book they hold its counts; a write
marks its day and counts at once (from the tickets); a refresh folds the day in and clears exactly the
marks it read; a rollup of another version is not read; `rollup --verify` finds no difference."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select, update

from data_access import figures, queries, rollup_check, rollups
from data_access.schema import ROLLUP_TABLES, Ticket, rollup_dirty, rollup_state
from data_access.scope import Scope, TicketFilter
from data_access.writes import insert_ticket, record_callback, update_ticket
from helpers import NOV, NOW

DISTRICT = Scope.district()
NOVEMBER = TicketFilter(since=NOV[0], until=NOV[1])
T = Ticket.__table__


@pytest.fixture
def rollup_conn(casebook):
    """The case book read through its rollups, in a transaction rolled back after the test."""
    with casebook.connect() as connection:
        trans = connection.begin()
        assert figures.rollups_in_use(connection)
        yield connection
        trans.rollback()


@pytest.mark.parametrize("table", [t for t in ROLLUP_TABLES if not t.histogram], ids=lambda t: t.name)
def test_every_count_table_holds_every_counted_ticket(rollup_conn, table):
    # T1–T7, T9–T11: ten tickets that are not excluded (T8 is).
    total = rollup_conn.execute(select(func.sum(table.table.c.tickets))).scalar_one()
    assert int(total) == 10


@pytest.mark.parametrize("table", [t for t in ROLLUP_TABLES if t.histogram], ids=lambda t: t.name)
def test_every_histogram_counts_every_valid_duration(rollup_conn, table):
    # Stage durations of the ten counted tickets (see test_flow_queries): 9 + 6 + 6 + 6 + 4 (T10 reversed).
    total = rollup_conn.execute(select(func.sum(table.table.c.n))).scalar_one()
    assert int(total) == 9 + 6 + 6 + 6 + 4


def test_the_state_says_current(rollup_conn):
    state = rollups.state(rollup_conn)
    assert state is not None and state.current and state.tickets == 11 and state.generation == 1


def test_a_written_ticket_counts_at_once_and_marks_its_day(rollup_conn):
    insert_ticket(rollup_conn, dict(ticket_no="NEW", street_id=2, community_id=3, grid_cell_id=3, category="路灯",
                                    received_at=dt.datetime(2026, 11, 19, 9), dispatched_at=dt.datetime(2026, 11, 19, 9, 5)))
    assert rollups.dirty_days(rollup_conn) == {dt.date(2026, 11, 19)}
    assert queries.rate_counts_for(rollup_conn, DISTRICT, NOVEMBER, now=NOW)["tickets"] == 10
    assert queries.rate_counts(rollup_conn, DISTRICT, NOVEMBER, now=NOW, by="grid_cell").set_index("grid_cell_id").loc[3, "tickets"] == 6


def test_a_refresh_folds_the_marked_days_in_and_clears_them(rollup_conn):
    record_callback(rollup_conn, 10, dt.datetime(2026, 11, 20, 10), reached=True, resolution="solved", satisfaction="satisfied")
    before = queries.rate_counts_for(rollup_conn, DISTRICT, NOVEMBER, now=NOW)
    generation = rollups.state(rollup_conn).generation
    assert rollups.refresh_in(rollup_conn, now=NOW) == [dt.date(2026, 11, 18)]  # T10's received day
    assert rollups.dirty_days(rollup_conn) == set()
    assert rollups.state(rollup_conn).generation == generation + 1  # what readers key their shared corrections on
    assert queries.rate_counts_for(rollup_conn, DISTRICT, NOVEMBER, now=NOW) == before
    month = next(t for t in ROLLUP_TABLES if t.name == "rollup_month_comm").table
    answered = rollup_conn.execute(select(func.sum(month.c.callbacks_answered)).where(month.c.period_start == dt.date(2026, 11, 1))).scalar_one()
    assert int(answered) == 4  # T1, T2, T3 and now T10


def test_a_refresh_clears_only_the_marks_it_read(rollup_conn, monkeypatch):
    update_ticket(rollup_conn, 4, status="closed", closed_at=dt.datetime(2026, 11, 20, 11))
    late = []

    def fill_and_mark(conn, table, days):  # another writer marks a day while the refresh runs
        if not late:
            late.append(conn.execute(insert(rollup_dirty).values(day=dt.date(2026, 11, 2))))
        return real_fill(conn, table, days)

    real_fill = rollups._fill
    monkeypatch.setattr(rollups, "_fill", fill_and_mark)
    assert rollups.refresh_in(rollup_conn, now=NOW) == [dt.date(2026, 11, 10)]
    assert rollups.dirty_days(rollup_conn) == {dt.date(2026, 11, 2)}


def test_a_change_outside_the_write_helpers_is_invisible_until_marked(rollup_conn):
    # The rule every writer follows (writes.py): change and mark in one transaction.
    rollup_conn.execute(update(T).where(T.c.id == 7).values(category="停车管理"))
    by_category = queries.rate_counts(rollup_conn, DISTRICT, NOVEMBER, now=NOW, by="category").set_index("category")
    assert "公交出行" in by_category.index  # the rollups still say so
    rollups.mark_tickets(rollup_conn, [7])
    by_category = queries.rate_counts(rollup_conn, DISTRICT, NOVEMBER, now=NOW, by="category").set_index("category")
    assert "公交出行" not in by_category.index and by_category.loc["停车管理", "tickets"] == 2


def test_rollups_of_another_version_are_not_read(rollup_conn):
    rollup_conn.execute(update(rollup_state).values(version=rollups.ROLLUP_VERSION + 1))
    assert not figures.rollups_in_use(rollup_conn)
    assert queries.rate_counts_for(rollup_conn, DISTRICT, NOVEMBER, now=NOW)["tickets"] == 9
    assert rollups.refresh_in(rollup_conn, now=NOW) == []


def test_verify_finds_no_difference_on_the_case_book(casebook):
    result = rollup_check.verify(casebook, now=NOW, samples=25, median_samples=8, seed=4)
    assert result.cases == 25 and result.differences == []


def test_shared_clock_corrections_stay_exact_across_a_write_and_a_refresh(casebook_sqlite_url, tmp_path):
    """The app's engine shares one minute's corrections between figures (figures.SHARED): a write that
    commits in that minute, and the refresh after it, must still give the tickets' exact figures."""
    import shutil

    from data_access.engine import make_engine

    path = tmp_path / "shared.db"
    shutil.copy(casebook_sqlite_url.removeprefix("sqlite:///"), path)
    app = make_engine(f"sqlite:///{path}").execution_options(**figures.SHARED)

    def both() -> tuple[dict, dict]:
        with app.connect() as conn:
            fast = queries.rate_counts_for(conn, DISTRICT, NOVEMBER, now=NOW)
        with app.connect() as conn:
            exact = queries.rate_counts_for(conn.execution_options(**figures.RAW), DISTRICT, NOVEMBER, now=NOW)
        return fast, exact

    fast, exact = both()
    assert fast == exact
    with app.begin() as conn:  # T5 was open and not yet due: one of the pending tickets
        update_ticket(conn, 5, status="closed", closed_at=dt.datetime(2026, 11, 20, 11, 30), contacted_at=dt.datetime(2026, 11, 20, 9))
    fast, exact = both()
    assert fast == exact and fast["open"] == 2
    rollups.refresh(app, now=NOW)
    assert both()[0] == exact
    app.dispose()
