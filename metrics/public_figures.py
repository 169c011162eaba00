"""The figures of the public screen (公开大屏), from the aggregates of `data_access.public_queries`. Pure.

Each function turns counts into exactly what one panel shows, already suppressed (`metrics.suppression`):
the frames returned hold key columns and published figures only, never the counts behind them.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping

import pandas as pd

from domain import periods
from domain.settings import Settings
from metrics import rates, trends
from metrics.suppression import public_measures, public_table

HEADLINE_MEASURES = ("tickets", "response_rate", "resolution_rate", "satisfaction_rate")
TREND_MEASURES = ("tickets", "resolution_rate", "satisfaction_rate")
TREND_WEEKS = 12
TOP_CATEGORIES = 10


def headline(counts_by_period: Mapping[str, Mapping[str, int]], settings: Settings) -> dict[str, dict[str, float | int | None]]:
    """Per period ("today", "month"...): tickets and the three rates, each None when suppressed."""
    out = {}
    for period, counts in counts_by_period.items():
        values = {**counts, **rates.compute_rates(counts, settings)}
        out[period] = public_measures(values, HEADLINE_MEASURES, settings.public_min_count)
    return out


def trend_weeks(today: dt.date, weeks: int = TREND_WEEKS) -> list[dt.date]:
    """The Mondays of the `weeks` weeks ending with the week of `today`, oldest first."""
    last = periods.week_start(today)
    return [last - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def weekly_trend(daily: pd.DataFrame, today: dt.date, settings: Settings, weeks: int = TREND_WEEKS) -> pd.DataFrame:
    """Weekly tickets, 解决率 and 满意率 of the last `weeks` weeks (a week without tickets included).

    `daily` has `day` and the count contract. Returns period_start (date, Monday), partial (the week of
    `today`, not complete yet) and TREND_MEASURES, suppressed: tickets below the minimum are <NA>, a rate
    whose answered callbacks are below it is NaN.
    """
    mondays = trend_weeks(today, weeks)
    frame = pd.DataFrame({"period_start": mondays})
    if len(daily):
        rolled = trends.trend_rates(daily, "week", today, (), settings)
        frame = frame.merge(rolled, on="period_start", how="left")
    for col in rates.COUNT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64") if col in frame else 0
    frame = rates.add_rates(frame, settings)
    frame["partial"] = [periods.week_start(today) == monday for monday in mondays]
    return public_table(frame, ["period_start", "partial"], TREND_MEASURES, settings.public_min_count)


def top_categories(by_category: pd.DataFrame, min_count: int, top: int = TOP_CATEGORIES) -> tuple[pd.DataFrame, int]:
    """The `top` categories by tickets among the published ones (category, tickets; most first, then by
    name), and how many categories were left out because they have fewer than `min_count` tickets."""
    published = public_table(by_category, ["category"], ["tickets"], min_count)
    shown = published.dropna(subset=["tickets"])
    shown = shown.sort_values(["tickets", "category"], ascending=[False, True], kind="mergesort")
    return shown.head(top).reset_index(drop=True), int(published["tickets"].isna().sum())


def recently_closed(by_community: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Per community: street_name, community_name, closed_7d (published), in the given order."""
    return public_table(by_community, ["street_name", "community_name"], ["closed_7d"], min_count).reset_index(drop=True)


def cell_volumes(cell_ids: Iterable[int], by_cell: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """grid_cell_id and published tickets of every cell in `cell_ids` (a cell missing from `by_cell` has
    none, and is suppressed like any cell below the minimum)."""
    counts = dict(zip(pd.to_numeric(by_cell["grid_cell_id"]).astype("int64"), by_cell["tickets"]))
    frame = pd.DataFrame({"grid_cell_id": [int(c) for c in cell_ids]})
    frame["tickets"] = [int(counts.get(c, 0)) for c in frame["grid_cell_id"]]
    return public_table(frame, ["grid_cell_id"], ["tickets"], min_count)
