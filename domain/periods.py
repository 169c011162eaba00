"""Period arithmetic: preset windows, the previous window, week/month roll-ups and change vs previous.

`today` is always passed in (DESIGN.md principle 5), so every result is deterministic. Periods are
`(since, until)` pairs of inclusive `datetime.date`s. Weeks are ISO weeks (Monday to Sunday) labelled by
their Monday; months are labelled by their first day.
"""

from __future__ import annotations

import datetime as dt
import numbers
from typing import Any, Mapping, NamedTuple, Sequence

import pandas as pd

from domain.units import UNIT_RATE, UNIT_SCORE

Period = tuple[dt.date, dt.date]

PRESETS = ("this_week", "last_week", "this_month", "last_month", "last_30_days", "this_year")
FREQUENCIES = ("day", "week", "month")
ROLLING_DAYS = 30  # "last_30_days" includes today


# ------------------------------------------------------------------------------------------- windows


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week containing `day`."""
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return _next_month(day) - dt.timedelta(days=1)


def preset_period(name: str, today: dt.date) -> Period:
    """The inclusive (since, until) of preset `name` (one of `PRESETS`) as seen on `today`.

    this_week / this_month / this_year are whole calendar periods, so `until` may lie after `today`;
    last_30_days is the 30 days ending with today.
    """
    if name == "this_week":
        monday = week_start(today)
        return monday, monday + dt.timedelta(days=6)
    if name == "last_week":
        monday = week_start(today) - dt.timedelta(days=7)
        return monday, monday + dt.timedelta(days=6)
    if name == "this_month":
        return month_start(today), month_end(today)
    if name == "last_month":
        last = month_start(today) - dt.timedelta(days=1)
        return month_start(last), last
    if name == "last_30_days":
        return today - dt.timedelta(days=ROLLING_DAYS - 1), today
    if name == "this_year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    raise ValueError(f"unknown period preset: {name!r} (expected one of {', '.join(PRESETS)})")


def previous_period(since: dt.date, until: dt.date) -> Period:
    """The window of the same number of days ending the day before `since`."""
    _check_period(since, until)
    length = until - since
    prev_until = since - dt.timedelta(days=1)
    return prev_until - length, prev_until


def previous_preset_period(name: str, today: dt.date) -> Period:
    """The calendar counterpart of preset `name` one step back (the month before, the year before...).

    Unlike `previous_period`, a month is compared with the whole previous month (not the same number of
    days), which is how monthly rankings are read.
    """
    since, until = preset_period(name, today)
    if name in ("this_month", "last_month"):
        last = since - dt.timedelta(days=1)
        return month_start(last), last
    if name == "this_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    return previous_period(since, until)


CALENDAR_UNITS = {"this_week": "week", "last_week": "week", "this_month": "month", "last_month": "month", "this_year": "year"}


def comparison_period(name: str | None, since: dt.date, until: dt.date) -> tuple[Period, str]:
    """The window a period is compared with, and how it was chosen ("to_date", "whole" or "rolling").

    A calendar period so far (this week, month or year, `until` being today) is compared with the same
    elapsed part of the previous one — 本周 Mon–Tue with last week's Mon–Tue, 本月 1–10 with last month's
    1–10 (cut at its end: 31 March with 28 February), this year to 30 November with last year's — "to_date".
    A whole calendar period (last week, last month) is compared with the whole one before it — "whole".
    Rolling windows (last 30 days) and custom ranges with the same number of days just before — "rolling".
    """
    _check_period(since, until)
    if name == "this_week":
        return (since - dt.timedelta(days=7), until - dt.timedelta(days=7)), "to_date"
    if name == "this_month":
        prev_start = month_start(since - dt.timedelta(days=1))
        return (prev_start, min(prev_start + (until - since), month_end(prev_start))), "to_date"
    if name == "this_year":
        prev_until = dt.date(until.year - 1, until.month, min(until.day, 28 if until.month == 2 else until.day))
        return (dt.date(since.year - 1, 1, 1), prev_until), "to_date"
    if name == "last_week":
        return (since - dt.timedelta(days=7), until - dt.timedelta(days=7)), "whole"
    if name == "last_month":
        last = since - dt.timedelta(days=1)
        return (month_start(last), last), "whole"
    return previous_period(since, until), "rolling"


def period_days(since: dt.date, until: dt.date) -> int:
    """The number of days in the inclusive window."""
    _check_period(since, until)
    return (until - since).days + 1


# ------------------------------------------------------------------------------------------ roll-ups


def roll_up(
    frame: pd.DataFrame,
    freq: str,
    group_cols: Sequence[str] = (),
    count_cols: Sequence[str] | None = None,
    day_col: str = "day",
) -> pd.DataFrame:
    """Daily counts summed to `freq` ("day", "week" or "month") per group.

    `frame` has a `day_col` column (dates, datetimes or ISO strings), optional `group_cols` and count
    columns. Returns a frame with columns `period_start` (a `datetime.date`: the day, the week's Monday or
    the month's first day), then `group_cols`, then the summed `count_cols` (default: every numeric
    column that is not a group column), sorted by group then period. Only additive counts can be rolled
    up; medians and rates must be computed per bucket or after the roll-up.
    """
    if freq not in FREQUENCIES:
        raise ValueError(f"unknown frequency: {freq!r} (expected one of {', '.join(FREQUENCIES)})")
    groups = list(group_cols)
    if count_cols is None:
        numeric = frame.drop(columns=[day_col, *groups]).select_dtypes("number")
        counts = list(numeric.columns)
    else:
        counts = list(count_cols)
    days = pd.to_datetime(frame[day_col]).dt.normalize()
    if freq == "week":
        starts = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    elif freq == "month":
        starts = days.dt.to_period("M").dt.start_time
    else:
        starts = days
    work = frame[groups + counts].copy()
    work["period_start"] = starts.dt.date
    keys = groups + ["period_start"]
    if work.empty:
        return pd.DataFrame(columns=["period_start", *groups, *counts])
    summed = work.groupby(keys, sort=True, dropna=False)[counts].sum().reset_index()
    return summed[["period_start", *groups, *counts]]


# ------------------------------------------------------------------------------------ change vs previous


class Change(NamedTuple):
    """A change against the previous period.

    `delta`: for rates, percentage points ((current - previous) × 100); for scores, points; for counts,
    hours and other quantities, the absolute difference. `relative`: (current - previous) / previous for
    quantities, None for rates and scores (percentage points already say it) or when previous is 0.
    Both are None when either value is missing.
    """

    delta: float | None
    relative: float | None


def change(current: Any, previous: Any, unit: str) -> Change:
    """The change from `previous` to `current` of a metric of `unit` (see `domain.units.UNITS`)."""
    cur, prev = _value(current), _value(previous)
    if cur is None or prev is None:
        return Change(None, None)
    if unit == UNIT_RATE:
        return Change((cur - prev) * 100, None)
    if unit == UNIT_SCORE:
        return Change(cur - prev, None)
    if isinstance(current, numbers.Integral) and isinstance(previous, numbers.Integral):
        delta: float = int(current) - int(previous)  # counts stay whole numbers
    else:
        delta = cur - prev
    return Change(delta, None if prev == 0 else delta / prev)


def count_change(current: int, previous: int) -> Change:
    """The absolute and relative change of a count (relative None when previous is 0)."""
    return change(current, previous, "count")


def rate_change_pp(current: float | None, previous: float | None) -> float | None:
    """The change of a rate in percentage points, or None when either rate is missing."""
    return change(current, previous, UNIT_RATE).delta


def compare_frames(
    current: pd.DataFrame, previous: pd.DataFrame, keys: Sequence[str], units: Mapping[str, str]
) -> pd.DataFrame:
    """`current` with, for each column c in `units`, `c_prev`, `c_delta` and `c_rel` from `previous`.

    Rows are matched on `keys` (a left join: units absent from `previous` get NaN). Deltas follow
    `change`: percentage points for rates, points for scores, absolute for the rest; `c_rel` is NaN for
    rates/scores and where the previous value is 0.
    """
    keys = list(keys)
    prev = previous[keys + list(units)].rename(columns={c: f"{c}_prev" for c in units})
    out = current.merge(prev, on=keys, how="left", validate="one_to_one")
    for column, unit in units.items():
        cur = pd.to_numeric(out[column]).astype("float64")
        old = pd.to_numeric(out[f"{column}_prev"]).astype("float64")
        diff = cur - old
        if unit == UNIT_RATE:
            out[f"{column}_delta"] = diff * 100
            out[f"{column}_rel"] = float("nan")
        elif unit == UNIT_SCORE:
            out[f"{column}_delta"] = diff
            out[f"{column}_rel"] = float("nan")
        else:
            out[f"{column}_delta"] = diff
            out[f"{column}_rel"] = diff / old.where(old != 0)
    return out


# ------------------------------------------------------------------------------------------- helpers


def _next_month(day: dt.date) -> dt.date:
    if day.month == 12:
        return dt.date(day.year + 1, 1, 1)
    return dt.date(day.year, day.month + 1, 1)


def _check_period(since: dt.date, until: dt.date) -> None:
    if since > until:
        raise ValueError(f"period starts after it ends: {since} > {until}")


def _value(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if number != number else number  # NaN is missing
