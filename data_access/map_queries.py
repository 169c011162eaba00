"""Queries of the grid map: the cells a filter covers (figures and boundaries) and one cell's open tickets.

The filter's street/community choice narrows the *cells* too (`queries.rate_counts(by="grid_cell")` and
`queries.grid_cells` list every cell of the viewer's scope, whatever the filter), so a street filter draws
that street's cells only. Like every query here: scope applied, bound parameters, small frames.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, case, select

from data_access import queries
from data_access.scope import ALL, Scope, TicketFilter, community_conditions, ticket_conditions
from data_access.sql import C, G, S, T, fetch, stamp
from data_access.sqlfuncs import seconds_between
from data_access.ticket_measures import IS_OPEN

OPEN_TICKET_COLUMNS = ("ticket_no", "category", "urgency", "status", "received_at", "due_at", "seconds_late", "overdue")


def _in_filter_units(frame: pd.DataFrame, flt: TicketFilter) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if flt.street_ids is not None:
        keep &= frame["street_id"].isin(flt.street_ids)
    if flt.community_ids is not None:
        keep &= frame["community_id"].isin(flt.community_ids)
    return keep


def cell_counts(conn: Connection, scope: Scope, flt: TicketFilter, *, now: dt.datetime) -> pd.DataFrame:
    """RATE_COUNT_COLUMNS per grid cell of the scope that the filter's streets/communities cover, zeros
    included, with grid_cell_id, code, name, community and street ids and names, population, centroid."""
    frame = queries.rate_counts(conn, scope, flt, now=now, by="grid_cell")
    return frame[_in_filter_units(frame, flt)].reset_index(drop=True)


def cell_boundaries(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> pd.DataFrame:
    """grid_cell_id, community_id, community_name, street_id, street_name and the GeoJSON boundary of the
    cells in scope that the filter's streets/communities cover, by cell code (the period is irrelevant).
    The grid map and the public screen both draw from it."""
    conds = list(community_conditions(scope))
    if flt.street_ids is not None:
        conds.append(C.c.street_id.in_(sorted(flt.street_ids)))
    if flt.community_ids is not None:
        conds.append(G.c.community_id.in_(sorted(flt.community_ids)))
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
        .where(*conds)
        .order_by(G.c.code)
    )
    return fetch(conn, scope, stmt)


def open_tickets_in_cell(
    conn: Connection,
    scope: Scope,
    flt: TicketFilter,
    grid_cell_id: int,
    now: dt.datetime,
    limit: int = 200,
) -> pd.DataFrame:
    """The open (not closed) tickets of one grid cell that the filter selects, latest first.

    Columns OPEN_TICKET_COLUMNS: `seconds_late` = now − due_at (negative while not yet due, NaN without a
    deadline), `overdue` = due_at < now. Sorted by lateness: most overdue first, tickets without a
    deadline last. No personal columns: the ticket number is enough to act.
    """
    now_p = stamp("now", now)
    stmt = (
        select(
            T.c.ticket_no,
            T.c.category,
            T.c.urgency,
            T.c.status,
            T.c.received_at,
            T.c.due_at,
            seconds_between(T.c.due_at, now_p).label("seconds_late"),
            case((T.c.due_at < now_p, 1), else_=0).label("overdue"),
        )
        .where(*ticket_conditions(scope, flt), T.c.grid_cell_id == grid_cell_id, IS_OPEN)
        .order_by(case((T.c.due_at.is_(None), 1), else_=0), T.c.due_at, T.c.id)
        .limit(limit)
    )
    frame = fetch(conn, scope, stmt)
    for col in ("received_at", "due_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["seconds_late"] = pd.to_numeric(frame["seconds_late"]).astype("float64")
    frame["overdue"] = pd.to_numeric(frame["overdue"]).astype(bool)
    return frame
