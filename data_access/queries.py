"""Aggregate queries: counts in the database, small frames out (DESIGN.md principle 1).

Every function takes a connection, the viewer's `Scope` and a `TicketFilter`, uses bound parameters and
returns a frame whose size depends on the number of units, categories or days — never on the number of
tickets — except the paged ticket lists, which return one page. `now` is always passed in.

The count columns of `rate_counts` are the contract with `metrics.rates` (see RATE_COUNT_COLUMNS).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
from sqlalchemy import (
    Connection,
    DateTime,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
)

from data_access.schema import Community, Department, District, GridCell, Street, Ticket, TicketEvent
from data_access.scope import ALL, Scope, TicketFilter, check_public, community_conditions, ticket_conditions, unit_conditions
from data_access.sqlfuncs import day_of, seconds_between
from metrics import vocab

T = Ticket.__table__
S = Street.__table__
C = Community.__table__
G = GridCell.__table__
D = District.__table__
E = TicketEvent.__table__
DEP = Department.__table__

RATE_COUNT_COLUMNS = (
    "tickets",
    "dispatched",
    "response_due",
    "contacted_on_time",
    "callbacks_answered",
    "solved",
    "partly",
    "unsolved",
    "satisfied",
    "basic",
    "unsatisfied",
    "callback_due",
    "callback_covered",
    "closed",
    "closed_on_time",
    "open",
    "open_overdue",
    "grid_cases",
    "grid_closed",
)

GroupBy = Literal["street", "community", "grid_cell", "category", "channel", "day"]
_GROUP_COLUMNS = {
    "street": T.c.street_id,
    "community": T.c.community_id,
    "grid_cell": T.c.grid_cell_id,
    "category": T.c.category,
    "channel": T.c.channel,
}


def _fetch(conn: Connection, scope: Scope, stmt: Select) -> pd.DataFrame:
    """Run a statement after the public-scope check; a DataFrame of its rows."""
    check_public(scope, stmt)
    result = conn.execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _count_if(condition) -> object:  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _now_param(now: dt.datetime):  # type: ignore[no-untyped-def]
    return bindparam("now", now, type_=DateTime())


def rate_count_columns(now: dt.datetime) -> list:
    """The labelled aggregate expressions of RATE_COUNT_COLUMNS over `ticket` at time `now`."""
    now_p = _now_param(now)
    is_closed = T.c.status == vocab.STATUS_CLOSED
    is_open = T.c.status != vocab.STATUS_CLOSED
    rate_pop = and_(T.c.channel.in_(vocab.RATE_CHANNELS), T.c.dispatched_at.is_not(None))
    answered = and_(rate_pop, T.c.callback_at.is_not(None))
    callback_due = and_(rate_pop, or_(is_closed, T.c.due_at < now_p))
    overdue = and_(is_open, T.c.due_at < now_p)
    grid = T.c.channel == vocab.CHANNEL_GRID
    exprs = {
        "tickets": func.count(),
        "dispatched": _count_if(rate_pop),
        "response_due": _count_if(and_(rate_pop, or_(T.c.contacted_at.is_not(None), T.c.contact_due_at < now_p))),
        "contacted_on_time": _count_if(and_(rate_pop, T.c.contacted_at <= T.c.contact_due_at)),
        "callbacks_answered": _count_if(answered),
        "solved": _count_if(and_(answered, T.c.resolution == vocab.RESOLUTION_SOLVED)),
        "partly": _count_if(and_(answered, T.c.resolution == vocab.RESOLUTION_PARTLY)),
        "unsolved": _count_if(and_(answered, T.c.resolution == vocab.RESOLUTION_UNSOLVED)),
        "satisfied": _count_if(and_(answered, T.c.satisfaction == vocab.SATISFACTION_SATISFIED)),
        "basic": _count_if(and_(answered, T.c.satisfaction == vocab.SATISFACTION_BASIC)),
        "unsatisfied": _count_if(and_(answered, T.c.satisfaction == vocab.SATISFACTION_UNSATISFIED)),
        "callback_due": _count_if(callback_due),
        "callback_covered": _count_if(and_(callback_due, T.c.callback_at.is_not(None))),
        "closed": _count_if(is_closed),
        "closed_on_time": _count_if(and_(is_closed, T.c.closed_at <= T.c.due_at)),
        "open": _count_if(is_open),
        "open_overdue": _count_if(overdue),
        "grid_cases": _count_if(grid),
        "grid_closed": _count_if(and_(grid, is_closed)),
    }
    return [expr.label(name) for name, expr in exprs.items()]


def _as_counts(frame: pd.DataFrame) -> pd.DataFrame:
    # MySQL's SUM is DECIMAL and SQLite may give floats on empty groups: counts are plain int64.
    for col in RATE_COUNT_COLUMNS:
        if col in frame:
            frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
    return frame


def _as_dates(values: pd.Series) -> pd.Series:
    # SQLite returns dates as text; the servers return datetime.date.
    return pd.to_datetime(values.astype("string")).dt.date


def rate_counts(
    conn: Connection,
    scope: Scope,
    flt: TicketFilter = ALL,
    *,
    now: dt.datetime,
    by: GroupBy | None = None,
) -> pd.DataFrame:
    """RATE_COUNT_COLUMNS for the scope and filter: one row (by=None) or one row per group.

    Grouped by a unit (street/community/grid_cell), every unit in scope appears, with zeros if it has no
    tickets, together with its name, code and population; by category/channel/day only groups that have
    tickets appear.
    """
    group_col = day_of(T.c.received_at) if by == "day" else _GROUP_COLUMNS.get(by) if by else None
    if by is not None and group_col is None:
        raise ValueError(f"unknown grouping: {by}")
    cols = rate_count_columns(now)
    key = by if by in ("category", "channel", "day") else f"{by}_id"
    stmt = select(*([group_col.label(key)] if by else []), *cols).where(*ticket_conditions(scope, flt))
    if by:
        stmt = stmt.group_by(group_col)
    frame = _as_counts(_fetch(conn, scope, stmt))
    if by is None:
        if frame.empty:
            frame = pd.DataFrame([{c: 0 for c in RATE_COUNT_COLUMNS}])
        return frame
    if by == "day":
        frame["day"] = _as_dates(frame["day"])
        return frame.sort_values("day", ignore_index=True)
    if by in ("category", "channel"):
        return frame.sort_values(by, ignore_index=True)
    units = {"street": streets, "community": communities, "grid_cell": grid_cells}[by](conn, scope)
    units = _units_in_filter(units.drop(columns=[c for c in ("boundary",) if c in units]), by, flt)
    merged = units.merge(frame.dropna(subset=[key]).astype({key: "int64"}), left_on="id", right_on=key, how="left")
    merged = merged.drop(columns=[key]).rename(columns={"id": key})
    return _as_counts(merged)


def _units_in_filter(units: pd.DataFrame, by: str, flt: TicketFilter) -> pd.DataFrame:
    """The units of a grouping that the filter's street/community choice leaves in view."""
    street_col = "id" if by == "street" else "street_id"
    if flt.street_ids is not None:
        units = units[units[street_col].isin(flt.street_ids)]
    if flt.community_ids is not None and by != "street":
        units = units[units["id" if by == "community" else "community_id"].isin(flt.community_ids)]
    return units.reset_index(drop=True)


