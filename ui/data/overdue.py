"""Cached reads of the overdue view (keyed only by their arguments, like ui/data/__init__.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import overdue_queries
from data_access.overdue_queries import OverdueView
from data_access.scope import Scope, TicketFilter
from ui.data import QUERY_TTL_SECONDS, engine_for


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def overdue_departments(url: str, scope: Scope, flt: TicketFilter, now: dt.datetime, due_soon_hours: float) -> pd.DataFrame:
    """Lead departments of the overdue and due-soon tickets of the sidebar filter, with counts."""
    with engine_for(url).connect() as conn:
        return overdue_queries.overdue_departments(conn, scope, flt, now=now, due_soon_hours=due_soon_hours)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def overdue_summary(
    url: str, scope: Scope, flt: TicketFilter, view: OverdueView, now: dt.datetime, due_soon_hours: float
) -> pd.DataFrame:
    """Per-community counts of the listed tickets (overdue, due soon, escalated, bands, worst lateness)."""
    with engine_for(url).connect() as conn:
        return overdue_queries.overdue_summary(conn, scope, flt, view, now=now, due_soon_hours=due_soon_hours)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def overdue_rows(
    url: str, scope: Scope, flt: TicketFilter, view: OverdueView, now: dt.datetime, due_soon_hours: float, max_rows: int
) -> pd.DataFrame:
    """The listed tickets, latest first, at most `max_rows` (read page by page)."""
    with engine_for(url).connect() as conn:
        return overdue_queries.overdue_rows(
            conn, scope, flt, view, now=now, due_soon_hours=due_soon_hours, max_rows=max_rows
        )
