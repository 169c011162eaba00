"""Aggregate queries: counts in the database, small frames out (DESIGN.md principle 1).

Every function takes a connection, the viewer's `Scope` and a `TicketFilter`, uses bound parameters and
returns a frame whose size depends on the number of units, categories or days — never on the number of
tickets. Counts come from `data_access.figures` (the rollups plus the tickets that moved since, exact at
`now`); what each count means is defined once, in `data_access.ticket_measures`.

The count columns of `rate_counts` are the contract with `metrics.rates` (see RATE_COUNT_COLUMNS).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, func, select

from data_access import figures
from data_access.scope import ALL, Scope, TicketFilter, community_conditions, ticket_conditions, unit_conditions
from data_access.sql import C, D, G, S, T, as_dates, as_datetime, fetch
from data_access.ticket_measures import RATE_COUNT_COLUMNS
from domain.settings import Settings
from metrics import rankings, rates

__all__ = ["RATE_COUNT_COLUMNS"]

GroupBy = Literal["street", "community", "grid_cell", "category", "channel", "day"]
_GROUP_KEYS = {"street": "street_id", "community": "community_id", "grid_cell": "grid_cell_id", "category": "category", "channel": "channel", "day": "day"}


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
    if by is not None and by not in _GROUP_KEYS:
        raise ValueError(f"unknown grouping: {by}")
    key = _GROUP_KEYS[by] if by else None
    frame = figures.sum_counts(conn, scope, flt, columns=RATE_COUNT_COLUMNS, keys=(key,) if key else (), now=now)
    if by is None:
        return frame
    if by == "day":
        frame["day"] = as_dates(frame["day"])
        return frame.sort_values("day", ignore_index=True)
    if by in ("category", "channel"):
        return frame.sort_values(by, ignore_index=True)
    units = {"street": streets, "community": communities, "grid_cell": grid_cells}[by](conn, scope)
    units = _units_in_filter(units.drop(columns=[c for c in ("boundary",) if c in units]), by, flt)
    merged = units.merge(frame.dropna(subset=[key]).astype({key: "int64"}), left_on="id", right_on=key, how="left")
    merged = merged.drop(columns=[key]).rename(columns={"id": key})
    for col in RATE_COUNT_COLUMNS:
        merged[col] = merged[col].fillna(0).astype("int64")
    return merged


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
    return fetch(conn, scope, stmt)


def streets(conn: Connection, scope: Scope) -> pd.DataFrame:
    """id, code, name, district_id, population of the streets in scope, by code."""
    stmt = (
        select(S.c.id, S.c.code, S.c.name, S.c.district_id, S.c.population)
        .where(*unit_conditions(scope, S.c.id, None))
        .order_by(S.c.code)
    )
    return fetch(conn, scope, stmt)


def communities(conn: Connection, scope: Scope) -> pd.DataFrame:
    """id, code, name, street_id, street_name, population of the communities in scope, by code."""
    stmt = (
        select(C.c.id, C.c.code, C.c.name, C.c.street_id, S.c.name.label("street_name"), C.c.population)
        .join(S, S.c.id == C.c.street_id)
        .where(*community_conditions(scope))
        .order_by(C.c.code)
    )
    return fetch(conn, scope, stmt)


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
    return fetch(conn, scope, stmt)


def categories(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> list[str]:
    """The categories of the (non-excluded) tickets in scope, alphabetically."""
    frame = figures.sum_counts(conn, scope, flt, columns=("tickets",), keys=("category",))
    return sorted(str(c) for c in frame.loc[frame["tickets"] > 0, "category"])


def received_range(conn: Connection, scope: Scope) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and last `received_at` in scope (None, None when there are no tickets)."""
    stmt = select(func.min(T.c.received_at).label("first"), func.max(T.c.received_at).label("last")).where(
        *ticket_conditions(scope, ALL, include_excluded=True)
    )
    row = fetch(conn, scope, stmt).iloc[0]
    first, last = row["first"], row["last"]
    return (as_datetime(first), as_datetime(last))


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
    """Median of closed_at − received_at in seconds over closed tickets; None when there are none.

    From the duration histograms when the rollups are in use (`figures.rollups_in_use`) — then within 1 %
    + 0.5 h of the exact value (`metrics.durations`) — else exact. A ticket closed before it was received
    is a data error and is left out (see `closed_before_received`)."""
    row = figures.stage_medians(conn, scope, flt, ("closed",)).iloc[0]
    return None if pd.isna(row["median_seconds"]) else float(row["median_seconds"])


def closed_before_received(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> int:
    """How many closed tickets say they were closed before they were received (a data-quality finding)."""
    frame = figures.sum_counts(conn, scope, flt, columns=("closed_reversed",))
    return int(frame["closed_reversed"].iloc[0])


def street_standing(conn: Connection, scope: Scope, flt: TicketFilter, *, now: dt.datetime, settings: Settings) -> dict | None:
    """Where the one street of a street-level `scope` stands among every street of the district, by the
    composite of `flt`'s period, categories and channels: {"rank", "ranked", "reason", "streets"} of that
    street only — never another street's name or figures (only how many streets there are). None when the
    scope is not exactly one street. The ranking is `metrics.rankings.rank_units`, as on the overview.

    This is the one read that looks past a secretary's scope, and it returns a position, nothing else."""
    if scope.street_ids is None or len(scope.street_ids) != 1 or scope.public:
        return None
    (own,) = scope.street_ids
    district_flt = TicketFilter(since=flt.since, until=flt.until, categories=flt.categories, channels=flt.channels)
    frame = rates.add_rates(rate_counts(conn, Scope.district(), district_flt, now=now, by="street"), settings)
    ranked = rankings.rank_units(frame, "composite", ["name", "code"], settings=settings, sample="dispatched")
    row = ranked[pd.to_numeric(ranked["street_id"]).astype("int64") == own]
    if row.empty:
        return None
    r = row.iloc[0]
    return {
        "rank": None if pd.isna(r["rank"]) else int(r["rank"]),
        "ranked": bool(r["ranked"]),
        "reason": r["unranked_reason"],
        "ranked_streets": int(ranked["ranked"].sum()),
        "streets": len(ranked),
    }