def rate_counts_for(conn: Connection, scope: Scope, flt: TicketFilter, *, now: dt.datetime) -> dict[str, int]:
    """The ungrouped counts as a plain mapping."""
    row = rate_counts(conn, scope, flt, now=now).iloc[0]
    return {c: int(row[c]) for c in RATE_COUNT_COLUMNS}


# --- units -------------------------------------------------------------------------------------------


def districts(conn: Connection, scope: Scope) -> pd.DataFrame:
    """id, code, name, population of the districts that hold a street in scope."""
    stmt = select(D.c.id, D.c.code, D.c.name, D.c.population).order_by(D.c.code)
    if scope.street_ids is not None:
        stmt = stmt.where(D.c.id.in_(select(S.c.district_id).where(*unit_conditions(scope, S.c.id, None))))
    return _fetch(conn, scope, stmt)


def streets(conn: Connection, scope: Scope) -> pd.DataFrame:
    """id, code, name, district_id, population of the streets in scope, by code."""
    stmt = (
        select(S.c.id, S.c.code, S.c.name, S.c.district_id, S.c.population)
        .where(*unit_conditions(scope, S.c.id, None))
        .order_by(S.c.code)
    )
    return _fetch(conn, scope, stmt)


def communities(conn: Connection, scope: Scope) -> pd.DataFrame:
    """id, code, name, street_id, street_name, population of the communities in scope, by code."""
    stmt = (
        select(C.c.id, C.c.code, C.c.name, C.c.street_id, S.c.name.label("street_name"), C.c.population)
        .join(S, S.c.id == C.c.street_id)
        .where(*community_conditions(scope))
        .order_by(C.c.code)
    )
    return _fetch(conn, scope, stmt)


