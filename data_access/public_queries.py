"""Queries of the public screen (公开大屏): aggregates only, for `Scope.public_screen()` only.

Every function asserts the public scope, builds one aggregate statement with `ticket_conditions` and runs it
through `_fetch_public`: `public_guard.check_public_strict` (no personal column or table, no ticket
number, no exact coordinates, no free text — refused before the database sees it), then `queries._fetch`
(which applies `scope.check_public` as well). Results are counts per period, day, category, community or
grid cell; suppression of small counts happens in `metrics.suppression` before anything is shown.
Portable SQL; tested on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, DateTime, Select, and_, bindparam, func, select

from data_access import queries
from data_access.public_guard import check_public_strict
from data_access.queries import C, D, G, S, T, _as_counts, _as_dates, _count_if, rate_count_columns
from data_access.scope import ALL, Scope, TicketFilter, community_conditions, ticket_conditions, unit_conditions
from data_access.sqlfuncs import day_of
from metrics import periods, vocab

RECENT_WINDOWS = {"closed_24h": dt.timedelta(hours=24), "closed_7d": dt.timedelta(days=7)}


def _require_public(scope: Scope) -> None:
    assert scope.public, "public_queries serve the public screen only: pass Scope.public_screen()"


def _fetch_public(conn: Connection, scope: Scope, stmt: Select) -> pd.DataFrame:
    """Refuse what the public may not see, then run the statement (see the module docstring)."""
    _require_public(scope)
    check_public_strict(stmt)
    return queries._fetch(conn, scope, stmt)


def _stamp(name: str, value: dt.datetime):  # type: ignore[no-untyped-def]
    return bindparam(name, value, type_=DateTime())


# --- headline ----------------------------------------------------------------------------------------


def period_counts(conn: Connection, scope: Scope, since: dt.date, until: dt.date, *, now: dt.datetime) -> dict[str, int]:
    """The count contract (queries.RATE_COUNT_COLUMNS) of the tickets received from `since` to `until`."""
    stmt = select(*rate_count_columns(now)).where(*ticket_conditions(scope, TicketFilter(since=since, until=until)))
    frame = _as_counts(_fetch_public(conn, scope, stmt))
    row = frame.iloc[0] if len(frame) else {}
    return {c: int(row[c]) if c in row and not pd.isna(row[c]) else 0 for c in queries.RATE_COUNT_COLUMNS}


def headline_counts(conn: Connection, scope: Scope, *, now: dt.datetime) -> dict[str, dict[str, int]]:
    """The count contract of today and of this month so far: {"today": {...}, "month": {...}}."""
    today = now.date()
    return {
        "today": period_counts(conn, scope, today, today, now=now),
        "month": period_counts(conn, scope, periods.month_start(today), today, now=now),
    }


def district_names(conn: Connection, scope: Scope) -> list[str]:
    """The names of the districts in scope, by code (the screen's title)."""
    stmt = select(D.c.name).order_by(D.c.code)
    if scope.street_ids is not None:
        stmt = stmt.where(D.c.id.in_(select(S.c.district_id).where(*unit_conditions(scope, S.c.id, None))))
    return [str(n) for n in _fetch_public(conn, scope, stmt)["name"]]


# --- trend, categories -------------------------------------------------------------------------------


def daily_counts(conn: Connection, scope: Scope, since: dt.date, until: dt.date, *, now: dt.datetime) -> pd.DataFrame:
    """`day` and the count contract per received day from `since` to `until` (days with tickets only)."""
    day = day_of(T.c.received_at)
    stmt = (
        select(day.label("day"), *rate_count_columns(now))
        .where(*ticket_conditions(scope, TicketFilter(since=since, until=until)))
        .group_by(day)
    )
    frame = _as_counts(_fetch_public(conn, scope, stmt))
    frame["day"] = _as_dates(frame["day"]) if len(frame) else pd.Series(dtype="object")
    return frame.sort_values("day", ignore_index=True)


def category_counts(conn: Connection, scope: Scope, since: dt.date, until: dt.date) -> pd.DataFrame:
    """category, tickets: tickets received from `since` to `until` per category (categories with tickets)."""
    stmt = (
        select(T.c.category, func.count().label("tickets"))
        .where(*ticket_conditions(scope, TicketFilter(since=since, until=until)))
        .group_by(T.c.category)
    )
    frame = _fetch_public(conn, scope, stmt)
    frame["tickets"] = pd.to_numeric(frame["tickets"]).astype("int64")
    return frame.sort_values("category", ignore_index=True)


# --- recently resolved -------------------------------------------------------------------------------


def recently_closed_by_community(conn: Connection, scope: Scope, *, now: dt.datetime) -> pd.DataFrame:
    """Per community in scope (zeros included): tickets closed in the 24 hours and in the 7 days up to
    `now`, whenever received. Columns: community_id, community_name, street_id, street_name, closed_24h,
    closed_7d; by street code, then community code."""
    now_p = _stamp("now", now)
    starts = {name: _stamp(f"since_{name}", now - span) for name, span in RECENT_WINDOWS.items()}
    widest = starts[max(RECENT_WINDOWS, key=RECENT_WINDOWS.__getitem__)]
    stmt = (
        select(
            T.c.community_id,
            *(_count_if(T.c.closed_at >= start).label(name) for name, start in starts.items()),
        )
        .where(
            *ticket_conditions(scope, ALL),
            T.c.status == vocab.STATUS_CLOSED,
            and_(T.c.closed_at >= widest, T.c.closed_at <= now_p),
            T.c.community_id.is_not(None),
        )
        .group_by(T.c.community_id)
    )
    counts = _fetch_public(conn, scope, stmt)
    units = _fetch_public(
        conn,
        scope,
        select(
            C.c.id.label("community_id"),
            C.c.name.label("community_name"),
            C.c.street_id,
            S.c.name.label("street_name"),
        )
        .join(S, S.c.id == C.c.street_id)
        .where(*community_conditions(scope))
        .order_by(S.c.code, C.c.code),
    )
    if len(counts):
        counts["community_id"] = pd.to_numeric(counts["community_id"]).astype("int64")
    units["community_id"] = pd.to_numeric(units["community_id"]).astype("int64")
    merged = units.merge(counts, on="community_id", how="left")
    for name in RECENT_WINDOWS:
        merged[name] = pd.to_numeric(merged[name]).fillna(0).astype("int64")
    return merged


# --- map ---------------------------------------------------------------------------------------------


def cell_counts(conn: Connection, scope: Scope, since: dt.date, until: dt.date) -> pd.DataFrame:
    """grid_cell_id, tickets: tickets received from `since` to `until` per grid cell (cells with tickets)."""
    stmt = (
        select(T.c.grid_cell_id, func.count().label("tickets"))
        .where(*ticket_conditions(scope, TicketFilter(since=since, until=until)), T.c.grid_cell_id.is_not(None))
        .group_by(T.c.grid_cell_id)
    )
    frame = _fetch_public(conn, scope, stmt)
    for col in ("grid_cell_id", "tickets"):
        frame[col] = pd.to_numeric(frame[col]).astype("int64")
    return frame.sort_values("grid_cell_id", ignore_index=True)


def cell_boundaries(conn: Connection, scope: Scope) -> pd.DataFrame:
    """grid_cell_id, community_id, community_name, street_id, street_name and the GeoJSON boundary of every
    cell in scope, by cell code (the shape of `map_queries.cell_boundaries`, for `metrics.geo.build_geometry`)."""
    stmt = (
        select(
            G.c.id.label("grid_cell_id"),
            G.c.community_id,
            C.c.name.label("community_name"),
            C.c.street_id,
            S.c.name.label("street_name"),
            G.c.boundary,
        )
        .join(C, C.c.id == G.c.community_id)
        .join(S, S.c.id == C.c.street_id)
        .where(*community_conditions(scope))
        .order_by(G.c.code)
    )
    return _fetch_public(conn, scope, stmt)
