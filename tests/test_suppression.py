"""Small-count suppression (metrics.suppression) and the public screen's figures (metrics.public_figures),
hand-worked with the default minimum of 5."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from domain.settings import DEFAULT_SETTINGS
from domain.units import UNIT_RATE
from metrics import public_figures
from metrics.definitions import METRICS
from metrics.suppression import (
    BASES,
    base_of,
    is_suppressed,
    public_count,
    public_measures,
    public_rate,
    public_table,
    rounded,
)

MIN = 5


@pytest.mark.parametrize(
    "base, min_count, expected",
    [
        (0, 5, True),
        (1, 5, True),
        (4, 5, True),
        (5, 5, False),
        (6, 5, False),
        (4.0, 5, True),
        (None, 5, True),
        (float("nan"), 5, True),
        (pd.NA, 5, True),
        (1, 1, False),
        (0, 1, True),
        (9, 10, True),
    ],
    ids=["zero", "one", "four", "five-at-minimum", "six", "float-four", "none", "nan", "pd-na", "min1-one",
         "min1-zero", "min10-nine"],
)
def test_is_suppressed(base, min_count, expected):
    assert is_suppressed(base, min_count) is expected


@pytest.mark.parametrize(
    "value, expected",
    [(0, None), (4, None), (5, 5), (7, 5), (8, 10), (12, 10), (13, 15), (1188, 1190), (None, None)],
    ids=["zero", "four", "five", "seven-down", "eight-up", "twelve", "thirteen", "thousands", "none"],
)
def test_public_count(value, expected):
    assert public_count(value, MIN) == expected


@pytest.mark.parametrize(
    "rate, base, expected",
    [
        (0.9, 4, None),  # 9 of 10 would be fine, but only 4 answered callbacks: withheld
        (1.0, 5, 1.0),
        (4 / 7, 7, 4 / 7),
        (None, 10, None),  # undefined stays undefined
        (0.5, 0, None),
    ],
    ids=["base-four", "base-five", "four-of-seven", "undefined", "base-zero"],
)
def test_public_rate(rate, base, expected):
    assert public_rate(rate, base, MIN) == expected


@pytest.mark.parametrize(
    "measure, base",
    [
        ("response_rate", ("response_due",)),
        ("resolution_rate", ("callbacks_answered",)),
        ("satisfaction_rate", ("callbacks_answered",)),
        ("callback_coverage", ("callback_due",)),
        ("on_time_close_rate", ("closed", "open_overdue")),
        ("tickets_per_10k", ("tickets",)),
        ("tickets", ("tickets",)),
        ("closed_7d", ("closed_7d",)),
    ],
    ids=lambda v: v if isinstance(v, str) else "+".join(v),
)
def test_base_of(measure, base):
    assert base_of(measure) == base


@pytest.mark.parametrize("key", [k for k, m in METRICS.items() if m.unit == UNIT_RATE])
def test_every_rate_rests_on_its_registered_denominator(key):
    """The bases agree with the metric registry, so the screen suppresses on the number people read."""
    assert base_of(key) == METRICS[key].denominator


def test_per_10k_rests_on_tickets_not_population():
    assert BASES["tickets_per_10k"] == ("tickets",)


# The case book's November at NOW (tests/helpers.py): 9 tickets, 7 dispatched, 4 contacted on time,
# 3 answered callbacks (solved 1, partly 1, unsolved 1; satisfied 1, basic 1, unsatisfied 1).
NOVEMBER = dict(tickets=9, dispatched=7, response_due=7, contacted_on_time=4, callbacks_answered=3, solved=1, partly=1, unsolved=1,
                satisfied=1, basic=1, unsatisfied=1, callback_due=5, callback_covered=3, closed=6, closed_on_time=4,
                open=3, open_overdue=1, grid_cases=1, grid_closed=1)
# Today (Nov 20): T11 only, dispatched, not contacted, past its 30-minute contact limit.
TODAY = dict(NOVEMBER, tickets=1, dispatched=1, response_due=1, contacted_on_time=0, callbacks_answered=0, solved=0, partly=0,
             unsolved=0, satisfied=0, basic=0, unsatisfied=0, callback_due=0, callback_covered=0, closed=0,
             closed_on_time=0, open=1, open_overdue=0, grid_cases=0, grid_closed=0)


@pytest.mark.parametrize(
    "counts, expected",
    [
        (NOVEMBER, {"tickets": 10, "response_rate": 4 / 7, "resolution_rate": None, "satisfaction_rate": None}),
        (TODAY, {"tickets": None, "response_rate": None, "resolution_rate": None, "satisfaction_rate": None}),
        (
            dict(NOVEMBER, callbacks_answered=5, solved=3, partly=1, satisfied=4, basic=0),
            {"tickets": 10, "response_rate": 4 / 7, "resolution_rate": 3.5 / 5, "satisfaction_rate": 4 / 5},
        ),
    ],
    ids=["november", "today", "five-callbacks"],
)
def test_headline(counts, expected):
    got = public_figures.headline({"p": counts}, DEFAULT_SETTINGS)["p"]
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == (pytest.approx(value) if value is not None else None), key


def test_public_measures_with_a_higher_minimum():
    values = {"tickets": 9, "dispatched": 7, "response_rate": 4 / 7}
    assert public_measures(values, ["tickets", "response_rate"], 8) == {"tickets": 8, "response_rate": None}  # 9 to the nearest 8


def test_public_table_keeps_keys_and_published_figures_only():
    frame = pd.DataFrame(
        {
            "unit": ["a", "b", "c"],
            "tickets": [4, 5, 30],
            "dispatched": [4, 5, 20],
            "response_due": [4, 5, 20],
            "contacted_on_time": [4, 4, 19],
            "response_rate": [1.0, 0.8, 0.95],
        }
    )
    out = public_table(frame, ["unit"], ["tickets", "response_rate"], MIN)
    assert list(out.columns) == ["unit", "tickets", "response_rate"]  # the counts behind them are gone
    assert str(out["tickets"].dtype) == "Int64"
    assert out["tickets"].tolist() == [pd.NA, 5, 30]
    assert out["response_rate"].isna().tolist() == [True, False, False]
    assert out["response_rate"].iloc[1:].tolist() == [0.8, 0.95]


def test_public_table_sums_a_base_of_two_counts():
    # 按期办结率 rests on closed + open_overdue: 3 + 2 = 5 is enough, 3 + 1 = 4 is not.
    frame = pd.DataFrame({"k": [1, 2], "closed": [3, 3], "open_overdue": [2, 1], "on_time_close_rate": [0.6, 0.75]})
    out = public_table(frame, ["k"], ["on_time_close_rate"], MIN)
    assert out["on_time_close_rate"].iloc[0] == 0.6 and math.isnan(out["on_time_close_rate"].iloc[1])


# --- the screen's figures ----------------------------------------------------------------------------


def _daily(rows: list[tuple[str, int, int, int]]) -> pd.DataFrame:
    """Daily count-contract rows from (day, tickets, answered callbacks, satisfied)."""
    base = {c: 0 for c in NOVEMBER}
    return pd.DataFrame(
        [
            {**base, "day": dt.date.fromisoformat(d), "tickets": n, "dispatched": n, "callbacks_answered": a,
             "satisfied": s, "solved": s, "unsatisfied": a - s, "unsolved": a - s}
            for d, n, a, s in rows
        ]
    )


def test_trend_weeks_are_the_twelve_mondays_up_to_today():
    weeks = public_figures.trend_weeks(dt.date(2026, 11, 20))  # a Friday
    assert weeks[0] == dt.date(2026, 8, 31) and weeks[-1] == dt.date(2026, 11, 16) and len(weeks) == 12


def test_weekly_trend_sums_days_and_suppresses_small_weeks():
    today = dt.date(2026, 11, 20)
    daily = _daily(
        [
            ("2026-11-02", 3, 2, 2),  # week of 11-02: 3 + 3 = 6 tickets, 2 + 3 = 5 answered, 2 + 2 = 4 satisfied
            ("2026-11-06", 3, 3, 2),
            ("2026-11-10", 4, 4, 4),  # week of 11-09: 4 tickets (withheld), 4 answered (rates withheld)
            ("2026-11-20", 7, 6, 3),  # this week so far: 7 tickets, 3 of 6 satisfied
        ]
    )
    out = public_figures.weekly_trend(daily, today, DEFAULT_SETTINGS).set_index("period_start")
    assert list(out.columns) == ["partial", "tickets", "resolution_rate", "satisfaction_rate"]
    assert len(out) == 12
    assert out.loc[dt.date(2026, 11, 2), "tickets"] == 5  # 6, rounded to the nearest 5
    assert out.loc[dt.date(2026, 11, 2), "satisfaction_rate"] == pytest.approx(4 / 5)
    assert pd.isna(out.loc[dt.date(2026, 11, 9), "tickets"])
    assert math.isnan(out.loc[dt.date(2026, 11, 9), "satisfaction_rate"])
    assert out.loc[dt.date(2026, 11, 16), "tickets"] == 5 and bool(out.loc[dt.date(2026, 11, 16), "partial"])
    assert out.loc[dt.date(2026, 11, 16), "satisfaction_rate"] == pytest.approx(0.5)
    assert pd.isna(out.loc[dt.date(2026, 8, 31), "tickets"])  # a week without tickets: 0, withheld


def test_weekly_trend_of_no_tickets_is_twelve_withheld_weeks():
    out = public_figures.weekly_trend(_daily([]), dt.date(2026, 11, 20), DEFAULT_SETTINGS)
    assert len(out) == 12 and out["tickets"].isna().all() and out["satisfaction_rate"].isna().all()


def test_top_categories_keeps_published_ones_most_first():
    frame = pd.DataFrame({"category": ["供暖", "噪音扰民", "供水", "燃气", "物业管理"], "tickets": [12, 4, 7, 1, 12]})
    top, left_out = public_figures.top_categories(frame, MIN, top=2)
    assert top.to_dict("list") == {"category": ["供暖", "物业管理"], "tickets": [10, 10]}  # 12 rounded
    assert left_out == 2  # 噪音扰民 (4) and 燃气 (1)


def test_recently_closed_per_community():
    frame = pd.DataFrame(
        {"community_id": [1, 2], "community_name": ["春晖社区", "桃源社区"], "street_id": [1, 2],
         "street_name": ["东湖街道", "西苑街道"], "closed_7d": [4, 9]}
    )
    out = public_figures.recently_closed(frame, MIN)
    assert list(out.columns) == ["street_name", "community_name", "closed_7d"]
    assert out["closed_7d"].tolist() == [pd.NA, 10]  # 9 rounded to the nearest 5


def test_cell_volumes_include_cells_without_tickets():
    # The case book's last 30 days: cells 1 and 2 have 2 tickets each, cell 3 has 5, cell 4 none.
    counts = pd.DataFrame({"grid_cell_id": [1, 2, 3], "tickets": [2, 2, 5]})
    out = public_figures.cell_volumes([1, 2, 3, 4], counts, MIN)
    assert out["grid_cell_id"].tolist() == [1, 2, 3, 4]
    assert out["tickets"].tolist() == [pd.NA, pd.NA, 5, pd.NA]


@pytest.mark.parametrize("today, expected", [
    (None, dt.datetime(2026, 11, 19, 23, 59, 59)), (0, dt.datetime(2026, 11, 19, 23, 59, 59)),
    (4, dt.datetime(2026, 11, 19, 23, 59, 59)), (5, dt.datetime(2026, 11, 20, 8, 30)),
    (120, dt.datetime(2026, 11, 20, 8, 30)),
])
def test_figures_are_held_at_the_end_of_yesterday_while_today_is_withheld(today, expected):
    from metrics.suppression import published_as_of

    assert published_as_of(dt.datetime(2026, 11, 20, 8, 30), today, 5) == expected


# --- rounding: a total minus its published parts never gives a withheld part --------------------------


@pytest.mark.parametrize("value, base, expected", [
    (0, 5, 0), (2, 5, 0), (2.5, 5, 5), (7, 5, 5), (7.5, 5, 10), (1188, 5, 1190), (9, 1, 9), (9, 8, 8), (12, 8, 16),
])
def test_rounded(value, base, expected):
    assert rounded(value, base) == expected


def _possible_withheld(shown_total: int, shown_parts: list[int], min_count: int = MIN) -> set[int]:
    """The values 0…min−1 a withheld part can take, to someone who knows the rounding rule, a published
    total and its other, published parts (a map's cells against the 30 days' total, say)."""
    possible = set()
    part_ranges = [[p for p in range(max(min_count, s - min_count), s + min_count) if public_count(p, min_count) == s] for s in shown_parts]
    lo, hi = sum(min(r) for r in part_ranges), sum(max(r) for r in part_ranges)
    for w in range(min_count):
        if any(public_count(w + x, min_count) == shown_total for x in range(lo, hi + 1)):
            possible.add(w)
    return possible


@pytest.mark.parametrize("total, parts, withheld", [
    (24, [12, 9], 3),  # cells of the map against the 30 days: shown 25 = 10 + 10 + <5
    (1188, [600, 585], 3),
    (9, [7], 2),  # shown 10 = 5 + <5
    (25, [10, 11], 4),
])
def test_a_total_less_its_published_parts_leaves_the_withheld_part_open(total, parts, withheld):
    """Unrounded, 24 − 12 − 9 gives the withheld 3 exactly; rounded (25 − 10 − 10), the withheld part may be
    any of several values. (Rounding leaves an interval; in rare constellations — every figure at the edge
    of its rounding, e.g. 18 = 7 + 7 + 4 — the interval's end can still meet 0 or 4: docs/public_screen.md.)"""
    assert sum(parts) + withheld == total
    possible = _possible_withheld(public_count(total, MIN), [public_count(p, MIN) for p in parts])
    assert withheld in possible and len(possible) >= 2, possible
