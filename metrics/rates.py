"""Rates, scores and derived counts from the counts the database returns (DOMAIN.md, "The three rates").

The data layer hands over, per group, the integer counts named in `COUNT_COLUMNS`; this module turns them
into rates. Two APIs give the same numbers:

* scalar: `compute_rates(counts, settings)` -> a dict of plain floats/ints, `None` where a denominator is 0;
* vectorised: `add_rates(frame, settings)` -> a copy of a frame of counts with the rate columns added,
  float NaN where a denominator is 0.

No function here divides by zero, and no NaN leaks out of the scalar API. Missing counts (None/NaN, as SQL
`SUM` gives over no rows) count as 0; a missing count *name* is a bug in the caller and raises ValueError.
Rates are not clamped: with numerators <= denominators and weights in [0, 1] they lie in [0, 1].
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from domain.settings import DEFAULT_SETTINGS, Settings

# The count contract of the data layer (one value per group).
COUNT_COLUMNS = (
    "tickets",  # non-excluded tickets in scope and period
    "dispatched",  # three-rate population: RATE_CHANNELS, dispatched, not excluded
    "response_due",  # of dispatched: contacted, or past contact_due_at (a response is owed by now)
    "contacted_on_time",  # of response_due: contacted_at <= contact_due_at
    "callbacks_answered",  # of dispatched: answered callback
    "solved",  # of callbacks_answered, by resolution
    "partly",
    "unsolved",
    "satisfied",  # of callbacks_answered, by satisfaction
    "basic",
    "unsatisfied",
    "callback_due",  # of dispatched: closed, or open and past due_at
    "callback_covered",  # of callback_due: answered callback
    "closed",  # of tickets: closed
    "closed_on_time",  # of closed: closed_at <= due_at
    "open_overdue",  # of tickets: open and past due_at
    "open",  # of tickets: open
)

# Keys of `compute_rates`, in display order.
RATE_KEYS = (
    "tickets",
    "dispatched",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "callback_coverage",
    "composite",
    "on_time_close_rate",
    "overdue_open",
)

# Columns `add_rates` adds (tickets and dispatched are already counts of the frame).
RATE_COLUMNS = RATE_KEYS[2:]

# Inputs of the other measures (not part of the main count contract).
GRID_COUNT_COLUMNS = ("grid_cases", "grid_closed")  # non-excluded grid-channel cases; of them, closed
MEDIAN_SECONDS_COLUMN = "median_close_seconds"  # median closed_at - received_at, computed by the database

SECONDS_PER_HOUR = 3600
PER_10K = 10_000  # 万人诉求比: tickets per 10,000 residents


# ---------------------------------------------------------------------------------------------- scalar


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator as a float, or None when the denominator is 0 or missing."""
    num = _number(numerator)
    den = _number(denominator)
    if den == 0:
        return None
    return num / den


def response_rate(counts: Mapping[str, Any]) -> float | None:
    """响应率 = contacted_on_time / response_due, or None.

    The denominator leaves out tickets still inside their contact window: at 10:00 a ticket received at
    09:45 has not failed to be contacted, and counting it would make "today" look like a collapse.
    """
    return ratio(_get(counts, "contacted_on_time"), _get(counts, "response_due"))


def resolution_rate(counts: Mapping[str, Any], settings: Settings = DEFAULT_SETTINGS) -> float | None:
    """解决率 = (solved + α·partly) / callbacks_answered, α = settings.resolution_partial_weight; or None."""
    alpha = settings.resolution_partial_weight
    weighted = _get(counts, "solved") + alpha * _get(counts, "partly")
    return ratio(weighted, _get(counts, "callbacks_answered"))


def satisfaction_rate(counts: Mapping[str, Any], settings: Settings = DEFAULT_SETTINGS) -> float | None:
    """满意率 = (satisfied + β·basic) / callbacks_answered, β = settings.satisfaction_basic_weight; or None."""
    beta = settings.satisfaction_basic_weight
    weighted = _get(counts, "satisfied") + beta * _get(counts, "basic")
    return ratio(weighted, _get(counts, "callbacks_answered"))


