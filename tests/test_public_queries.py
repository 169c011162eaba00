"""The public screen's aggregate queries on SQLite, PostgreSQL and MariaDB, against the case book at NOW
(2026-11-20 12:00; tickets T1–T11 are described in tests/helpers.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data_access import public_queries
from data_access.scope import Scope
from helpers import NOW

PUBLIC = Scope.public_screen()
LAST_30_DAYS = (dt.date(2026, 10, 22), dt.date(2026, 11, 20))


@pytest.mark.parametrize(
    "period, expected",
    [
        # Today: T11 only (emergency, dispatched 11:05, not contacted by 11:30, due 13:00 → not overdue yet).
        ("today", dict(tickets=1, dispatched=1, contacted_on_time=0, callbacks_answered=0, closed=0, open=1, open_overdue=0)),
        # November so far: T1–T7, T10, T11 (T8 excluded, T9 in October); dispatched hotline/web: T1–T5, T10,
        # T11; contacted on time T1, T3, T4, T10; callbacks T1–T3; closed T1, T2, T3, T6, T7, T10; open T4
        # (overdue since the 17th), T5, T11.
        ("month", dict(tickets=9, dispatched=7, contacted_on_time=4, callbacks_answered=3, closed=6, open=3, open_overdue=1)),
    ],
)
def test_headline_counts(conn, period, expected):
    counts = public_queries.headline_counts(conn, PUBLIC, now=NOW)[period]
    assert {k: counts[k] for k in expected} == expected


def test_headline_counts_on_a_day_without_tickets(conn):
    counts = public_queries.headline_counts(conn, PUBLIC, now=dt.datetime(2026, 11, 21, 9, 0))["today"]
    assert counts["tickets"] == 0 and counts["dispatched"] == 0


def test_district_names(conn):
    assert public_queries.district_names(conn, PUBLIC) == ["示范区"]


def test_daily_counts(conn):
    frame = public_queries.daily_counts(conn, PUBLIC, dt.date(2026, 10, 1), NOW.date(), now=NOW)
    # One ticket a day on each of these days (T8 of Nov 4 is excluded).
    days = ["2026-10-15", "2026-11-01", "2026-11-02", "2026-11-05", "2026-11-10", "2026-11-12", "2026-11-15",
            "2026-11-16", "2026-11-18", "2026-11-20"]
    assert [str(d) for d in frame["day"]] == days
    assert frame["tickets"].tolist() == [1] * 10
    assert int(frame["callbacks_answered"].sum()) == 4  # T9, T1, T2, T3


def test_category_counts(conn):
    frame = public_queries.category_counts(conn, PUBLIC, *LAST_30_DAYS)
    got = dict(zip(frame["category"], frame["tickets"]))
    assert got == {"供暖": 1, "噪音扰民": 1, "供水": 1, "物业管理": 2, "环境卫生": 1, "公交出行": 1, "停车管理": 1, "燃气": 1}


@pytest.mark.parametrize(
    "now, expected",
    [
        # At NOW: since the 13th 12:00 T7 (16th) and T10 (18th) in C2a.
        (NOW, {"C1a": 0, "C1b": 0, "C2a": 2, "C2b": 0}),
        # 18th 20:00: T6 (13th 08:00), T7, T10 (18th 09:00) within 7 days.
        (dt.datetime(2026, 11, 18, 20, 0), {"C1a": 0, "C1b": 0, "C2a": 3, "C2b": 0}),
        # 13th 12:00: T2 (10th, C1a) and T6 within 7 days; T7 closes later.
        (dt.datetime(2026, 11, 13, 12, 0), {"C1a": 1, "C1b": 0, "C2a": 1, "C2b": 0}),
    ],
    ids=["now", "18th-evening", "13th-noon"],
)
def test_recently_closed_by_community(conn, now, expected):
    frame = public_queries.recently_closed_by_community(conn, PUBLIC, now=now)
    assert frame["community_name"].tolist() == ["春晖社区", "花园里社区", "桃源社区", "静安里社区"]
    codes = dict(zip(frame["community_name"], ["C1a", "C1b", "C2a", "C2b"]))
    assert "closed_24h" not in frame  # one window per unit (metrics.suppression, rule 3)
    assert {codes[n]: int(c) for n, c in zip(frame["community_name"], frame["closed_7d"])} == expected


def test_cell_counts(conn):
    frame = public_queries.cell_counts(conn, PUBLIC, *LAST_30_DAYS)
    assert dict(zip(frame["grid_cell_id"], frame["tickets"])) == {1: 2, 2: 2, 3: 5}


def test_cell_boundaries(conn):
    frame = public_queries.cell_boundaries(conn, PUBLIC)
    assert frame["grid_cell_id"].tolist() == [1, 2, 3, 4]
    assert frame["boundary"].str.startswith('{"type": "Polygon"').all()


QUERIES = {
    "headline_counts": lambda c: pd.DataFrame(public_queries.headline_counts(c, PUBLIC, now=NOW)).T,
    "daily_counts": lambda c: public_queries.daily_counts(c, PUBLIC, dt.date(2026, 10, 1), NOW.date(), now=NOW),
    "category_counts": lambda c: public_queries.category_counts(c, PUBLIC, *LAST_30_DAYS),
    "recently_closed_by_community": lambda c: public_queries.recently_closed_by_community(c, PUBLIC, now=NOW),
    "cell_counts": lambda c: public_queries.cell_counts(c, PUBLIC, *LAST_30_DAYS),
    "cell_boundaries": lambda c: public_queries.cell_boundaries(c, PUBLIC),
}
NEVER = {"ticket_no", "lat", "lon", "caller_hash", "caller_name", "caller_phone", "address", "content", "note", "id"}


@pytest.mark.parametrize("name", list(QUERIES))
def test_results_hold_no_ticket_level_columns(conn, name):
    assert set(QUERIES[name](conn).columns) & NEVER == set()


@pytest.mark.parametrize("name", list(QUERIES))
def test_results_hold_no_personal_value(conn, name):
    """The case book's one personal row (张三, 13800138000, 春晖社区1号楼, 暖气不热) appears in no result."""
    text = QUERIES[name](conn).to_csv()
    for value in ("张三", "13800138000", "春晖社区1号楼", "暖气不热"):
        assert value not in text


def test_headline_month_as_of_yesterday_leaves_today_out(conn):
    """While today is withheld the month is read as of the end of yesterday: T11 (today's only ticket) is
    in today's count and nowhere else."""
    from metrics.suppression import published_as_of

    now_counts = public_queries.headline_counts(conn, PUBLIC, now=NOW)
    as_of = published_as_of(NOW, now_counts["today"]["tickets"], 5)
    assert as_of == dt.datetime(2026, 11, 19, 23, 59, 59)
    held = public_queries.headline_counts(conn, PUBLIC, now=NOW, as_of=as_of)
    assert held["today"] == now_counts["today"]
    assert held["month"]["tickets"] == now_counts["month"]["tickets"] - now_counts["today"]["tickets"] == 8


def test_headline_month_as_of_yesterday_on_the_first_is_empty(conn):
    now = dt.datetime(2026, 12, 1, 0, 30)
    held = public_queries.headline_counts(conn, PUBLIC, now=now, as_of=dt.datetime(2026, 11, 30, 23, 59, 59))
    assert set(held["month"].values()) == {0}
