"""Small-count suppression for the public screen. Pure: counts in, figures (or None) out.

The rule (settings.public_min_count, default 5 [A]): a figure is published only when the count it rests
on — its *base* — is at least the minimum.

* A volume (a number of tickets: received, closed in the last 7 days, in a grid cell...) rests on itself.
* A rate rests on its denominator: 响应率 on tickets due for contact, 解决率 and 满意率 on answered callbacks,
  回访覆盖率 on tickets due for a callback, 按期办结率 on closed + open-overdue tickets (the denominators of
  `metrics.definitions`). 万人诉求比 rests on the tickets (its denominator, the population, is no count of
  people who called).

"Fewer than the minimum" includes none: a base of 0 suppresses too, so the screen never tells "exactly
nobody here" apart from "one or two". A suppressed figure is None in scalars, <NA> (counts) or NaN (rates)
in frames; the screen writes it as "<5". Suppressed tables keep only the key columns and the published
figures, never the counts behind them, so nothing unsuppressed travels to the browser in a chart's data.

Differencing — no combination of shown figures, across panels and across refreshes, may give a withheld
one. Three rules together:

1. **Rounding** (`rounded`): every published volume is rounded to the nearest multiple of the minimum
   (halves up; 7 → 5, 8 → 10, 1,188 → 1,190), as statistical offices publish small-area counts. A total
   minus its published parts — the 30 days of the trend's bars minus the map's cells or the categories,
   the month minus the days — is then known only to within several tickets, never exactly. Rates are
   computed from the exact counts and published when their base reaches the minimum; they are not
   rounded beyond their one decimal.
2. **One clock for the running totals** (`published_as_of`): today's tickets are part of every running
   total on the screen (this month, this week, the last 30 days). If today showed "<5" while the month went
   on counting, the month now minus the month read at midnight would give today. So while today's count
   is withheld, every other figure is read as of the end of yesterday: nothing on the screen moves with
   today's tickets until today itself can be shown, and then the difference is a published figure anyway.
3. **One window per unit**: a unit's figures never come in two overlapping windows that slide with the
   clock (24 hours and 7 days per community would give C24(t) = C7(t) − C7(t−1d) + C24(t−7d)); the
   screen's per-community closures cover the 7 whole days up to the end of yesterday and change once a
   day, at midnight.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

# The counts each publishable figure rests on (summed). A figure not named here is a volume: it rests on
# itself.
BASES: Mapping[str, tuple[str, ...]] = {
    "response_rate": ("response_due",),
    "resolution_rate": ("callbacks_answered",),
    "satisfaction_rate": ("callbacks_answered",),
    "callback_coverage": ("callback_due",),
    "on_time_close_rate": ("closed", "open_overdue"),
    "grid_close_rate": ("grid_cases",),
    "tickets_per_10k": ("tickets",),
}


def base_of(measure: str) -> tuple[str, ...]:
    """The counts `measure` rests on: its denominator for a rate, itself for a volume."""
    return BASES.get(measure, (measure,))


def is_volume(measure: str) -> bool:
    return base_of(measure) == (measure,)


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def is_suppressed(base: Any, min_count: int) -> bool:
    """True when a figure resting on `base` may not be published (base below `min_count`, or unknown)."""
    number = _number(base)
    return number is None or number < min_count


def rounded(value: float, base: int) -> int:
    """`value` to the nearest multiple of `base` (halves up): 7 → 5, 8 → 10, 12.5 → 15; base 1 keeps it."""
    base = max(int(base), 1)
    return int(math.floor(float(value) / base + 0.5)) * base


def public_count(value: Any, min_count: int) -> int | None:
    """A volume as published: the count rounded to the nearest multiple of `min_count` (never below it),
    or None when it is below `min_count`."""
    return None if is_suppressed(value, min_count) else rounded(float(value), min_count)


def public_rate(rate: Any, base: Any, min_count: int) -> float | None:
    """A rate as published: the rate, or None when its base is below `min_count` or the rate is undefined."""
    if is_suppressed(base, min_count):
        return None
    return _number(rate)


def base_value(values: Mapping[str, Any], measure: str) -> float:
    """The base of `measure` from a mapping of counts (missing counts count as 0)."""
    return sum(_number(values.get(name)) or 0.0 for name in base_of(measure))


def public_measures(values: Mapping[str, Any], measures: Sequence[str], min_count: int) -> dict[str, float | int | None]:
    """The published value of each measure, from one mapping holding the measures and their base counts
    (e.g. `rates.compute_rates(counts) | counts`). Volumes come out as int or None, rates as float or None."""
    out: dict[str, float | int | None] = {}
    for measure in measures:
        base = base_value(values, measure)
        if is_volume(measure):
            out[measure] = public_count(values.get(measure), min_count)
        else:
            out[measure] = public_rate(values.get(measure), base, min_count)
    return out


def public_table(frame: pd.DataFrame, keys: Sequence[str], measures: Sequence[str], min_count: int) -> pd.DataFrame:
    """The key columns and the published measures of `frame`, nothing else.

    `frame` holds the measures and every count they rest on. Volumes come out as nullable Int64 (<NA>
    where suppressed), rates as float64 (NaN where suppressed or undefined).
    """
    out = frame[list(keys)].copy()
    for measure in measures:
        base = sum(
            (pd.to_numeric(frame[name]).astype("float64").fillna(0.0) for name in base_of(measure)),
            start=pd.Series(0.0, index=frame.index),
        )
        hidden = base < min_count
        values = pd.to_numeric(frame[measure]).astype("float64")
        if is_volume(measure):
            step = max(int(min_count), 1)
            published = np.floor(values / step + 0.5) * step
            out[measure] = published.round().astype("Int64").mask(hidden | values.isna())
        else:
            out[measure] = values.mask(hidden)
    return out


def published_as_of(now: dt.datetime, today_tickets: Any, min_count: int) -> dt.datetime:
    """The instant the screen's figures other than today's are read at: `now` when today's tickets are
    published (at least `min_count`), else the last second of yesterday — so that no running total moves
    with tickets that today's withheld figure counts (see the module docstring)."""
    if not is_suppressed(today_tickets, min_count):
        return now
    return end_of_yesterday(now)


def end_of_yesterday(now: dt.datetime) -> dt.datetime:
    """The last second of the day before `now`'s."""
    return dt.datetime.combine(now.date(), dt.time.min) - dt.timedelta(seconds=1)