def callback_coverage(counts: Mapping[str, Any]) -> float | None:
    """回访覆盖率 = callback_covered / callback_due, or None."""
    return ratio(_get(counts, "callback_covered"), _get(counts, "callback_due"))


def on_time_close_rate(counts: Mapping[str, Any]) -> float | None:
    """按期办结率 = closed_on_time / (closed + open_overdue), or None."""
    return ratio(_get(counts, "closed_on_time"), _get(counts, "closed") + _get(counts, "open_overdue"))


def composite_score(
    response: float | None,
    resolution: float | None,
    satisfaction: float | None,
    settings: Settings = DEFAULT_SETTINGS,
) -> float | None:
    """综合得分（测算） = 100·(w_resp·响应率 + w_res·解决率 + w_sat·满意率), or None if any rate is None/NaN."""
    rates = (_optional(response), _optional(resolution), _optional(satisfaction))
    if any(rate is None for rate in rates):
        return None
    resp, res, sat = (rate for rate in rates if rate is not None)
    w = settings.composite_weights
    return 100 * (w["response"] * resp + w["resolution"] * res + w["satisfaction"] * sat)


def median_hours(seconds: float | None) -> float | None:
    """A duration given in seconds (the database's median) in hours, or None when there is none."""
    value = _optional(seconds)
    return None if value is None else value / SECONDS_PER_HOUR


def grid_close_rate(grid_closed: float | None, grid_cases: float | None) -> float | None:
    """网格案件结案率 = closed grid cases / grid cases, or None."""
    return ratio(grid_closed, grid_cases)


def tickets_per_10k(tickets: float | None, population: float | None) -> float | None:
    """万人诉求比 = tickets / population × 10,000, or None when the population is unknown or 0."""
    share = ratio(tickets, population)
    return None if share is None else share * PER_10K


def compute_rates(
    counts: Mapping[str, Any], settings: Settings = DEFAULT_SETTINGS
) -> dict[str, float | int | None]:
    """Every headline measure of one group of counts.

    Returns a dict with exactly the keys of `RATE_KEYS`: tickets, dispatched, response_rate,
    resolution_rate, satisfaction_rate, callback_coverage, composite, on_time_close_rate, overdue_open.
    Rates are floats in [0, 1] (composite in [0, 100]) or None; counts are ints.
    """
    _require(counts.keys(), COUNT_COLUMNS)
    resp = response_rate(counts)
    res = resolution_rate(counts, settings)
    sat = satisfaction_rate(counts, settings)
    return {
        "tickets": int(_get(counts, "tickets")),
        "dispatched": int(_get(counts, "dispatched")),
        "response_rate": resp,
        "resolution_rate": res,
        "satisfaction_rate": sat,
        "callback_coverage": callback_coverage(counts),
        "composite": composite_score(resp, res, sat, settings),
        "on_time_close_rate": on_time_close_rate(counts),
        "overdue_open": int(_get(counts, "open_overdue")),
    }


def headline_measures(
    counts: Mapping[str, Any], median_close_seconds: float | None, settings: Settings = DEFAULT_SETTINGS
) -> dict[str, float | int | None]:
    """`compute_rates` plus `median_hours_to_close` (from the database's exact median, in seconds)."""
    return {**compute_rates(counts, settings), "median_hours_to_close": median_hours(median_close_seconds)}


# ------------------------------------------------------------------------------------------ vectorised


