"""Queries of the flow views (工单流转 funnel, 满意度 trends): counts and medians, small frames out.

Same rules as `data_access.queries`: every function takes a connection, the viewer's `Scope` and a
`TicketFilter` and returns a frame whose size depends on the number of stages, units, categories or days —
never on the number of tickets. Counts come from `data_access.figures` (rollups plus what moved since);
each stage, event and duration is defined once in `data_access.ticket_measures`.

The funnel is *nested*: a ticket reaches a stage when it has reached every earlier stage too, so each
stage count is at most the one before it and every conversion lies in [0, 1].
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
from sqlalchemy import Connection

from data_access import figures, queries
from data_access.scope import ALL, Scope, TicketFilter
from data_access.sql import as_dates
from data_access.ticket_measures import (
    EVENT_COLUMNS,
    EVENT_KINDS,
    FUNNEL_COLUMNS,
    FUNNEL_STAGES,
    RATE_COUNT_COLUMNS,
    REVERSED_COLUMNS,
    STAGE_TIMES,
)

UnitOrCategory = Literal["street", "community", "category"]

CALLBACK_COLUMNS = ("callbacks_answered", "satisfied", "basic", "unsatisfied", "solved", "partly", "unsolved")
# 退单, 延期, 督办, 吹哨, 重办: EVENT_KINDS
__all__ = ["FUNNEL_STAGES", "EVENT_KINDS", "EVENT_COLUMNS", "STAGE_TIMES", "CALLBACK_COLUMNS"]

_KEYS = {"street": "street_id", "community": "community_id", "category": "category"}


def _key_name(by: str) -> str:
    if by not in _KEYS:
        raise ValueError(f"unknown grouping: {by} (expected street, community or category)")
    return _KEYS[by]


def _attach_units(
    conn: Connection, scope: Scope, frame: pd.DataFrame, by: str, columns: tuple[str, ...]
) -> pd.DataFrame:
    """Every unit in scope (zeros where it has no tickets) with its code and name, by code."""
    key = _key_name(by)
    units = (queries.streets if by == "street" else queries.communities)(conn, scope)[["id", "code", "name"]]
    counts = frame.dropna(subset=[key]).astype({key: "int64"})
    merged = units.merge(counts, left_on="id", right_on=key, how="left").drop(columns=[key])
    merged = merged.rename(columns={"id": key})
    for col in columns:
        merged[col] = pd.to_numeric(merged[col]).fillna(0).astype("int64")
    return merged[[key, "code", "name", *columns]]


def funnel_counts_by(
    conn: Connection, scope: Scope, flt: TicketFilter = ALL, *, by: UnitOrCategory | None = None
) -> pd.DataFrame:
    """Nested stage counts and event counts: one row (by=None) or one row per street/community/category.

    Columns: the group key (`street_id`/`community_id` with `code` and `name`, or `category`), then
    FUNNEL_STAGES (tickets that reached the stage and every earlier one; 满意 includes 基本满意), then
    EVENT_COLUMNS (tickets with at least one 退单/延期/督办/吹哨/重办 event). Grouped by a unit, every unit in
    scope appears (zeros if it has no tickets); by category, only categories with tickets.
    """
    keys = (_key_name(by),) if by else ()
    frame = figures.sum_counts(conn, scope, flt, columns=("tickets", *FUNNEL_COLUMNS, *EVENT_COLUMNS), keys=keys)
    frame = frame.rename(columns={"tickets": "received", **dict(zip(FUNNEL_COLUMNS, FUNNEL_STAGES[1:]))})
    columns = (*FUNNEL_STAGES, *EVENT_COLUMNS)
    if by is None:
        return frame[list(columns)]
    if by == "category":
        return frame[["category", *columns]].sort_values("category", ignore_index=True)
    return _attach_units(conn, scope, frame, by, columns)


def stage_median_seconds(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> pd.DataFrame:
    """The median time into each stage of STAGE_TIMES, with how many tickets it rests on.

    Rows, in order: dispatched (受理→派单), signed (派单→签收), contacted (签收→联系, or 派单→联系 for a
    ticket never signed for), closed (受理→办结, closed tickets), callback (办结→回访, closed tickets with an
    answered callback). Columns: stage, n (durations used), reversed (tickets whose second time lies before
    the first — a data error, left out, like `queries.closed_before_received`), median_seconds (NaN when n
    is 0), approximate (True: read from the duration histograms, within 1 % + 0.5 h of the exact median —
    see `figures.stage_medians`).
    """
    medians = figures.stage_medians(conn, scope, flt, STAGE_TIMES)
    reversed_counts = figures.sum_counts(conn, scope, flt, columns=REVERSED_COLUMNS).iloc[0]
    medians["reversed"] = [int(reversed_counts[f"{stage}_reversed"]) for stage in medians["stage"]]
    return medians[["stage", "n", "reversed", "median_seconds", "approximate"]]


def daily_counts_by(
    conn: Connection,
    scope: Scope,
    flt: TicketFilter = ALL,
    *,
    now: dt.datetime,
    by: UnitOrCategory | None = None,
) -> pd.DataFrame:
    """The count contract (queries.RATE_COUNT_COLUMNS) per received day and street/community/category.

    Columns: day (datetime.date), the group key (`street_id`/`community_id`, with the unit's `name`, or
    `category`; absent when by=None), then RATE_COUNT_COLUMNS. Only (day, group) pairs with tickets
    appear; tickets without the unit are left out of a unit grouping. Sorted by day, then key.
    """
    if by is None:
        return queries.rate_counts(conn, scope, flt, now=now, by="day")
    key = _key_name(by)
    frame = figures.sum_counts(conn, scope, flt, columns=RATE_COUNT_COLUMNS, keys=("day", key), now=now)
    frame = frame.dropna(subset=[key])
    frame["day"] = as_dates(frame["day"]) if len(frame) else pd.Series(dtype="object")
    if by != "category":
        units = (queries.streets if by == "street" else queries.communities)(conn, scope)[["id", "name"]]
        frame[key] = pd.to_numeric(frame[key]).astype("int64")
        frame = frame.merge(units.rename(columns={"id": key}), on=key, how="left")
        frame = frame[["day", key, "name", *RATE_COUNT_COLUMNS]]
    return frame.sort_values(["day", key], ignore_index=True)


def satisfaction_by_category(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> pd.DataFrame:
    """Answered callbacks and their results per category (three-rate population, as in `rate_counts`).

    Columns: category, then CALLBACK_COLUMNS (callbacks_answered, satisfied, basic, unsatisfied, solved,
    partly, unsolved). Only categories with at least one answered callback appear, alphabetically.
    """
    frame = figures.sum_counts(conn, scope, flt, columns=CALLBACK_COLUMNS, keys=("category",))
    frame = frame[frame["callbacks_answered"] > 0]
    return frame[["category", *CALLBACK_COLUMNS]].sort_values("category", ignore_index=True)
