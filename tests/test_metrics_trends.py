"""Trend windows, weekly/monthly rates from daily counts, and the pull-down analysis, worked by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.settings import DEFAULT_SETTINGS
from metrics import rates, trends

D = dt.date
NAN = float("nan")
HALF_BASIC = dataclasses.replace(DEFAULT_SETTINGS, satisfaction_basic_weight=0.5)


# --- trend_window ------------------------------------------------------------------------------------

# 2026-11-20 is a Friday of the ISO week starting Monday 11-16; eleven weeks earlier is Monday 08-31.
@pytest.mark.parametrize(
    "since, until, freq, min_buckets, expected",
    [
        (D(2026, 11, 1), D(2026, 11, 20), "week", 12, D(2026, 8, 31)),
        (D(2026, 10, 22), D(2026, 11, 20), "week", 12, D(2026, 8, 31)),
        (D(2026, 11, 1), D(2026, 11, 20), "month", 12, D(2025, 12, 1)),
        (D(2026, 1, 1), D(2026, 11, 20), "week", 12, D(2025, 12, 29)),  # the period is longer: its first week
        (D(2026, 1, 1), D(2026, 11, 20), "month", 12, D(2025, 12, 1)),
        (D(2024, 3, 15), D(2026, 11, 20), "month", 12, D(2024, 3, 1)),
        (D(2026, 3, 10), D(2026, 3, 10), "month", 12, D(2025, 4, 1)),  # across the year boundary
        (D(2026, 11, 22), D(2026, 11, 22), "week", 12, D(2026, 8, 31)),  # a Sunday ends the week of 11-16
        (D(2026, 11, 23), D(2026, 11, 23), "week", 12, D(2026, 9, 7)),  # a Monday starts a new week
        (D(2026, 11, 18), D(2026, 11, 20), "week", 1, D(2026, 11, 16)),
    ],
    ids=[
        "this-month-weekly",
        "last-30-days-weekly",
        "this-month-monthly",
        "this-year-weekly",
        "this-year-monthly",
        "long-custom-monthly",
        "march-monthly-reaches-april-last-year",
        "sunday",
        "monday",
        "one-bucket-aligns-to-monday",
    ],
)
def test_trend_window(since, until, freq, min_buckets, expected):
    assert trends.trend_window(since, until, freq, min_buckets) == (expected, until)


@pytest.mark.parametrize(
    "since, until, freq, message",
    [(D(2026, 11, 1), D(2026, 11, 20), "day", "unknown frequency"), (D(2026, 11, 2), D(2026, 11, 1), "week", "starts after")],
    ids=["daily-is-not-a-trend-frequency", "reversed-period"],
)
def test_trend_window_refuses(since, until, freq, message):
    with pytest.raises(ValueError, match=message):
        trends.trend_window(since, until, freq)


@pytest.mark.parametrize(
    "start, freq, end",
    [
        (D(2026, 11, 16), "week", D(2026, 11, 22)),
        (D(2025, 12, 29), "week", D(2026, 1, 4)),
        (D(2024, 2, 1), "month", D(2024, 2, 29)),
        (D(2026, 12, 1), "month", D(2026, 12, 31)),
    ],
    ids=["week", "week-across-new-year", "leap-february", "december"],
)
def test_bucket_end(start, freq, end):
    assert trends.bucket_end(start, freq) == end


# --- trend_rates -------------------------------------------------------------------------------------


def _day(day: dt.date, group: str | None = None, **counts: int) -> dict:
    row = {"day": day, **dict.fromkeys(rates.COUNT_COLUMNS, 0), **counts}
    return row if group is None else {**row, "group": group}


# Monday 11-02 and Sunday 11-08 share a week; Monday 11-09 starts the next.
DAILY = pd.DataFrame(
    [
        _day(D(2026, 11, 2), tickets=3, dispatched=3, callbacks_answered=2, satisfied=1, basic=1, solved=2,
             callback_due=2, callback_covered=2),
        _day(D(2026, 11, 8), tickets=2, dispatched=2, callbacks_answered=2, unsatisfied=2, partly=1, unsolved=1,
             callback_due=3, callback_covered=2),
        _day(D(2026, 11, 9), tickets=1, dispatched=1, callbacks_answered=1, satisfied=1, solved=1, callback_due=1,
             callback_covered=1),
    ]
)
UNTIL = D(2026, 11, 10)


@pytest.mark.parametrize(
    "freq, settings, expected",
    [
        # week of 11-02: 4 answers, 满意 1 + 基本满意 1 → 2/4; 已解决 2 + 0.5 × 部分解决 1 → 2.5/4; covered 4 of 5.
        # week of 11-09: 1 answer, satisfied and solved; 1 of 1 covered; runs past 11-10, so partial.
        ("week", DEFAULT_SETTINGS, [(D(2026, 11, 2), False, 4, 0.5, 0.625, 0.8), (D(2026, 11, 9), True, 1, 1.0, 1.0, 1.0)]),
        # November: 5 answers, (2 + 1)/5 satisfied, (3 + 0.5)/5 solved, 5 of 6 covered.
        ("month", DEFAULT_SETTINGS, [(D(2026, 11, 1), True, 5, 0.6, 0.7, 5 / 6)]),
        # β = 0.5: week of 11-02 is (1 + 0.5 × 1)/4 satisfied.
        ("week", HALF_BASIC, [(D(2026, 11, 2), False, 4, 0.375, 0.625, 0.8), (D(2026, 11, 9), True, 1, 1.0, 1.0, 1.0)]),
    ],
    ids=["weekly", "monthly", "weekly-half-weight-for-basic"],
)
def test_trend_rates_overall(freq, settings, expected):
    frame = trends.trend_rates(DAILY, freq, UNTIL, settings=settings)
    got = list(
        zip(frame["period_start"], frame["partial"], frame["callbacks_answered"], frame["satisfaction_rate"],
            frame["resolution_rate"], frame["callback_coverage"])
    )
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for g, e in zip(got, expected):
        assert g[3:] == pytest.approx(e[3:])


def test_trend_rates_period_end_of_each_bucket():
    frame = trends.trend_rates(DAILY, "week", UNTIL)
    assert list(frame["period_end"]) == [D(2026, 11, 8), D(2026, 11, 15)]


def test_trend_rates_per_group_keeps_groups_apart():
    daily = pd.DataFrame(
        [
            _day(D(2026, 11, 3), "西苑街道", callbacks_answered=2, satisfied=2, solved=2),
            _day(D(2026, 11, 4), "东湖街道", callbacks_answered=1, unsatisfied=1, unsolved=1),
            _day(D(2026, 11, 5), "东湖街道", callbacks_answered=1, basic=1, partly=1),
        ]
    )
    frame = trends.trend_rates(daily, "week", UNTIL, ["group"])
    assert list(frame["group"]) == ["东湖街道", "西苑街道"]
    assert list(frame["callbacks_answered"]) == [2, 2]
    assert list(frame["satisfaction_rate"]) == pytest.approx([0.5, 1.0])
    assert list(frame["resolution_rate"]) == pytest.approx([0.25, 1.0])


def test_trend_rates_week_across_months_is_one_bucket():
    daily = pd.DataFrame([_day(D(2026, 11, 30), callbacks_answered=1, satisfied=1), _day(D(2026, 12, 6), callbacks_answered=1)])
    weekly = trends.trend_rates(daily, "week", D(2026, 12, 6))
    monthly = trends.trend_rates(daily, "month", D(2026, 12, 6))
    assert list(weekly["period_start"]) == [D(2026, 11, 30)] and list(weekly["callbacks_answered"]) == [2]
    assert list(monthly["period_start"]) == [D(2026, 11, 1), D(2026, 12, 1)]


def test_trend_rates_without_answers_are_nan_not_errors():
    daily = pd.DataFrame([_day(D(2026, 11, 3), tickets=4, dispatched=4)])
    frame = trends.trend_rates(daily, "week", UNTIL)
    assert math.isnan(frame["satisfaction_rate"].iloc[0]) and math.isnan(frame["callback_coverage"].iloc[0])


def test_trend_rates_of_no_days_is_empty():
    frame = trends.trend_rates(DAILY.iloc[0:0], "week", UNTIL)
    assert frame.empty and {"period_start", "period_end", "partial", "satisfaction_rate"} <= set(frame.columns)


def test_trend_rates_refuses_daily_frequency():
    with pytest.raises(ValueError, match="unknown frequency"):
        trends.trend_rates(DAILY, "day", UNTIL)


@pytest.mark.parametrize(
    "n, expected",
    [(1, ["南河"]), (2, ["南河", "东湖"]), (5, ["南河", "东湖", "西苑"])],
    ids=["top-one", "tie-broken-by-name", "more-than-there-are"],
)
def test_top_groups(n, expected):
    frame = pd.DataFrame(
        {"group": ["西苑", "东湖", "南河", "东湖", "西苑"], "callbacks_answered": [1, 3, 9, 2, 4]}
    )  # totals: 南河 9, 东湖 5, 西苑 5
    assert trends.top_groups(frame, "group", n) == expected


# --- pull_down ---------------------------------------------------------------------------------------


def _answers(rows: list[tuple[str, int, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["category", "callbacks_answered", "satisfied", "basic", "unsatisfied"])


# Columns compared: category, satisfaction_rate, answer_share, shortfall_share, gain (fractions).
@pytest.mark.parametrize(
    "rows, settings, overall, expected",
    [
        (
            # A 9 of 10 satisfied, B 5 of 10: overall 14/20 = 0.7.
            # gain B = (0.7 × 10 − 5)/20 = +0.1; A = (7 − 9)/20 = −0.1. Shortfall 1 + 5 = 6.
            [("A", 10, 9, 0, 1), ("B", 10, 5, 0, 5)],
            DEFAULT_SETTINGS,
            0.7,
            [("B", 0.5, 0.5, 5 / 6, 0.1), ("A", 0.9, 0.5, 1 / 6, -0.1)],
        ),
        (
            # X 45/50, Y 20/30, Z 20/20 (β = 1): overall 85/100. gains: Y (25.5 − 20)/100 = 0.055,
            # X (42.5 − 45)/100 = −0.025, Z (17 − 20)/100 = −0.03; shortfall 5, 10, 0 of 15.
            [("X", 50, 40, 5, 5), ("Y", 30, 20, 0, 10), ("Z", 20, 20, 0, 0)],
            DEFAULT_SETTINGS,
            0.85,
            [("Y", 2 / 3, 0.3, 2 / 3, 0.055), ("X", 0.9, 0.5, 1 / 3, -0.025), ("Z", 1.0, 0.2, 0.0, -0.03)],
        ),
        (
            # The case book's November: 供暖 satisfied, 噪音扰民 basic, 供水 unsatisfied; overall 2/3.
            # gain 供水 = (2/3 × 1 − 0)/3 = 2/9; the others (2/3 − 1)/3 = −1/9 (tie: by name).
            [("供暖", 1, 1, 0, 0), ("噪音扰民", 1, 0, 1, 0), ("供水", 1, 0, 0, 1)],
            DEFAULT_SETTINGS,
            2 / 3,
            [("供水", 0.0, 1 / 3, 1.0, 2 / 9), ("供暖", 1.0, 1 / 3, 0.0, -1 / 9), ("噪音扰民", 1.0, 1 / 3, 0.0, -1 / 9)],
        ),
        (
            # β = 0.5: 基本满意 is half satisfied. S = 1 + 0.5 + 0 = 1.5, overall 0.5; shortfall 0, 0.5, 1.
            # gains: 供水 (0.5 − 0)/3 = 1/6, 噪音扰民 (0.5 − 0.5)/3 = 0, 供暖 (0.5 − 1)/3 = −1/6.
            [("供暖", 1, 1, 0, 0), ("噪音扰民", 1, 0, 1, 0), ("供水", 1, 0, 0, 1)],
            HALF_BASIC,
            0.5,
            [("供水", 0.0, 1 / 3, 2 / 3, 1 / 6), ("噪音扰民", 0.5, 1 / 3, 1 / 3, 0.0), ("供暖", 1.0, 1 / 3, 0.0, -1 / 6)],
        ),
        (
            # Everyone satisfied: nobody pulls, and there is no shortfall to take a share of.
            [("A", 3, 3, 0, 0), ("B", 1, 0, 1, 0)],
            DEFAULT_SETTINGS,
            1.0,
            [("A", 1.0, 0.75, NAN, 0.0), ("B", 1.0, 0.25, NAN, 0.0)],
        ),
        (
            # A category without answered callbacks is left out.
            [("A", 2, 1, 0, 1), ("B", 0, 0, 0, 0)],
            DEFAULT_SETTINGS,
            0.5,
            [("A", 0.5, 1.0, 1.0, 0.0)],
        ),
    ],
    ids=["two-categories", "three-categories", "casebook-november", "casebook-half-weight-for-basic", "all-satisfied", "no-answers-left-out"],
)
def test_pull_down(rows, settings, overall, expected):
    frame = trends.pull_down(_answers(rows), settings)
    assert list(frame.columns) == list(trends.PULL_DOWN_COLUMNS)
    assert list(frame["category"]) == [e[0] for e in expected]
    assert list(frame["overall_rate"]) == pytest.approx([overall] * len(expected))
    for column, index in (("satisfaction_rate", 1), ("answer_share", 2), ("shortfall_share", 3), ("gain", 4)):
        got, want = list(frame[column]), [e[index] for e in expected]
        assert all((math.isnan(g) and math.isnan(w)) or g == pytest.approx(w, abs=1e-12) for g, w in zip(got, want)), column


def test_pull_down_of_nothing_is_empty():
    frame = trends.pull_down(_answers([]))
    assert frame.empty and list(frame.columns) == list(trends.PULL_DOWN_COLUMNS)


category_answers = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)).filter(lambda t: sum(t) > 0),
    min_size=1,
    max_size=8,
)


@hypothesis_settings(max_examples=60)
@given(category_answers, st.sampled_from([0.0, 0.5, 1.0]))
def test_pull_down_identities(answers, beta):
    """The gains add up to 0 and equal both a_c·(r − r_c) and (1 − r)·(u_c − a_c), as documented."""
    rows = [(f"c{i}", s + b + u, s, b, u) for i, (s, b, u) in enumerate(answers)]
    frame = trends.pull_down(_answers(rows), dataclasses.replace(DEFAULT_SETTINGS, satisfaction_basic_weight=beta))
    r = frame["overall_rate"].iloc[0]
    assert frame["gain"].sum() == pytest.approx(0, abs=1e-12)
    assert list(frame["gain"]) == pytest.approx(list(frame["answer_share"] * (r - frame["satisfaction_rate"])), abs=1e-12)
    if frame["shortfall_share"].notna().all():
        expected = (1 - r) * (frame["shortfall_share"] - frame["answer_share"])
        assert list(frame["gain"]) == pytest.approx(list(expected), abs=1e-12)
