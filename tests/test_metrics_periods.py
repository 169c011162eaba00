"""Period presets, the previous window, roll-ups and change vs previous, worked by hand."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from domain import periods
from domain.periods import Change

D = dt.date


# 2026-01-01 is a Thursday in ISO week 2026-W01, whose Monday is 2025-12-29.
# 2026-11-21 is a Saturday in ISO week 2026-W47 (Mon 11-16 .. Sun 11-22).
# 2026-03-01 is a Sunday, the last day of ISO week 2026-W09 (Mon 02-23).
# 2024-12-30 is a Monday and starts ISO week 2025-W01.
@pytest.mark.parametrize(
    ("preset", "today", "expected"),
    [
        ("this_week", D(2026, 1, 1), (D(2025, 12, 29), D(2026, 1, 4))),
        ("last_week", D(2026, 1, 1), (D(2025, 12, 22), D(2025, 12, 28))),
        ("this_month", D(2026, 1, 1), (D(2026, 1, 1), D(2026, 1, 31))),
        ("last_month", D(2026, 1, 1), (D(2025, 12, 1), D(2025, 12, 31))),
        ("last_30_days", D(2026, 1, 1), (D(2025, 12, 3), D(2026, 1, 1))),
        ("this_year", D(2026, 1, 1), (D(2026, 1, 1), D(2026, 12, 31))),
        ("this_week", D(2026, 11, 21), (D(2026, 11, 16), D(2026, 11, 22))),
        ("last_week", D(2026, 11, 21), (D(2026, 11, 9), D(2026, 11, 15))),
        ("this_month", D(2026, 11, 21), (D(2026, 11, 1), D(2026, 11, 30))),
        ("last_month", D(2026, 11, 21), (D(2026, 10, 1), D(2026, 10, 31))),
        ("last_30_days", D(2026, 11, 21), (D(2026, 10, 23), D(2026, 11, 21))),  # 21 Nov days + 9 Oct days
        ("this_year", D(2026, 11, 21), (D(2026, 1, 1), D(2026, 12, 31))),
        ("this_week", D(2026, 3, 1), (D(2026, 2, 23), D(2026, 3, 1))),
        ("last_month", D(2026, 3, 1), (D(2026, 2, 1), D(2026, 2, 28))),
        ("last_month", D(2024, 3, 15), (D(2024, 2, 1), D(2024, 2, 29))),  # leap year
        ("this_month", D(2024, 2, 10), (D(2024, 2, 1), D(2024, 2, 29))),
        ("this_week", D(2024, 12, 30), (D(2024, 12, 30), D(2025, 1, 5))),
        ("last_week", D(2024, 12, 30), (D(2024, 12, 23), D(2024, 12, 29))),
        ("this_month", D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
        ("last_30_days", D(2026, 3, 1), (D(2026, 1, 31), D(2026, 3, 1))),  # 1 Mar + 28 Feb + 1 Jan day
    ],
    ids=[
        "2026-01-01-thu-this-week-spans-new-year",
        "2026-01-01-thu-last-week",
        "2026-01-01-thu-this-month",
        "2026-01-01-thu-last-month-is-december",
        "2026-01-01-thu-last-30-days",
        "2026-01-01-thu-this-year",
        "2026-11-21-sat-this-week",
        "2026-11-21-sat-last-week",
        "2026-11-21-sat-this-month",
        "2026-11-21-sat-last-month",
        "2026-11-21-sat-last-30-days",
        "2026-11-21-sat-this-year",
        "2026-03-01-sun-this-week-spans-february",
        "2026-03-01-sun-last-month-28-days",
        "2024-03-15-last-month-leap-february",
        "2024-02-10-this-month-leap",
        "2024-12-30-mon-iso-week-2025-w01",
        "2024-12-30-mon-last-week",
        "2026-12-31-this-month-december",
        "2026-03-01-last-30-days-over-february",
    ],
)
def test_preset_period(preset, today, expected):
    assert periods.preset_period(preset, today) == expected


def test_every_preset_is_a_valid_window():
    today = D(2026, 11, 21)
    for preset in periods.PRESETS:
        since, until = periods.preset_period(preset, today)
        assert since <= until, preset


def test_unknown_preset_is_an_error():
    with pytest.raises(ValueError, match="this_fortnight"):
        periods.preset_period("this_fortnight", D(2026, 1, 1))


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (D(2026, 11, 16), D(2026, 11, 22), (D(2026, 11, 9), D(2026, 11, 15))),  # a week
        (D(2026, 3, 1), D(2026, 3, 31), (D(2026, 1, 29), D(2026, 2, 28))),  # 31 days ending 28 Feb
        (D(2026, 1, 1), D(2026, 1, 1), (D(2025, 12, 31), D(2025, 12, 31))),  # one day
        (D(2026, 1, 1), D(2026, 12, 31), (D(2025, 1, 1), D(2025, 12, 31))),  # 365 days
        (D(2024, 3, 1), D(2024, 3, 30), (D(2024, 1, 31), D(2024, 2, 29))),  # 30 days over a leap Feb
    ],
    ids=["week", "march-31-days", "single-day", "year-2026", "leap-february"],
)
def test_previous_period(since, until, expected):
    assert periods.previous_period(since, until) == expected
    prev_since, prev_until = expected
    assert periods.period_days(prev_since, prev_until) == periods.period_days(since, until)


def test_previous_period_rejects_reversed_window():
    with pytest.raises(ValueError, match="starts after it ends"):
        periods.previous_period(D(2026, 1, 2), D(2026, 1, 1))


@pytest.mark.parametrize(
    ("preset", "today", "expected"),
    [
        ("this_month", D(2026, 3, 10), (D(2026, 2, 1), D(2026, 2, 28))),  # whole February, not 31 days
        ("last_month", D(2026, 3, 10), (D(2026, 1, 1), D(2026, 1, 31))),
        ("this_year", D(2026, 3, 10), (D(2025, 1, 1), D(2025, 12, 31))),
        ("this_week", D(2026, 1, 1), (D(2025, 12, 22), D(2025, 12, 28))),
        ("last_30_days", D(2026, 1, 1), (D(2025, 11, 3), D(2025, 12, 2))),
    ],
    ids=["this-month-vs-february", "last-month-vs-january", "this-year-vs-2025", "this-week", "last-30-days"],
)
def test_previous_preset_period(preset, today, expected):
    assert periods.previous_preset_period(preset, today) == expected


# ------------------------------------------------------------------------------------------ roll-ups


def daily_frame() -> pd.DataFrame:
    """Nine days from Mon 2025-12-29 to Tue 2026-01-06, two streets, tickets = day index."""
    rows = []
    for offset in range(9):
        day = D(2025, 12, 29) + dt.timedelta(days=offset)
        rows.append({"day": day, "street": "A" if offset % 2 == 0 else "B", "tickets": offset, "closed": 1})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("freq", "group_cols", "expected"),
    [
        # Week of Mon 12-29 holds days 0..6; week of Mon 01-05 holds days 7, 8.
        ("week", (), [(D(2025, 12, 29), 0 + 1 + 2 + 3 + 4 + 5 + 6, 7), (D(2026, 1, 5), 7 + 8, 2)]),
        # December holds days 0..2 (29, 30, 31); January days 3..8.
        ("month", (), [(D(2025, 12, 1), 0 + 1 + 2, 3), (D(2026, 1, 1), 3 + 4 + 5 + 6 + 7 + 8, 6)]),
        # Street A has the even days 0, 2, 4, 6, 8; street B the odd days 1, 3, 5, 7.
        (
            "week",
            ("street",),
            [
                (D(2025, 12, 29), "A", 0 + 2 + 4 + 6, 4),
                (D(2026, 1, 5), "A", 8, 1),
                (D(2025, 12, 29), "B", 1 + 3 + 5, 3),
                (D(2026, 1, 5), "B", 7, 1),
            ],
        ),
        (
            "month",
            ("street",),
            [
                (D(2025, 12, 1), "A", 0 + 2, 2),
                (D(2026, 1, 1), "A", 4 + 6 + 8, 3),
                (D(2025, 12, 1), "B", 1, 1),
                (D(2026, 1, 1), "B", 3 + 5 + 7, 3),
            ],
        ),
    ],
    ids=["weekly-over-new-year", "monthly-over-new-year", "weekly-per-street", "monthly-per-street"],
)
def test_roll_up(freq, group_cols, expected):
    out = periods.roll_up(daily_frame(), freq, group_cols)
    assert list(out.columns) == ["period_start", *group_cols, "tickets", "closed"]
    assert [tuple(row) for row in out.itertuples(index=False)] == expected


def test_roll_up_accepts_iso_strings_and_timestamps():
    frame = pd.DataFrame({"day": ["2026-11-21", "2026-11-22", "2026-11-23"], "tickets": [1, 2, 4]})
    by_string = periods.roll_up(frame, "week")
    frame["day"] = pd.to_datetime(frame["day"]) + pd.Timedelta(hours=13)
    by_timestamp = periods.roll_up(frame, "week")
    expected = [(D(2026, 11, 16), 3), (D(2026, 11, 23), 4)]
    assert [tuple(r) for r in by_string.itertuples(index=False)] == expected
    assert [tuple(r) for r in by_timestamp.itertuples(index=False)] == expected


def test_roll_up_by_day_keeps_days_and_sums_duplicates():
    frame = pd.DataFrame({"day": [D(2026, 1, 2), D(2026, 1, 1), D(2026, 1, 2)], "tickets": [1, 2, 4]})
    out = periods.roll_up(frame, "day")
    assert [tuple(r) for r in out.itertuples(index=False)] == [(D(2026, 1, 1), 2), (D(2026, 1, 2), 5)]


def test_roll_up_only_named_count_columns():
    frame = daily_frame()
    out = periods.roll_up(frame, "month", count_cols=["tickets"])
    assert list(out.columns) == ["period_start", "tickets"]


def test_roll_up_of_empty_frame():
    out = periods.roll_up(daily_frame().iloc[:0], "week", ["street"])
    assert out.empty
    assert list(out.columns) == ["period_start", "street", "tickets", "closed"]


def test_roll_up_unknown_frequency():
    with pytest.raises(ValueError, match="quarter"):
        periods.roll_up(daily_frame(), "quarter")


# ------------------------------------------------------------------------------------ change vs previous


@pytest.mark.parametrize(
    ("current", "previous", "unit", "expected"),
    [
        (0.95, 0.90, "rate", Change(5.0, None)),  # +5 percentage points, not +5.6 %
        (0.90, 0.95, "rate", Change(-5.0, None)),
        (0.9381, 0.9381, "rate", Change(0.0, None)),
        (None, 0.90, "rate", Change(None, None)),
        (0.90, float("nan"), "rate", Change(None, None)),
        (85.5, 86.0, "score", Change(-0.5, None)),
        (120, 100, "count", Change(20, 0.2)),
        (80, 100, "count", Change(-20, -0.2)),
        (5, 0, "count", Change(5, None)),  # no relative change from zero
        (0, 0, "count", Change(0, None)),
        (0, 4, "count", Change(-4, -1.0)),
        (36.0, 48.0, "hours", Change(-12.0, -0.25)),
        (None, 10.0, "per_10k", Change(None, None)),
    ],
    ids=[
        "rate-up-5pp",
        "rate-down-5pp",
        "rate-unchanged",
        "rate-missing-current",
        "rate-nan-previous",
        "score-points",
        "count-up-20pct",
        "count-down-20pct",
        "count-from-zero",
        "count-zero-zero",
        "count-to-zero",
        "hours-faster",
        "per-10k-missing",
    ],
)
def test_change(current, previous, unit, expected):
    got = periods.change(current, previous, unit)
    if expected.delta is None:
        assert got.delta is None
    else:
        assert got.delta == pytest.approx(expected.delta)
    if expected.relative is None:
        assert got.relative is None
    else:
        assert got.relative == pytest.approx(expected.relative)


def test_count_change_keeps_whole_numbers():
    assert periods.count_change(120, 100) == Change(20, 0.2)
    assert isinstance(periods.count_change(120, 100).delta, int)


def test_rate_change_pp():
    assert periods.rate_change_pp(0.93, 0.90) == pytest.approx(3.0)
    assert periods.rate_change_pp(0.93, None) is None


def test_compare_frames():
    current = pd.DataFrame(
        {"street": ["A", "B", "C"], "tickets": [120, 5, 9], "satisfaction_rate": [0.95, 0.80, float("nan")]}
    )
    previous = pd.DataFrame({"street": ["A", "B"], "tickets": [100, 0], "satisfaction_rate": [0.90, 0.85]})
    units = {"tickets": "count", "satisfaction_rate": "rate"}
    out = periods.compare_frames(current, previous, ["street"], units)
    a, b, c = (out.iloc[i] for i in range(3))
    assert (a["tickets_prev"], a["tickets_delta"], a["tickets_rel"]) == (100, 20, pytest.approx(0.2))
    assert a["satisfaction_rate_delta"] == pytest.approx(5.0)
    assert math.isnan(a["satisfaction_rate_rel"])
    assert b["tickets_delta"] == 5 and math.isnan(b["tickets_rel"])  # previous 0: no relative change
    assert b["satisfaction_rate_delta"] == pytest.approx(-5.0)
    assert math.isnan(c["tickets_prev"]) and math.isnan(c["tickets_delta"])  # new unit: nothing to compare
    assert list(out["street"]) == ["A", "B", "C"]


@pytest.mark.parametrize(
    "name, since, until, expected, kind",
    [
        # 本周 on Tuesday 1 December 2026: Mon–Tue against last week's Mon–Tue.
        ("this_week", D(2026, 11, 30), D(2026, 12, 1), (D(2026, 11, 23), D(2026, 11, 24)), "to_date"),
        # 本月 on the 10th: 1–10 against last month's 1–10.
        ("this_month", D(2026, 11, 1), D(2026, 11, 10), (D(2026, 10, 1), D(2026, 10, 10)), "to_date"),
        # 31 March against February, cut at its end (28 days in 2026).
        ("this_month", D(2026, 3, 1), D(2026, 3, 31), (D(2026, 2, 1), D(2026, 2, 28)), "to_date"),
        # 今年 to 30 November against last year to 30 November; 29 February against 28 February.
        ("this_year", D(2026, 1, 1), D(2026, 11, 30), (D(2025, 1, 1), D(2025, 11, 30)), "to_date"),
        ("this_year", D(2028, 1, 1), D(2028, 2, 29), (D(2027, 1, 1), D(2027, 2, 28)), "to_date"),
        # 上周, 上月: whole against whole (上月 = October 2026 against September, not 10-02…10-31).
        ("last_week", D(2026, 11, 23), D(2026, 11, 29), (D(2026, 11, 16), D(2026, 11, 22)), "whole"),
        ("last_month", D(2026, 11, 1), D(2026, 11, 30), (D(2026, 10, 1), D(2026, 10, 31)), "whole"),
        ("last_month", D(2026, 3, 1), D(2026, 3, 31), (D(2026, 2, 1), D(2026, 2, 28)), "whole"),
        # Rolling and custom: the same number of days just before.
        ("last_30_days", D(2026, 11, 2), D(2026, 12, 1), (D(2026, 10, 3), D(2026, 11, 1)), "rolling"),
        (None, D(2026, 11, 5), D(2026, 11, 9), (D(2026, 10, 31), D(2026, 11, 4)), "rolling"),
    ],
    ids=["this-week-tuesday", "this-month-10th", "march-31-vs-february", "this-year", "leap-day", "last-week",
         "last-month", "last-month-march", "last-30-days", "custom"],
)
def test_comparison_period(name, since, until, expected, kind):
    assert periods.comparison_period(name, since, until) == (expected, kind)
