"""Cached data of the grid map (keyed only by their arguments, like ui/data/__init__.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import map_queries
from data_access.scope import Scope, TicketFilter
from ui.data import QUERY_TTL_SECONDS, engine_for
from ui.map_geo import MapGeometry, build_geometry


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def cell_figures(url: str, scope: Scope, flt: TicketFilter, now: dt.datetime) -> pd.DataFrame:
    """Counts per grid cell the filter covers (see map_queries.cell_counts)."""
    with engine_for(url).connect() as conn:
        return map_queries.cell_counts(conn, scope, flt, now=now)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def map_geometry(
    url: str, scope: Scope, street_ids: tuple[int, ...] | None, community_ids: tuple[int, ...] | None
) -> MapGeometry:
    """Cell polygons, outlines and label points of the cells of these streets/communities. Keyed by the
    units only, so changing the period or the measure reuses it."""
    with engine_for(url).connect() as conn:
        frame = map_queries.cell_boundaries(conn, scope, TicketFilter(street_ids=street_ids, community_ids=community_ids))
    return build_geometry(frame)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def open_tickets(url: str, scope: Scope, flt: TicketFilter, grid_cell_id: int, now: dt.datetime, limit: int = 200) -> pd.DataFrame:
    """The open tickets of one cell, most overdue first (see map_queries.open_tickets_in_cell)."""
    with engine_for(url).connect() as conn:
        return map_queries.open_tickets_in_cell(conn, scope, flt, grid_cell_id, now, limit)
