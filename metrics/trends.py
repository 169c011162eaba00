"""Satisfaction trends and the categories that pull satisfaction down. Pure: frames of counts in, frames out.

* `trend_window` — which days a weekly/monthly trend covers: the chosen period, widened to at least the
  last `MIN_BUCKETS` weeks or months ending with it, starting on a whole week/month.
* `trend_rates` — daily counts (the count contract, optionally per group) summed to weeks or months with
  `periods.roll_up`, then `rates.add_rates`.
* `pull_down` — for each category: its share of answered callbacks, its share of the unsatisfied ones, and
  how many percentage points the overall 满意率 would gain if the category were at the overall rate.

The pull-down arithmetic, per category c (β = settings.satisfaction_basic_weight):
    A_c = answered callbacks, S_c = 满意 + β·基本满意 (satisfied-equivalent),
    U_c = A_c − S_c = 不满意 + (1 − β)·基本满意 (its shortfall; with β = 1 simply 不满意);
    A = Σ A_c, S = Σ S_c, U = Σ U_c, r = S ÷ A (the overall 满意率), r_c = S_c ÷ A_c.
    answer_share a_c = A_c ÷ A;  shortfall_share u_c = U_c ÷ U (NaN when U = 0);
    gain g_c = (r·A_c − S_c) ÷ A = a_c·(r − r_c) = (1 − r)·(u_c − a_c).
g_c is the rise of the overall rate if c's answers were satisfied at rate r instead of r_c (all else equal).
It is positive exactly when c's share of the shortfall exceeds its share of the answers, it weighs a
category's gap by its size (a tiny category cannot dominate), and the gains of all categories sum to 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import numpy as np
import pandas as pd

from domain import periods
from domain.settings import DEFAULT_SETTINGS, Settings
from metrics import rates

FREQUENCIES = ("week", "month")
MIN_BUCKETS = 12  # a trend shows at least the last 12 weeks / 12 months, whatever the chosen period

PULL_DOWN_COLUMNS = (
    "category",
    "callbacks_answered",
    "satisfied_equivalent",
    "shortfall",
    "satisfaction_rate",
    "answer_share",
    "shortfall_share",
    "gain",
    "overall_rate",
)


def trend_window(since: dt.date, until: dt.date, freq: str, min_buckets: int = MIN_BUCKETS) -> tuple[dt.date, dt.date]:
    """The inclusive days a `freq` trend covers: from the start of the week/month holding `since`, or of the
    `min_buckets`-th week/month back from `until` if that is earlier, to `until`."""
    if freq not in FREQUENCIES:
        raise ValueError(f"unknown frequency: {freq!r} (expected one of {', '.join(FREQUENCIES)})")
    if since > until:
        raise ValueError(f"period starts after it ends: {since} > {until}")
    if freq == "week":
        chosen = periods.week_start(since)
        earliest = periods.week_start(until) - dt.timedelta(weeks=min_buckets - 1)
    else:
        chosen = periods.month_start(since)
        earliest = _months_back(periods.month_start(until), min_buckets - 1)
    return min(chosen, earliest), until


def bucket_end(start: dt.date, freq: str) -> dt.date:
    """The last day of the week (Sunday) or month that starts on `start`."""
    if freq == "week":
        return start + dt.timedelta(days=6)
    if freq == "month":
        return periods.month_end(start)
    raise ValueError(f"unknown frequency: {freq!r}")


def trend_rates(
    daily: pd.DataFrame,
    freq: str,
    until: dt.date,
    group_cols: Sequence[str] = (),
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Weekly or monthly counts and rates, per group, from daily counts.

    `daily` has `day`, the `group_cols` and the count contract (`rates.COUNT_COLUMNS`). Returns
    period_start, period_end (datetime.date), partial (the bucket runs past `until`, the window's last day,
    so it is not complete yet), the group columns, the summed counts and `rates.RATE_COLUMNS`; sorted by
    group then period. Only additive counts are rolled up; rates are computed per bucket afterwards.
    """
    if freq not in FREQUENCIES:
        raise ValueError(f"unknown frequency: {freq!r} (expected one of {', '.join(FREQUENCIES)})")
    groups = list(group_cols)
    rolled = periods.roll_up(daily, freq, group_cols=groups, count_cols=rates.COUNT_COLUMNS)
    for col in rates.COUNT_COLUMNS:
        rolled[col] = pd.to_numeric(rolled[col]).fillna(0).astype("int64")
    out = rates.add_rates(rolled, settings)
    ends = [bucket_end(start, freq) for start in out["period_start"]]
    out.insert(1, "period_end", pd.Series(ends, index=out.index, dtype="object"))
    out.insert(2, "partial", pd.Series([end > until for end in ends], index=out.index, dtype="bool"))
    return out.reset_index(drop=True)


def top_groups(frame: pd.DataFrame, key: str, n: int, weight: str = "callbacks_answered") -> list:
    """The `n` values of `key` with the largest total `weight` (ties by key), largest first."""
    if frame.empty:
        return []
    totals = frame.groupby(key, sort=False)[weight].sum().reset_index()
    totals = totals.sort_values([weight, key], ascending=[False, True], kind="mergesort")
    return list(totals[key].head(n))


def pull_down(by_category: pd.DataFrame, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """Each category's pull on the overall 满意率 (see the module docstring for the exact definition).

    `by_category` has category, callbacks_answered, satisfied, basic, unsatisfied (e.g.
    flow_queries.satisfaction_by_category). Returns PULL_DOWN_COLUMNS, one row per category with at least
    one answered callback, sorted by gain (largest pull first), then category. Shares and rates are
    fractions; `gain` is a fraction of 1 (× 100 = percentage points).
    """
    beta = settings.satisfaction_basic_weight
    frame = by_category[by_category["callbacks_answered"] > 0]
    answered = pd.to_numeric(frame["callbacks_answered"]).astype("float64").to_numpy()
    sat = (pd.to_numeric(frame["satisfied"]) + beta * pd.to_numeric(frame["basic"])).astype("float64").to_numpy()
    shortfall = answered - sat
    total_a, total_s = answered.sum(), sat.sum()
    total_u = total_a - total_s
    overall = total_s / total_a if total_a else np.nan
    out = pd.DataFrame(
        {
            "category": frame["category"].to_numpy(),
            "callbacks_answered": answered.astype("int64"),
            "satisfied_equivalent": sat,
            "shortfall": shortfall,
            "satisfaction_rate": sat / answered if len(answered) else np.array([], dtype="float64"),
            "answer_share": answered / total_a if total_a else np.full(len(answered), np.nan),
            # Rounding guard: with every answer satisfied U is 0 and no category holds a share of it.
            "shortfall_share": shortfall / total_u if total_u > 1e-12 else np.full(len(answered), np.nan),
            "gain": (overall * answered - sat) / total_a if total_a else np.full(len(answered), np.nan),
            "overall_rate": np.full(len(answered), overall, dtype="float64"),
        },
        columns=list(PULL_DOWN_COLUMNS),
    )
    out = out.sort_values(["gain", "category"], ascending=[False, True], kind="mergesort")
    return out.reset_index(drop=True)


def _months_back(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + (first.month - 1) - months
    return dt.date(index // 12, index % 12 + 1, 1)
