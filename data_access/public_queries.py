"""Queries of the public screen (公开大屏): aggregates only, for `Scope.public_screen()` only.

Every function asserts the public scope; every statement runs through `sql.fetch`, which for the public
scope applies `public_guard.check_public_strict` (no personal column or table, no ticket number, no exact
coordinates, no free text — refused before the database sees it) as well as `scope.check_public`. Results are counts per period, day, category, community or
grid cell; suppression of small counts happens in `metrics.suppression` before anything is shown.
Portable SQL; tested on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Select, and_, select

from data_access import figures, map_queries
from data_access.scope import ALL, Scope, TicketFilter, community_conditions, ticket_conditions, unit_conditions
from data_access.sql import C, D, S, T, as_dates, count_if, fetch, stamp
from data_access.ticket_measures import IS_CLOSED, RATE_COUNT_COLUMNS
from domain import periods

RECENT_WINDOWS = {"closed_7d": dt.timedelta(days=7)}  # one window per unit: see metrics.suppression, rule 3


def _require_public(scope: Scope) -> None:
    assert scope.public, "public_queries serve the public screen only: pass Scope.public_screen()"


def _fetch_public(conn: Connection, scope: Scope, stmt: Select) -> pd.DataFrame:
    """Run a statement for the public scope (`sql.fetch` refuses what the public may not see)."""
    _require_public(scope)
    return fetch(conn, scope, stmt)


# --- headline ----------------------------------------------------------------------------------------


def period_counts(conn: Connection, scope: Scope, since: dt.date, until: dt.date, *, now: dt.datetime) -> dict[str, int]:
    """The count contract (queries.RATE_COUNT_COLUMNS) of the tickets received from `since` to `until`."""
    _require_public(scope)
    row = figures.sum_counts(conn, scope, TicketFilter(since=since, until=until), columns=RATE_COUNT_COLUMNS, now=now).iloc[0]
    return {c: int(row[c]) for c in RATE_COUNT_COLUMNS}


def headline_counts(conn: Connection, scope: Scope, *, now: dt.datetime,
                    as_of: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """The count contract of today and of this month so far: {"today": {...}, "month": {...}}. Today is
    read at `now`; the month at `as_of` (default `now`): with `as_of` the end of yesterday
    (`suppression.published_as_of`), the month so far up to yesterday, which on the 1st is no day at all."""
    today = now.date()
    as_of = as_of or now
    month_start = periods.month_start(today)
    return {
        "today": period_counts(conn, scope, today, today, now=now),
        "month": (period_counts(conn, scope, month_start, as_of.date(), now=as_of) if as_of.date() >= month_start
                  else dict.fromkeys(RATE_COUNT_COLUMNS, 0)),
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
    _require_public(scope)
    flt = TicketFilter(since=since, until=until)
    frame = figures.sum_counts(conn, scope, flt, columns=RATE_COUNT_COLUMNS, keys=("day",), now=now)
    frame["day"] = as_dates(frame["day"]) if len(frame) else pd.Series(dtype="object")
    return frame[frame["tickets"] > 0].sort_values("day", ignore_index=True)


def category_counts(conn: Connection, scope: Scope, since: dt.date, until: dt.date) -> pd.DataFrame:
    """category, tickets: tickets received from `since` to `until` per category (categories with tickets)."""
    _require_public(scope)
    frame = figures.sum_counts(conn, scope, TicketFilter(since=since, until=until), columns=("tickets",), keys=("category",))
    return frame[frame["tickets"] > 0].sort_values("category", ignore_index=True)


# --- recently resolved -------------------------------------------------------------------------------


def recently_closed_by_community(conn: Connection, scope: Scope, *, now: dt.datetime) -> pd.DataFrame:
    """Per community in scope (zeros included): tickets closed in the 7 days up to `now` (the screen passes
    the end of yesterday), whenever received. Columns: community_id, community_name, street_id,
    street_name, closed_7d; by street code, then community code. (By closing time: read from the tickets, through the
    closed_at index.)"""
    now_p = stamp("now", now)
    starts = {name: stamp(f"since_{name}", now - span) for name, span in RECENT_WINDOWS.items()}
    widest = starts[max(RECENT_WINDOWS, key=RECENT_WINDOWS.__getitem__)]
    stmt = (
        select(
            T.c.community_id,
            *(count_if(T.c.closed_at >= start).label(name) for name, start in starts.items()),
        )
        .where(
            *ticket_conditions(scope, ALL),
            IS_CLOSED,
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
    _require_public(scope)
    flt = TicketFilter(since=since, until=until)
    frame = figures.sum_counts(conn, scope, flt, columns=("tickets",), keys=("grid_cell_id",))
    frame = frame[(frame["tickets"] > 0) & frame["grid_cell_id"].notna()]
    frame = frame.astype({"grid_cell_id": "int64"})
    return frame.sort_values("grid_cell_id", ignore_index=True)


def cell_boundaries(conn: Connection, scope: Scope) -> pd.DataFrame:
    """The polygons of every cell in scope (`map_queries.cell_boundaries`, for `ui.map_geo.build_geometry`)."""
    _require_public(scope)
    return map_queries.cell_boundaries(conn, scope, ALL)