def grid_cells(conn: Connection, scope: Scope, *, with_boundary: bool = True) -> pd.DataFrame:
    """id, code, name, community/street ids and names, population, centroid (and GeoJSON boundary)."""
    cols = [
        G.c.id,
        G.c.code,
        G.c.name,
        G.c.community_id,
        C.c.name.label("community_name"),
        C.c.street_id,
        S.c.name.label("street_name"),
        G.c.population,
        G.c.centroid_lat,
        G.c.centroid_lon,
    ]
    if with_boundary:
        cols.append(G.c.boundary)
    stmt = (
        select(*cols)
        .join(C, C.c.id == G.c.community_id)
        .join(S, S.c.id == C.c.street_id)
        .where(*community_conditions(scope))
        .order_by(G.c.code)
    )
    return _fetch(conn, scope, stmt)


def categories(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> list[str]:
    """The categories that occur in scope, alphabetically."""
    stmt = select(T.c.category).where(*ticket_conditions(scope, flt)).group_by(T.c.category).order_by(T.c.category)
    return [str(c) for c in _fetch(conn, scope, stmt)["category"]]


def received_range(conn: Connection, scope: Scope) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and last `received_at` in scope (None, None when there are no tickets)."""
    stmt = select(func.min(T.c.received_at).label("first"), func.max(T.c.received_at).label("last")).where(
        *ticket_conditions(scope, ALL, include_excluded=True)
    )
    row = _fetch(conn, scope, stmt).iloc[0]
    first, last = row["first"], row["last"]
    return (_as_datetime(first), _as_datetime(last))


def _as_datetime(value: object) -> dt.datetime | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return pd.Timestamp(value).to_pydatetime()


def resolve_unit_ids(conn: Connection, scope: Scope, level: Literal["street", "community"], names: list[str]) -> dict[str, int]:
    """Map unit names (or codes) in scope to ids; names not found are absent from the result."""
    frame = streets(conn, scope) if level == "street" else communities(conn, scope)
    found: dict[str, int] = {}
    for name in names:
        hit = frame[(frame["name"] == name) | (frame["code"] == name)]
        if len(hit):
            found[name] = int(hit.iloc[0]["id"])
    return found


# --- durations ---------------------------------------------------------------------------------------


def median_seconds_to_close(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> float | None:
    """Exact median of closed_at − received_at (seconds) over closed tickets; None if there are none.

    A ticket closed before it was received is a data error and is left out (see `closed_before_received`).
    Portable and exact: count the valid durations, then read the middle one or two with ORDER BY … OFFSET,
    so only two rows leave the database.
    """
    duration = seconds_between(T.c.received_at, T.c.closed_at)
    conds = [*ticket_conditions(scope, flt), T.c.status == vocab.STATUS_CLOSED, T.c.closed_at >= T.c.received_at]
    n = int(_fetch(conn, scope, select(func.count().label("n")).where(*conds))["n"].iloc[0])
    if n == 0:
        return None
    stmt = select(duration.label("seconds")).where(*conds).order_by(duration).offset((n - 1) // 2).limit(2 - n % 2)
    middle = [float(v) for v in _fetch(conn, scope, stmt)["seconds"]]
    return sum(middle) / len(middle)


def closed_before_received(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> int:
    """How many closed tickets say they were closed before they were received (a data-quality finding)."""
    stmt = select(func.count().label("n")).where(
        *ticket_conditions(scope, flt), T.c.status == vocab.STATUS_CLOSED, T.c.closed_at < T.c.received_at
    )
    return int(_fetch(conn, scope, stmt)["n"].iloc[0])


# --- funnel ------------------------------------------------------------------------------------------

FUNNEL_STAGES = ("received", "dispatched", "signed", "contacted", "closed", "callback", "satisfied")
EVENT_COUNT_KINDS = (vocab.EVENT_RETURN, vocab.EVENT_EXTEND, vocab.EVENT_ESCALATE, vocab.EVENT_WHISTLE, vocab.EVENT_REOPEN)


def funnel_counts(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> dict[str, int]:
    """Tickets that reached each stage 受理→派单→签收→联系→办结→回访→满意 (满意 includes 基本满意)."""
    satisfied = T.c.satisfaction.in_((vocab.SATISFACTION_SATISFIED, vocab.SATISFACTION_BASIC))
    stmt = select(
        func.count().label("received"),
        _count_if(T.c.dispatched_at.is_not(None)).label("dispatched"),
        _count_if(T.c.signed_at.is_not(None)).label("signed"),
        _count_if(T.c.contacted_at.is_not(None)).label("contacted"),
        _count_if(T.c.status == vocab.STATUS_CLOSED).label("closed"),
        _count_if(T.c.callback_at.is_not(None)).label("callback"),
        _count_if(satisfied).label("satisfied"),
    ).where(*ticket_conditions(scope, flt))
    row = _fetch(conn, scope, stmt).iloc[0]
    return {stage: int(row[stage]) for stage in FUNNEL_STAGES}


def event_counts(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> dict[str, int]:
    """Number of tickets with at least one event of each kind in EVENT_COUNT_KINDS (退单, 延期, 督办, 吹哨, 重办)."""
    stmt = (
        select(E.c.kind, func.count(func.distinct(E.c.ticket_id)).label("tickets"))
        .join(T, T.c.id == E.c.ticket_id)
        .where(*ticket_conditions(scope, flt), E.c.kind.in_(EVENT_COUNT_KINDS))
        .group_by(E.c.kind)
    )
    frame = _fetch(conn, scope, stmt)
    counts = {kind: 0 for kind in EVENT_COUNT_KINDS}
    counts.update({str(k): int(v) for k, v in zip(frame["kind"], frame["tickets"])})
    return counts


# --- ticket lists (paged) ----------------------------------------------------------------------------

OVERDUE_LIST_COLUMNS = (
    "ticket_no",
    "street",
    "community",
    "category",
    "subcategory",
    "urgency",
    "channel",
    "status",
    "received_at",
    "due_at",
    "seconds_late",
    "lead_department",
    "escalated",
    "whistle",
)


def _overdue_conditions(scope: Scope, flt: TicketFilter, now: dt.datetime, due_soon_hours: float) -> list:
    horizon = now + dt.timedelta(hours=due_soon_hours)
    return [
        *ticket_conditions(scope, flt),
        T.c.status != vocab.STATUS_CLOSED,
        T.c.due_at < bindparam("horizon", horizon, type_=DateTime()),
    ]


def overdue_tickets(
    conn: Connection,
    scope: Scope,
    flt: TicketFilter = ALL,
    *,
    now: dt.datetime,
    due_soon_hours: float = 0,
    limit: int = 100,
    offset: int = 0,
) -> pd.DataFrame:
    """One page of open tickets past their deadline (and, with `due_soon_hours`, those due within it).

    Sorted by lateness, latest first; `seconds_late` is negative for tickets not yet due. No personal
    columns: the ticket number is enough to act.
    """
    escalated = (
        select(literal(1)).where(E.c.ticket_id == T.c.id, E.c.kind == vocab.EVENT_ESCALATE).exists()
    )
    stmt = (
        select(
            T.c.ticket_no,
            S.c.name.label("street"),
            C.c.name.label("community"),
            T.c.category,
            T.c.subcategory,
            T.c.urgency,
            T.c.channel,
            T.c.status,
            T.c.received_at,
            T.c.due_at,
            seconds_between(T.c.due_at, _now_param(now)).label("seconds_late"),
            DEP.c.name.label("lead_department"),
            case((escalated, True), else_=False).label("escalated"),
            T.c.whistle,
        )
        .outerjoin(S, S.c.id == T.c.street_id)
        .outerjoin(C, C.c.id == T.c.community_id)
        .outerjoin(DEP, DEP.c.id == T.c.lead_department_id)
        .where(*_overdue_conditions(scope, flt, now, due_soon_hours))
        .order_by(T.c.due_at, T.c.id)
        .offset(offset)
        .limit(limit)
    )
    frame = _fetch(conn, scope, stmt)
    for col in ("received_at", "due_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["seconds_late"] = pd.to_numeric(frame["seconds_late"]).astype("float64")
    for col in ("escalated", "whistle"):
        frame[col] = frame[col].astype(bool)
    return frame


def overdue_count(
    conn: Connection, scope: Scope, flt: TicketFilter = ALL, *, now: dt.datetime, due_soon_hours: float = 0
) -> int:
    """How many rows `overdue_tickets` would page through."""
    stmt = select(func.count().label("n")).where(*_overdue_conditions(scope, flt, now, due_soon_hours))
    return int(_fetch(conn, scope, stmt)["n"].iloc[0])
