"""Flow queries (nested funnel, stage medians, daily counts per group, callback results per category) on
SQLite, PostgreSQL and MariaDB, hand-worked on the case book of `helpers.CASEBOOK_TICKETS` at `NOW`.

Nested funnel of November (T8 excluded, T9 in October):
    T1, T2   received → … → satisfied (T2 基本满意 counts as 满意)
    T3       … → callback (不满意)          T4  … → contacted (open)
    T5, T11  received → dispatched           T6  grid case: … → signed (no caller to contact)
    T7       received only (enquiry)         T10 received → dispatched: never signed for, so it stops there
                                                 although it was contacted and closed.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from data_access import figures, flow_queries, queries
from data_access.scope import Scope, TicketFilter
from helpers import NOV, NOW, median_matches
from metrics import funnel

DISTRICT = Scope.district()
NOVEMBER = TicketFilter(since=NOV[0], until=NOV[1])
STAGE_AND_EVENT_COLUMNS = (*flow_queries.FUNNEL_STAGES, *flow_queries.EVENT_COLUMNS)
HOUR = 3600


def _row(frame, **where) -> dict:
    hit = frame
    for col, value in where.items():
        hit = hit[hit[col] == value]
    assert len(hit) == 1, where
    return hit.iloc[0].to_dict()


def _stages(row: dict) -> list[int]:
    return [int(row[s]) for s in flow_queries.FUNNEL_STAGES]


# --- funnel_counts_by --------------------------------------------------------------------------------


def test_stage_names_match_the_metrics_module():
    assert flow_queries.FUNNEL_STAGES == funnel.STAGES
    assert flow_queries.EVENT_KINDS == funnel.EVENTS
    assert flow_queries.STAGE_TIMES == funnel.TIMED_STAGES


def test_nested_funnel_whole_district_november(conn):
    frame = flow_queries.funnel_counts_by(conn, DISTRICT, NOVEMBER)
    assert list(frame.columns) == list(STAGE_AND_EVENT_COLUMNS)
    row = frame.iloc[0].to_dict()
    assert _stages(row) == [9, 8, 5, 4, 3, 3, 2]
    # T2 returned and whistled, T3 extended, T4 escalated twice (one ticket); nobody reopened.
    assert [int(row[c]) for c in flow_queries.EVENT_COLUMNS] == [1, 1, 1, 1, 0]


def test_nested_funnel_never_grows_from_stage_to_stage(conn):
    row = flow_queries.funnel_counts_by(conn, DISTRICT, TicketFilter()).iloc[0].to_dict()
    counts = _stages(row)
    assert counts == sorted(counts, reverse=True)


def test_ticket_not_signed_for_stops_at_dispatched(conn):
    # T10 (停车管理) was contacted and closed, but never signed for.
    row = flow_queries.funnel_counts_by(conn, DISTRICT, TicketFilter(categories=("停车管理",))).iloc[0].to_dict()
    assert _stages(row) == [1, 1, 0, 0, 0, 0, 0]


def test_nested_funnel_all_time_adds_october(conn):
    row = flow_queries.funnel_counts_by(conn, DISTRICT, TicketFilter()).iloc[0].to_dict()
    assert _stages(row) == [10, 9, 6, 5, 4, 4, 3]  # + T9, satisfied all the way


@pytest.mark.parametrize(
    "code, stages, events",
    [
        ("S1", [4, 4, 4, 4, 3, 3, 2], [1, 1, 1, 1, 0]),  # T1–T4
        ("S2", [5, 4, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0]),  # T5, T6, T7, T10, T11
    ],
    ids=["east-lake", "west-garden"],
)
def test_funnel_by_street(conn, code, stages, events):
    frame = flow_queries.funnel_counts_by(conn, DISTRICT, NOVEMBER, by="street")
    assert list(frame["code"]) == ["S1", "S2"]
    row = _row(frame, code=code)
    assert _stages(row) == stages
    assert [int(row[c]) for c in flow_queries.EVENT_COLUMNS] == events


@pytest.mark.parametrize(
    "code, stages",
    [
        ("C1a", [2, 2, 2, 2, 2, 2, 2]),  # T1, T2
        ("C1b", [2, 2, 2, 2, 1, 1, 0]),  # T3 unsatisfied, T4 open
        ("C2a", [5, 4, 1, 0, 0, 0, 0]),
        ("C2b", [0, 0, 0, 0, 0, 0, 0]),  # no tickets: still listed
    ],
    ids=["C1a", "C1b", "C2a", "C2b-no-tickets"],
)
def test_funnel_by_community_keeps_units_without_tickets(conn, code, stages):
    frame = flow_queries.funnel_counts_by(conn, DISTRICT, NOVEMBER, by="community")
    assert len(frame) == 4
    assert _stages(_row(frame, code=code)) == stages


@pytest.mark.parametrize(
    "category, stages",
    [
        ("供暖", [1, 1, 1, 1, 1, 1, 1]),
        ("供水", [1, 1, 1, 1, 1, 1, 0]),
        ("噪音扰民", [1, 1, 1, 1, 1, 1, 1]),  # T2 (T8 excluded)
        ("物业管理", [2, 2, 1, 1, 0, 0, 0]),  # T4 open, T5 never signed for
        ("公交出行", [1, 0, 0, 0, 0, 0, 0]),  # T7 answered on the spot
    ],
    ids=["heating", "water", "noise", "property", "transit-enquiry"],
)
def test_funnel_by_category(conn, category, stages):
    frame = flow_queries.funnel_counts_by(conn, DISTRICT, NOVEMBER, by="category")
    assert len(frame) == 8
    assert _stages(_row(frame, category=category)) == stages


def test_funnel_counts_are_plain_integers(conn):
    frame = flow_queries.funnel_counts_by(conn, DISTRICT, NOVEMBER, by="street")
    assert all(str(frame[c].dtype) == "int64" for c in STAGE_AND_EVENT_COLUMNS)


def test_funnel_empty_scope_is_one_row_of_zeros(conn):
    frame = flow_queries.funnel_counts_by(conn, Scope(community_ids=frozenset({4})), TicketFilter())
    assert len(frame) == 1 and set(frame.iloc[0]) == {0}


def test_funnel_scope_limits_the_units(conn):
    frame = flow_queries.funnel_counts_by(conn, Scope.streets([2]), NOVEMBER, by="street")
    assert list(frame["code"]) == ["S2"]


def test_funnel_unknown_grouping_is_refused(conn):
    with pytest.raises(ValueError, match="unknown grouping"):
        flow_queries.funnel_counts_by(conn, DISTRICT, NOVEMBER, by="grid_cell")  # type: ignore[arg-type]


def test_funnel_runs_for_the_public_scope(conn):
    row = flow_queries.funnel_counts_by(conn, Scope.public_screen(), NOVEMBER).iloc[0]
    assert int(row["received"]) == 9


# --- stage_median_seconds ----------------------------------------------------------------------------

# November durations, sorted:
#   受理→派单  T6 0, T11 5 min, T3 10, T10 10, T1 30, T2 30, T4 60, T5 60 → (10 + 30) / 2 = 20 min
#   派单→签收  T3 10 min, T1 30, T2 30, T4 60, T6 60 → 30 min
#   签收→联系  T10 20 min (from dispatch, never signed), T3 40 min, T1 2 h, T4 2 h, T2 24 h → 2 h
#   受理→办结  T7 5 min, T3 12 h, T6 24 h, T1 48 h, T2 192 h → 24 h; T10 closed before received: reversed
#   办结→回访  T3 37 h, T2 47 h, T1 48 h → 47 h
NOVEMBER_MEDIANS = {
    "dispatched": (8, 0, 20 * 60),
    "signed": (5, 0, 30 * 60),
    "contacted": (5, 0, 2 * HOUR),
    "closed": (5, 1, 24 * HOUR),
    "callback": (3, 0, 47 * HOUR),
}


@pytest.mark.parametrize("stage", list(NOVEMBER_MEDIANS), ids=list(NOVEMBER_MEDIANS))
def test_stage_medians_november(conn, stage):
    frame = flow_queries.stage_median_seconds(conn, DISTRICT, NOVEMBER)
    row = _row(frame, stage=stage)
    n, reversed_n, median = NOVEMBER_MEDIANS[stage]
    assert (row["n"], row["reversed"]) == (n, reversed_n)
    assert median_matches(conn, row["median_seconds"], median)


def test_stage_medians_in_stage_order(conn):
    frame = flow_queries.stage_median_seconds(conn, DISTRICT, NOVEMBER)
    assert list(frame["stage"]) == list(flow_queries.STAGE_TIMES)
    assert list(frame.columns) == ["stage", "n", "reversed", "median_seconds", "approximate"]
    assert set(frame["approximate"]) == {figures.rollups_in_use(conn)}


@pytest.mark.parametrize(
    "stage, n, median",
    [
        # + T9 (60 min): 0, 5, 10, 10, 30, 30, 60, 60, 60 → the fifth, 30 min (odd count).
        ("dispatched", 9, 30 * 60),
        # + T9 (73 h): 37, 47, 48, 73 → (47 + 48) / 2 = 47.5 h (even count).
        ("callback", 4, 47.5 * HOUR),
        # The same as queries.median_seconds_to_close: 5 min, 12, 24, 48, 48, 192 → 36 h.
        ("closed", 6, 36 * HOUR),
    ],
    ids=["odd-count", "even-count", "same-as-median-to-close"],
)
def test_stage_medians_all_time(conn, stage, n, median):
    row = _row(flow_queries.stage_median_seconds(conn, DISTRICT, TicketFilter()), stage=stage)
    assert row["n"] == n
    assert median_matches(conn, row["median_seconds"], median)


def test_stage_median_to_close_agrees_with_queries(conn):
    row = _row(flow_queries.stage_median_seconds(conn, DISTRICT, NOVEMBER), stage="closed")
    assert row["median_seconds"] == queries.median_seconds_to_close(conn, DISTRICT, NOVEMBER)


def test_stage_medians_without_tickets_are_nan(conn):
    # 燃气: T11 only, dispatched 5 minutes after it was received and nothing since.
    frame = flow_queries.stage_median_seconds(conn, DISTRICT, TicketFilter(categories=("燃气",)))
    assert median_matches(conn, _row(frame, stage="dispatched")["median_seconds"], 300)
    later = frame[frame["stage"] != "dispatched"]
    assert list(later["n"]) == [0, 0, 0, 0]
    assert all(math.isnan(v) for v in later["median_seconds"])


# --- daily_counts_by ---------------------------------------------------------------------------------


def test_daily_counts_by_street_one_row_per_day_and_street(conn):
    frame = flow_queries.daily_counts_by(conn, DISTRICT, NOVEMBER, now=NOW, by="street")
    assert list(frame.columns) == ["day", "street_id", "name", *queries.RATE_COUNT_COLUMNS]
    days = [(d.day, s) for d, s in zip(frame["day"], frame["street_id"])]
    assert days == [(1, 1), (2, 1), (5, 1), (10, 1), (12, 2), (15, 2), (16, 2), (18, 2), (20, 2)]
    assert frame.groupby("name")["tickets"].sum().to_dict() == {"东湖街道": 4, "西苑街道": 5}


def test_daily_counts_by_street_carry_the_count_contract(conn):
    frame = flow_queries.daily_counts_by(conn, DISTRICT, NOVEMBER, now=NOW, by="street")
    row = _row(frame, day=dt.date(2026, 11, 5), street_id=1)  # T3: unsolved, unsatisfied, closed on time
    assert (row["tickets"], row["callbacks_answered"], row["unsolved"], row["unsatisfied"], row["closed_on_time"]) == (1, 1, 1, 1, 1)


@pytest.mark.parametrize(
    "now, due", [(NOW, 1), (dt.datetime(2026, 11, 16, 12), 0)], ids=["T4-overdue-at-now", "T4-not-yet-due"]
)
def test_daily_counts_by_community_use_now_for_callback_due(conn, now, due):
    frame = flow_queries.daily_counts_by(conn, DISTRICT, NOVEMBER, now=now, by="community")
    row = _row(frame, day=dt.date(2026, 11, 10), community_id=2)  # T4, due 17 Nov 08:00
    assert (row["callback_due"], row["open_overdue"]) == (due, due)


def test_daily_counts_by_category(conn):
    frame = flow_queries.daily_counts_by(conn, DISTRICT, NOVEMBER, now=NOW, by="category")
    assert list(frame.columns) == ["day", "category", *queries.RATE_COUNT_COLUMNS]
    row = _row(frame, day=dt.date(2026, 11, 2), category="噪音扰民")  # T2: partly, basic
    assert (row["partly"], row["basic"], row["callbacks_answered"]) == (1, 1, 1)
    assert int(frame["tickets"].sum()) == 9


def test_daily_counts_ungrouped_are_rate_counts_by_day(conn):
    frame = flow_queries.daily_counts_by(conn, DISTRICT, NOVEMBER, now=NOW)
    expected = queries.rate_counts(conn, DISTRICT, NOVEMBER, now=NOW, by="day")
    assert frame.equals(expected)


def test_daily_counts_empty_period(conn):
    frame = flow_queries.daily_counts_by(conn, DISTRICT, TicketFilter(since=dt.date(2026, 6, 1), until=dt.date(2026, 6, 30)), now=NOW, by="street")
    assert frame.empty and "street_id" in frame.columns


# --- satisfaction_by_category ------------------------------------------------------------------------


def test_satisfaction_by_category_november(conn):
    frame = flow_queries.satisfaction_by_category(conn, DISTRICT, NOVEMBER)
    assert list(frame.columns) == ["category", *flow_queries.CALLBACK_COLUMNS]
    got = {row["category"]: [row[c] for c in flow_queries.CALLBACK_COLUMNS] for row in frame.to_dict("records")}
    assert got == {
        # answered, satisfied, basic, unsatisfied, solved, partly, unsolved
        "供暖": [1, 1, 0, 0, 1, 0, 0],
        "供水": [1, 0, 0, 1, 0, 0, 1],
        "噪音扰民": [1, 0, 1, 0, 0, 1, 0],
    }


def test_satisfaction_by_category_all_time_adds_october(conn):
    frame = flow_queries.satisfaction_by_category(conn, DISTRICT, TicketFilter())
    assert _row(frame, category="供暖")["callbacks_answered"] == 2


def test_satisfaction_by_category_matches_rate_counts(conn):
    mine = flow_queries.satisfaction_by_category(conn, DISTRICT, NOVEMBER)
    counts = queries.rate_counts_for(conn, DISTRICT, NOVEMBER, now=NOW)
    assert {c: int(mine[c].sum()) for c in flow_queries.CALLBACK_COLUMNS} == {c: counts[c] for c in flow_queries.CALLBACK_COLUMNS}