def add_rates(frame: pd.DataFrame, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """A copy of `frame` (one row per group, the `COUNT_COLUMNS` as columns) with `RATE_COLUMNS` added.

    Added columns: response_rate, resolution_rate, satisfaction_rate, callback_coverage, composite,
    on_time_close_rate (float64, NaN where the denominator is 0) and overdue_open (int64). Other columns
    (group keys, extra counts) are kept unchanged.
    """
    _require(frame.columns, COUNT_COLUMNS)
    # Plain numpy arrays: these frames have a few dozen rows, where pandas' per-operation cost dominates.
    c = {name: _column(frame, name).to_numpy() for name in COUNT_COLUMNS}
    alpha = settings.resolution_partial_weight
    beta = settings.satisfaction_basic_weight
    w = settings.composite_weights
    response = _divide_arrays(c["contacted_on_time"], c["response_due"])
    resolution = _divide_arrays(c["solved"] + alpha * c["partly"], c["callbacks_answered"])
    satisfaction = _divide_arrays(c["satisfied"] + beta * c["basic"], c["callbacks_answered"])
    added = {
        "response_rate": response,
        "resolution_rate": resolution,
        "satisfaction_rate": satisfaction,
        "callback_coverage": _divide_arrays(c["callback_covered"], c["callback_due"]),
        # NaN in any rate propagates, so the composite is NaN exactly when the scalar one is None.
        "composite": 100 * (w["response"] * response + w["resolution"] * resolution + w["satisfaction"] * satisfaction),
        "on_time_close_rate": _divide_arrays(c["closed_on_time"], c["closed"] + c["open_overdue"]),
        "overdue_open": c["open_overdue"].astype("int64"),
    }
    out = frame.drop(columns=[name for name in added if name in frame.columns])
    return out.assign(**{name: pd.Series(values, index=frame.index) for name, values in added.items()})


def add_median_hours(frame: pd.DataFrame, seconds: str = MEDIAN_SECONDS_COLUMN) -> pd.DataFrame:
    """A copy of `frame` with `median_hours_to_close` (float64 hours, NaN where the seconds are missing)."""
    out = frame.copy()
    out["median_hours_to_close"] = pd.to_numeric(frame[seconds]).astype("float64") / SECONDS_PER_HOUR
    return out


def add_grid_close_rate(
    frame: pd.DataFrame, closed: str = "grid_closed", cases: str = "grid_cases"
) -> pd.DataFrame:
    """A copy of `frame` with `grid_close_rate` = closed / cases (float64, NaN where there are no cases)."""
    out = frame.copy()
    out["grid_close_rate"] = _divide(_column(frame, closed), _column(frame, cases))
    return out


def add_tickets_per_10k(
    frame: pd.DataFrame, tickets: str = "tickets", population: str = "population"
) -> pd.DataFrame:
    """A copy of `frame` with `tickets_per_10k` (float64, NaN where the population is missing or 0)."""
    out = frame.copy()
    out["tickets_per_10k"] = _divide(_column(frame, tickets), _column(frame, population)) * PER_10K
    return out


# ------------------------------------------------------------------------------------------- helpers


def _require(present: Any, names: tuple[str, ...]) -> None:
    have = set(present)
    missing = [name for name in names if name not in have]
    if missing:
        raise ValueError(f"missing count(s): {', '.join(missing)}")


def _optional(value: Any) -> float | None:
    """A float, or None for None/NaN/pd.NA."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _number(value: Any) -> float:
    """A count as a float; None/NaN (SQL SUM over no rows) count as 0."""
    number = _optional(value)
    return 0.0 if number is None else number


def _get(counts: Mapping[str, Any], name: str) -> float:
    if name not in counts:
        raise ValueError(f"missing count(s): {name}")
    return _number(counts[name])


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A count column as float64, missing values as 0 (nullable Int64/object columns from SQL included)."""
    column = frame[name]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":  # plain int64 counts (no NA possible)
        return column.astype("float64")
    return pd.to_numeric(column).astype("float64").fillna(0.0)


def _divide_arrays(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator as float64, NaN where the denominator is 0 (never inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator != 0, numerator / np.where(denominator == 0, 1, denominator), np.nan).astype("float64")


def _divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as float64, NaN where the denominator is 0 (never inf)."""
    safe = denominator.where(denominator != 0, np.nan)
    return (numerator / safe).astype("float64")
