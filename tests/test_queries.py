"""Data access on SQLite, PostgreSQL and MariaDB: the same hand-worked answers from the case book.

Every expectation is worked out in the comments of `helpers.CASEBOOK_TICKETS` at `helpers.NOW`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from data_access import queries
from data_access.schema import Ticket, TicketPersonal
from data_access.scope import PersonalDataRefused, Scope, TicketFilter, check_public
from data_access.writes import insert_ticket, record_callback
from helpers import NOV, NOW, median_matches

DISTRICT = Scope.district()
NOVEMBER = TicketFilter(since=NOV[0], until=NOV[1])

NOVEMBER_COUNTS = {
    "tickets": 9,  # T1–T7, T10, T11 (T8 excluded, T9 in October)
    "dispatched": 7,  # hotline/web dispatched: T1–T5, T10, T11
    "response_due": 7,  # all contacted, or (T5, T11) past their contact deadline
    "contacted_on_time": 4,  # T1, T3, T4, T10
    "callbacks_answered": 3,
    "solved": 1,
    "partly": 1,
    "unsolved": 1,
    "satisfied": 1,
    "basic": 1,
    "unsatisfied": 1,
    "callback_due": 5,  # closed T1, T2, T3, T10 + overdue T4
    "callback_covered": 3,
    "closed": 6,  # T1, T2, T3, T6, T7, T10
    "closed_on_time": 5,  # all but T2
    "open": 3,  # T4, T5, T11
    "open_overdue": 1,  # T4
    "grid_cases": 1,
    "grid_closed": 1,
}


def test_rate_counts_whole_district_november(conn):
    assert queries.rate_counts_for(conn, DISTRICT, NOVEMBER, now=NOW) == NOVEMBER_COUNTS


def test_rate_counts_period_includes_both_ends(conn):
    # 1 November 09:00 (T1) and 20 November 11:00 (T11) are the first and last November tickets.
    counts = queries.rate_counts_for(conn, DISTRICT, TicketFilter(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 1)), now=NOW)
    assert counts["tickets"] == 1
    counts = queries.rate_counts_for(conn, DISTRICT, TicketFilter(since=dt.date(2026, 11, 20), until=dt.date(2026, 11, 20)), now=NOW)
    assert counts["tickets"] == 1


def test_rate_counts_all_time_adds_october(conn):
    counts = queries.rate_counts_for(conn, DISTRICT, TicketFilter(), now=NOW)
    assert (counts["tickets"], counts["callbacks_answered"], counts["satisfied"]) == (10, 4, 2)


def test_rate_counts_by_street(conn):
    frame = queries.rate_counts(conn, DISTRICT, NOVEMBER, now=NOW, by="street")
    assert list(frame["name"]) == ["东湖街道", "西苑街道"]
    assert list(frame["tickets"]) == [4, 5]
    assert list(frame["dispatched"]) == [4, 3]
    assert list(frame["open_overdue"]) == [1, 0]
    assert list(frame["population"]) == [12000, 8000]


def test_rate_counts_by_community_keeps_units_without_tickets(conn):
    frame = queries.rate_counts(conn, DISTRICT, NOVEMBER, now=NOW, by="community")
    assert dict(zip(frame["name"], frame["tickets"])) == {"春晖社区": 2, "花园里社区": 2, "桃源社区": 5, "静安里社区": 0}


def test_rate_counts_by_community_within_a_street_filter(conn):
    frame = queries.rate_counts(conn, DISTRICT, TicketFilter(street_ids=(2,)), now=NOW, by="community")
    assert list(frame["name"]) == ["桃源社区", "静安里社区"]


def test_rate_counts_by_grid_cell_within_a_community_filter(conn):
    frame = queries.rate_counts(conn, DISTRICT, TicketFilter(community_ids=(3,)), now=NOW, by="grid_cell")
    assert list(frame["code"]) == ["G3"]


def test_rate_counts_by_day(conn):
    frame = queries.rate_counts(conn, DISTRICT, NOVEMBER, now=NOW, by="day")
    assert frame["day"].iloc[0] == dt.date(2026, 11, 1)
    assert int(frame["tickets"].sum()) == 9
    assert len(frame) == 9  # nine distinct days


def test_rate_counts_by_category(conn):
    frame = queries.rate_counts(conn, DISTRICT, NOVEMBER, now=NOW, by="category")
    assert dict(zip(frame["category"], frame["tickets"]))["物业管理"] == 2


@pytest.mark.parametrize(
    "flt, expected_tickets",
    [
        (TicketFilter(street_ids=(1,)), 5),
        (TicketFilter(community_ids=(2,)), 2),
        (TicketFilter(categories=("供暖",)), 2),
        (TicketFilter(channels=("web",)), 1),
        (TicketFilter(channels=("grid", "hotline")), 9),
    ],
    ids=["street", "community", "category", "channel", "two-channels"],
)
def test_filters_narrow(conn, flt, expected_tickets):
    assert queries.rate_counts_for(conn, DISTRICT, flt, now=NOW)["tickets"] == expected_tickets


def test_scope_limits_and_filter_cannot_widen_it(conn):
    own = Scope.streets([1])
    assert queries.rate_counts_for(conn, own, TicketFilter(), now=NOW)["tickets"] == 5
    # Asking for the other street inside a street-1 scope yields nothing, never street 2's tickets.
    assert queries.rate_counts_for(conn, own, TicketFilter(street_ids=(2,)), now=NOW)["tickets"] == 0
    assert list(queries.streets(conn, own)["name"]) == ["东湖街道"]
    assert list(queries.communities(conn, own)["name"]) == ["春晖社区", "花园里社区"]


def test_median_hours_to_close_odd(conn):
    # November valid durations: 5 min, 12 h, 24 h, 48 h, 192 h (T10 closed before received: left out).
    assert median_matches(conn, queries.median_seconds_to_close(conn, DISTRICT, NOVEMBER), 24 * 3600)


def test_median_hours_to_close_even(conn):
    # All time adds T9 (48 h): 5 min, 12, 24, 48, 48, 192 → (24 + 48) / 2 = 36 h.
    assert median_matches(conn, queries.median_seconds_to_close(conn, DISTRICT, TicketFilter()), 36 * 3600)


def test_median_hours_none_without_closed_tickets(conn):
    assert queries.median_seconds_to_close(conn, DISTRICT, TicketFilter(categories=("燃气",))) is None


def test_closed_before_received_finding(conn):
    assert queries.closed_before_received(conn, DISTRICT, NOVEMBER) == 1


def test_grid_cells_with_polygons(conn):
    frame = queries.grid_cells(conn, Scope.streets([2]))
    assert list(frame["code"]) == ["G3", "G4"]
    assert frame["boundary"].str.startswith('{"type": "Polygon"').all()


def test_received_range(conn):
    first, last = queries.received_range(conn, DISTRICT)
    assert (first, last) == (dt.datetime(2026, 10, 15, 8, 0), dt.datetime(2026, 11, 20, 11, 0))


def test_received_range_empty_scope(conn):
    assert queries.received_range(conn, Scope(community_ids=frozenset({4}))) == (None, None)


def test_empty_scope_counts_are_zero(conn):
    counts = queries.rate_counts_for(conn, Scope(community_ids=frozenset({4})), TicketFilter(), now=NOW)
    assert set(counts.values()) == {0}


def test_resolve_unit_ids(conn):
    assert queries.resolve_unit_ids(conn, DISTRICT, "street", ["西苑街道", "S1", "不存在街道"]) == {"西苑街道": 2, "S1": 1}


def test_written_ticket_appears_with_derived_deadlines(conn):
    new_id = insert_ticket(
        conn,
        dict(ticket_no="NEW1", street_id=2, community_id=3, category="路灯", received_at=dt.datetime(2026, 11, 20, 9),
             dispatched_at=dt.datetime(2026, 11, 20, 9, 5)),
    )
    row = conn.execute(select(Ticket.__table__).where(Ticket.__table__.c.id == new_id)).mappings().one()
    assert row["due_at"] == dt.datetime(2026, 11, 27, 9)
    assert row["contact_due_at"] == dt.datetime(2026, 11, 21, 9)
    assert queries.rate_counts_for(conn, DISTRICT, NOVEMBER, now=NOW)["tickets"] == 10


def test_record_callback_sets_counted_result(conn):
    record_callback(conn, 10, dt.datetime(2026, 11, 20, 10), reached=True, resolution="solved", satisfaction="satisfied")
    counts = queries.rate_counts_for(conn, DISTRICT, NOVEMBER, now=NOW)
    assert (counts["callbacks_answered"], counts["callback_covered"], counts["solved"]) == (4, 4, 2)


def test_public_scope_refuses_personal_columns():
    stmt = select(Ticket.__table__.c.ticket_no, TicketPersonal.__table__.c.caller_phone)
    with pytest.raises(PersonalDataRefused, match="caller_phone"):
        check_public(Scope.public_screen(), stmt)


def test_public_scope_refuses_personal_table_in_a_filter():
    T = Ticket.__table__
    P = TicketPersonal.__table__
    stmt = select(T.c.category).where(T.c.id.in_(select(P.c.ticket_id).where(P.c.caller_name == "张三")))
    with pytest.raises(PersonalDataRefused):
        check_public(Scope.public_screen(), stmt)


def test_public_scope_aggregate_queries_run(conn):
    counts = queries.rate_counts_for(conn, Scope.public_screen(), NOVEMBER, now=NOW)
    assert counts["tickets"] == 9


def test_personal_text_round_trips_in_chinese(conn):
    row = conn.execute(select(TicketPersonal.__table__.c.content).where(TicketPersonal.__table__.c.ticket_id == 1)).one()
    assert row[0] == "暖气不热"


def test_insert_uses_fresh_ids_after_casebook(conn):
    conn.execute(insert(TicketPersonal.__table__).values(ticket_id=2, caller_name="李四"))
    new_id = insert_ticket(conn, dict(ticket_no="NEW2", category="路灯", received_at=NOW))
    assert new_id > 11


# --- a street's standing in the district (what a secretary sees of the other streets) -----------------


def test_street_standing_is_a_position_and_nothing_else(conn):
    from dataclasses import replace

    from domain.settings import DEFAULT_SETTINGS

    settings = replace(DEFAULT_SETTINGS, min_ranked_tickets=1)
    standings = {s: queries.street_standing(conn, Scope.streets([s]), NOVEMBER, now=NOW, settings=settings) for s in (1, 2)}
    # 东湖 (S1) has November's 3 answered callbacks, so a composite: first of the one ranked street. 西苑 (S2)
    # has none (T5, T6, T7, T11 and the grid case got no answered callback): no score, not ranked.
    assert standings[1] == {"rank": 1, "ranked": True, "reason": None, "ranked_streets": 1, "streets": 2}
    assert standings[2] == {"rank": None, "ranked": False, "reason": "no_score", "ranked_streets": 1, "streets": 2}
    # The secretary's own street filter (or a community in it) does not change the district's ranking.
    narrowed = TicketFilter(since=NOV[0], until=NOV[1], street_ids=(1,), community_ids=(1,))
    assert queries.street_standing(conn, Scope.streets([1]), narrowed, now=NOW, settings=settings) == standings[1]


def test_street_standing_respects_the_minimum_sample_and_only_one_street(conn):
    from domain.settings import DEFAULT_SETTINGS

    small = queries.street_standing(conn, Scope.streets([1]), NOVEMBER, now=NOW, settings=DEFAULT_SETTINGS)
    assert small == {"rank": None, "ranked": False, "reason": "small_sample", "ranked_streets": 0, "streets": 2}
    assert queries.street_standing(conn, DISTRICT, NOVEMBER, now=NOW, settings=DEFAULT_SETTINGS) is None
    assert queries.street_standing(conn, Scope.streets([1, 2]), NOVEMBER, now=NOW, settings=DEFAULT_SETTINGS) is None
