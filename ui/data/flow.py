"""Cached query results of the funnel and satisfaction views (the seam of `ui.data`, for `flow_queries`).

Each result is keyed only by its arguments (URL, scope, filter, minute of `now`, grouping) and lives for
`data.QUERY_TTL_SECONDS`, like the shared wrappers in `ui.data`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import flow_queries
from data_access.scope import Scope, TicketFilter
from ui.data import QUERY_TTL_SECONDS, engine_for


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def funnel_counts(url: str, scope: Scope, flt: TicketFilter, by: str | None) -> pd.DataFrame:
    """Nested stage counts and event counts, one row or one row per street/community/category."""
    with engine_for(url).connect() as conn:
        return flow_queries.funnel_counts_by(conn, scope, flt, by=by)  # type: ignore[arg-type]


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def stage_medians(url: str, scope: Scope, flt: TicketFilter) -> pd.DataFrame:
    """Exact median seconds into each timed stage, with the number of tickets behind each."""
    with engine_for(url).connect() as conn:
        return flow_queries.stage_median_seconds(conn, scope, flt)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def daily_counts(url: str, scope: Scope, flt: TicketFilter, now: dt.datetime, by: str | None) -> pd.DataFrame:
    """The count contract per received day (and per street/community/category when `by` is given)."""
    with engine_for(url).connect() as conn:
        return flow_queries.daily_counts_by(conn, scope, flt, now=now, by=by)  # type: ignore[arg-type]


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def satisfaction_by_category(url: str, scope: Scope, flt: TicketFilter) -> pd.DataFrame:
    """Answered callbacks and their results per category."""
    with engine_for(url).connect() as conn:
        return flow_queries.satisfaction_by_category(conn, scope, flt)
