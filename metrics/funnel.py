"""The ticket funnel 受理 → 派单 → 签收 → 联系 → 办结 → 回访 → 满意: conversions, drop-offs and stage times.

Pure: plain mappings and DataFrames of counts in (as `data_access.flow_queries` returns them), frames out.
The counts are nested (a ticket reaches a stage only after every earlier one), so conversions lie in
[0, 1] and drop-offs are never negative; where a stage before is 0 the conversion is NaN, never inf.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from metrics.rates import SECONDS_PER_HOUR

STAGES = ("received", "dispatched", "signed", "contacted", "closed", "callback", "satisfied")
EVENTS = ("return", "extend", "escalate", "whistle", "reopen")  # 退单, 延期, 督办, 吹哨, 重办
# The stage time leading into each stage (see flow_queries.stage_median_seconds); 受理 and 满意 have none.
TIMED_STAGES = ("dispatched", "signed", "contacted", "closed", "callback")

FUNNEL_COLUMNS = ("stage", "order", "count", "previous", "conversion", "from_received", "drop_off")


def funnel_frame(counts: Mapping[str, Any]) -> pd.DataFrame:
    """One row per stage, in order: the stage's count and how it follows from the stage before.

    Columns: stage, order (0-based), count, previous (count of the stage before; NaN for 受理),
    conversion = count ÷ previous, from_received = count ÷ 受理, drop_off = previous − count (NaN for 受理).
    Rates are float64, NaN where the denominator is 0.
    """
    missing = [s for s in STAGES if s not in counts]
    if missing:
        raise ValueError(f"missing stage count(s): {', '.join(missing)}")
    values = np.array([_count(counts[s]) for s in STAGES], dtype="float64")
    previous = np.concatenate([[np.nan], values[:-1]])
    return pd.DataFrame(
        {
            "stage": list(STAGES),
            "order": range(len(STAGES)),
            "count": values.astype("int64"),
            "previous": previous,
            "conversion": _divide(values, previous),
            "from_received": _divide(values, np.full(len(STAGES), values[0])),
            "drop_off": previous - values,
        }
    )


def grouped_funnel(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """`funnel_frame` for every row of a frame of stage counts, stacked: `key` first, then FUNNEL_COLUMNS.

    `frame` has a `key` column and one count column per stage (e.g. flow_queries.funnel_counts_by(by=...)).
    Groups keep the frame's order.
    """
    parts = []
    for _, row in frame.iterrows():
        part = funnel_frame(row)
        part.insert(0, key, row[key])
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[key, *FUNNEL_COLUMNS])
    return pd.concat(parts, ignore_index=True)


def event_shares(counts: Mapping[str, Any], events: Sequence[str] = EVENTS) -> pd.DataFrame:
    """Tickets with each event (退单, 延期, 督办, 吹哨, 重办) and their share of dispatched tickets.

    `counts` holds `dispatched` and `<event>_tickets` per event. Columns: event, tickets, dispatched,
    share = tickets ÷ dispatched (NaN when nothing was dispatched).
    """
    dispatched = _count(counts["dispatched"])
    tickets = np.array([_count(counts[f"{e}_tickets"]) for e in events], dtype="float64")
    return pd.DataFrame(
        {
            "event": list(events),
            "tickets": tickets.astype("int64"),
            "dispatched": int(dispatched),
            "share": _divide(tickets, np.full(len(events), dispatched)),
        }
    )


def stage_hours(medians: pd.DataFrame) -> pd.DataFrame:
    """The database's stage medians (stage, n, reversed, median_seconds) with `median_hours` added
    (float64 hours, NaN where no ticket has both times), in TIMED_STAGES order."""
    out = medians.set_index("stage").reindex(list(TIMED_STAGES)).reset_index()
    out["n"] = pd.to_numeric(out["n"]).fillna(0).astype("int64")
    out["reversed"] = pd.to_numeric(out["reversed"]).fillna(0).astype("int64")
    out["median_seconds"] = pd.to_numeric(out["median_seconds"]).astype("float64")
    out["median_hours"] = out["median_seconds"] / SECONDS_PER_HOUR
    return out


def _count(value: Any) -> float:
    if value is None or value is pd.NA:
        return 0.0
    number = float(value)
    return 0.0 if number != number else number


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / np.where(denominator == 0, np.nan, denominator)
    return out.astype("float64")
