"""The overdue list's arithmetic: lateness bands, "how late" as days and hours, grouping by community.

Pure: plain values and DataFrames in and out. `seconds_late` follows `queries.overdue_tickets`: seconds
past the deadline (`due_at`) at `now`, negative while a ticket is not yet due. A ticket is overdue when
`seconds_late > 0` (due_at < now, DOMAIN.md "Overdue"); one due exactly now is not overdue yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd

MINUTE = 60
HOUR = 3600
DAY = 86400

# Lateness bands of the overdue list, by days late [A]. A presentation grouping, not an assessment rule:
# under a day the street can still act the same day, 1–3 days is a working week slipping, past 7 days a
# general ticket has taken twice its limit. Lower edges are inclusive: exactly 1 day late is "1–3 days".
BAND_DUE_SOON = "due_soon"
BAND_EDGES_DAYS = (1, 3, 7)
LATENESS_BANDS = (BAND_DUE_SOON, "lt_1d", "d1_3", "d3_7", "gt_7d")


def lateness_band(seconds_late: float) -> str:
    """The band of one ticket: due_soon (not yet overdue), lt_1d, d1_3, d3_7 or gt_7d."""
    if seconds_late <= 0:
        return BAND_DUE_SOON
    for band, edge in zip(LATENESS_BANDS[1:], BAND_EDGES_DAYS):
        if seconds_late < edge * DAY:
            return band
    return LATENESS_BANDS[-1]


def band_count_columns() -> tuple[str, ...]:
    """The per-band count columns of a community summary ("band_due_soon", "band_lt_1d", …)."""
    return tuple(f"band_{b}" for b in LATENESS_BANDS)


def hours_late(seconds_late: float) -> float:
    """Hours past the deadline, one decimal (negative: hours left)."""
    return round(seconds_late / HOUR, 1)


@dataclass(frozen=True)
class DurationWords:
    """How a language writes a duration: templates with {n}, and how two parts go together ({a}, {b})."""

    day: str
    hour: str
    minute: str
    pair: str = "{a}{b}"


@dataclass(frozen=True)
class LatenessWords:
    """How a language says "late by …" and "… left", each with {duration}."""

    units: DurationWords
    late: str
    left: str


def split_duration(seconds: float) -> tuple[int, int, int]:
    """Whole days, hours and minutes of |seconds|, each truncated (3 d 4 h 59 min 59 s → (3, 4, 59))."""
    total = int(abs(seconds))
    return total // DAY, total % DAY // HOUR, total % HOUR // MINUTE


def format_duration(seconds: float, words: DurationWords) -> str:
    """A duration as people say it on the overdue list.

    A day or more: days and hours ("3天4小时", "3天"); under a day: hours and minutes ("4小时20分钟",
    "4小时"); under an hour: minutes ("45分钟", "0分钟"). Truncated, never rounded up: a ticket is not
    called a day late before it is.
    """
    days, hours, minutes = split_duration(seconds)
    if days:
        big, small = words.day.format(n=days), words.hour.format(n=hours) if hours else None
    elif hours:
        big, small = words.hour.format(n=hours), words.minute.format(n=minutes) if minutes else None
    else:
        big, small = words.minute.format(n=minutes), None
    return big if small is None else words.pair.format(a=big, b=small)


def format_lateness(seconds_late: float, words: LatenessWords) -> str:
    """"超期3天4小时" for an overdue ticket, "剩余1小时" for one not yet due (seconds_late ≤ 0)."""
    duration = format_duration(seconds_late, words.units)
    return (words.late if seconds_late > 0 else words.left).format(duration=duration)


def group_by_community(rows: pd.DataFrame, key: str = "community_id") -> pd.DataFrame:
    """The list grouped by community, communities in order of their latest ticket, latest first within.

    `rows` has `seconds_late` and the community `key` (a missing community is a group of its own, last
    among equals). Ties keep the incoming order (the query's due_at, id order), so the result is stable.
    """
    if rows.empty:
        return rows.reset_index(drop=True)
    frame = rows.reset_index(drop=True)
    group = frame[key].astype("object").where(frame[key].notna(), "__none__")
    worst = frame["seconds_late"].groupby(group).transform("max")
    first_seen = {g: i for i, g in enumerate(dict.fromkeys(group))}
    order = pd.DataFrame(
        {"worst": -worst, "first": group.map(first_seen), "late": -frame["seconds_late"], "pos": range(len(frame))}
    )
    ordered = order.sort_values(["worst", "first", "late", "pos"], kind="stable").index
    return frame.loc[ordered].reset_index(drop=True)


def summary_totals(summary: pd.DataFrame) -> Mapping[str, float | int | None]:
    """Totals over a per-community summary: overdue, due_soon, escalated, whistle, worst_seconds_late
    (None when there are no rows)."""
    totals: dict[str, float | int | None] = {
        col: int(summary[col].sum()) if col in summary and len(summary) else 0
        for col in ("tickets", "overdue", "due_soon", "escalated", "whistle")
    }
    totals["worst_seconds_late"] = float(summary["worst_seconds_late"].max()) if len(summary) else None
    return totals


def order_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """Communities by lateness: worst first, then most overdue, then name."""
    if summary.empty:
        return summary.reset_index(drop=True)
    return summary.sort_values(
        ["worst_seconds_late", "overdue", "community"],
        ascending=[False, False, True],
        kind="stable",
        na_position="last",
    ).reset_index(drop=True)
