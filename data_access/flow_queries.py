"""Queries of the flow views (工单流转 funnel, 满意度 trends): counts and exact medians, small frames out.

Same rules as `data_access.queries`: every function takes a connection, the viewer's `Scope` and a
`TicketFilter`, applies `ticket_conditions`, runs through `queries._fetch` (the public-scope check) and
returns a frame whose size depends on the number of stages, units, categories or days — never on the
number of tickets. Portable SQL only; tested on SQLite, PostgreSQL and MariaDB.

The funnel here is *nested*: a ticket reaches a stage when it has reached every earlier stage too, so each
stage count is at most the one before it and every conversion lies in [0, 1]. (`queries.funnel_counts`
counts each stage on its own, where an enquiry answered on the spot is "closed" without being dispatched.)
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, and_, func, literal, select

from data_access import queries
from data_access.queries import E, T, _as_counts, _as_dates, _count_if, _fetch, rate_count_columns
from data_access.scope import ALL, Scope, TicketFilter, ticket_conditions
from data_access.sqlfuncs import day_of, seconds_between
from metrics import vocab

UnitOrCategory = Literal["street", "community", "category"]

FUNNEL_STAGES = queries.FUNNEL_STAGES  # 受理 → 派单 → 签收 → 联系 → 办结 → 回访 → 满意
EVENT_KINDS = queries.EVENT_COUNT_KINDS  # 退单, 延期, 督办, 吹哨, 重办
EVENT_COLUMNS = tuple(f"{kind}_tickets" for kind in EVENT_KINDS)
# The stage times, each named after the stage it leads into.
STAGE_TIMES = ("dispatched", "signed", "contacted", "closed", "callback")
CALLBACK_COLUMNS = ("callbacks_answered", "satisfied", "basic", "unsatisfied", "solved", "partly", "unsolved")

_KEY_COLUMNS = {"street": T.c.street_id, "community": T.c.community_id, "category": T.c.category}


def _key_name(by: str) -> str:
    return "category" if by == "category" else f"{by}_id"


def _group_column(by: str | None):  # type: ignore[no-untyped-def]
    if by is None:
        return None
    if by not in _KEY_COLUMNS:
        raise ValueError(f"unknown grouping: {by} (expected street, community or category)")
    return _KEY_COLUMNS[by]


def _stage_conditions() -> dict[str, object]:
    """Each funnel stage's condition, cumulative: a stage also requires every earlier one (None: every
    ticket, for 受理)."""
    reached = {
        "dispatched": T.c.dispatched_at.is_not(None),
        "signed": T.c.signed_at.is_not(None),
        "contacted": T.c.contacted_at.is_not(None),
        "closed": T.c.status == vocab.STATUS_CLOSED,
        "callback": T.c.callback_at.is_not(None),
        "satisfied": T.c.satisfaction.in_((vocab.SATISFACTION_SATISFIED, vocab.SATISFACTION_BASIC)),
    }
    conditions: dict[str, object] = {}
    so_far: list = []
    for stage in FUNNEL_STAGES:
        if stage in reached:
            so_far.append(reached[stage])
        conditions[stage] = and_(*so_far) if so_far else None
    return conditions


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
    group_col = _group_column(by)
    exprs = []
    for stage, condition in _stage_conditions().items():
        exprs.append((func.count() if condition is None else _count_if(condition)).label(stage))
    for kind, column in zip(EVENT_KINDS, EVENT_COLUMNS):
        has_event = select(literal(1)).where(E.c.ticket_id == T.c.id, E.c.kind == kind).exists()
        exprs.append(_count_if(has_event).label(column))
    columns = (*FUNNEL_STAGES, *EVENT_COLUMNS)
    key = _key_name(by) if by else None
    stmt = select(*([group_col.label(key)] if by else []), *exprs).where(*ticket_conditions(scope, flt))
    if by:
        stmt = stmt.group_by(group_col)
    frame = _fetch(conn, scope, stmt)
    if by is None:
        if frame.empty:
            frame = pd.DataFrame([{c: 0 for c in columns}])
        return _int_columns(frame, columns)
    if by == "category":
        return _int_columns(frame, columns).sort_values("category", ignore_index=True)
    return _attach_units(conn, scope, frame, by, columns)


def stage_median_seconds(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> pd.DataFrame:
    """The exact median time into each stage of STAGE_TIMES, with how many tickets it rests on.

    Rows, in order: dispatched (受理→派单), signed (派单→签收), contacted (签收→联系, or 派单→联系 for a
    ticket never signed for), closed (受理→办结, closed tickets), callback (办结→回访, closed tickets with an
    answered callback). Columns: stage, n (durations used), reversed (tickets whose second time lies before
    the first — a data error, left out, like `queries.closed_before_received`), median_seconds (NaN when n
    is 0). Exact and portable: one query counts, then one query per stage reads the middle one or two
    durations with ORDER BY … OFFSET, so at most two rows per stage leave the database.
    """
    spans = _stage_spans()
    base = ticket_conditions(scope, flt)
    count_exprs = []
    for stage, (start, end, extra) in spans.items():
        present = and_(start.is_not(None), end.is_not(None), *extra)
        count_exprs.append(_count_if(and_(present, end >= start)).label(f"{stage}_n"))
        count_exprs.append(_count_if(and_(present, end < start)).label(f"{stage}_reversed"))
    counts = _fetch(conn, scope, select(*count_exprs).where(*base)).iloc[0]
    rows = []
    for stage, (start, end, extra) in spans.items():
        n = int(pd.to_numeric(counts[f"{stage}_n"]))
        median = float("nan")
        if n:
            duration = seconds_between(start, end)
            stmt = (
                select(duration.label("seconds"))
                .where(*base, start.is_not(None), end.is_not(None), end >= start, *extra)
                .order_by(duration)
                .offset((n - 1) // 2)
                .limit(2 - n % 2)
            )
            middle = [float(v) for v in _fetch(conn, scope, stmt)["seconds"]]
            median = sum(middle) / len(middle)
        reversed_n = int(pd.to_numeric(counts[f"{stage}_reversed"]))
        rows.append({"stage": stage, "n": n, "reversed": reversed_n, "median_seconds": median})
    return pd.DataFrame(rows, columns=["stage", "n", "reversed", "median_seconds"])


def _stage_spans() -> dict[str, tuple]:
    """Per stage: (start time, end time, extra conditions)."""
    closed = T.c.status == vocab.STATUS_CLOSED
    return {
        "dispatched": (T.c.received_at, T.c.dispatched_at, ()),
        "signed": (T.c.dispatched_at, T.c.signed_at, ()),
        "contacted": (func.coalesce(T.c.signed_at, T.c.dispatched_at), T.c.contacted_at, ()),
        "closed": (T.c.received_at, T.c.closed_at, (closed,)),
        "callback": (T.c.closed_at, T.c.callback_at, (closed,)),
    }


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
    group_col = _group_column(by)
    key = _key_name(by)
    day = day_of(T.c.received_at)
    stmt = (
        select(day.label("day"), group_col.label(key), *rate_count_columns(now))
        .where(*ticket_conditions(scope, flt), group_col.is_not(None))
        .group_by(day, group_col)
    )
    frame = _as_counts(_fetch(conn, scope, stmt))
    frame["day"] = _as_dates(frame["day"]) if len(frame) else pd.Series(dtype="object")
    if by != "category":
        units = (queries.streets if by == "street" else queries.communities)(conn, scope)[["id", "name"]]
        frame[key] = pd.to_numeric(frame[key]).astype("int64")
        frame = frame.merge(units.rename(columns={"id": key}), on=key, how="left")
        frame = frame[["day", key, "name", *queries.RATE_COUNT_COLUMNS]]
    return frame.sort_values(["day", key], ignore_index=True)


def satisfaction_by_category(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> pd.DataFrame:
    """Answered callbacks and their results per category (three-rate population, as in `rate_counts`).

    Columns: category, then CALLBACK_COLUMNS (callbacks_answered, satisfied, basic, unsatisfied, solved,
    partly, unsolved). Only categories with at least one answered callback appear, alphabetically.
    """
    answered = and_(
        T.c.channel.in_(vocab.RATE_CHANNELS), T.c.dispatched_at.is_not(None), T.c.callback_at.is_not(None)
    )
    results = {
        "satisfied": T.c.satisfaction == vocab.SATISFACTION_SATISFIED,
        "basic": T.c.satisfaction == vocab.SATISFACTION_BASIC,
        "unsatisfied": T.c.satisfaction == vocab.SATISFACTION_UNSATISFIED,
        "solved": T.c.resolution == vocab.RESOLUTION_SOLVED,
        "partly": T.c.resolution == vocab.RESOLUTION_PARTLY,
        "unsolved": T.c.resolution == vocab.RESOLUTION_UNSOLVED,
    }
    stmt = (
        select(
            T.c.category,
            func.count().label("callbacks_answered"),
            *(_count_if(cond).label(name) for name, cond in results.items()),
        )
        .where(*ticket_conditions(scope, flt), answered)
        .group_by(T.c.category)
    )
    frame = _int_columns(_fetch(conn, scope, stmt), CALLBACK_COLUMNS)
    return frame[["category", *CALLBACK_COLUMNS]].sort_values("category", ignore_index=True)


def _int_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    # MySQL's SUM is DECIMAL; SQLite may give floats on empty groups: counts are plain int64.
    for col in columns:
        frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
    return frame

