"""Cached reads for the 数据质量 page (data_access.quality)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import quality
from data_access.scope import Scope, TicketFilter
from ui.data import QUERY_TTL_SECONDS, engine_for


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def last_imports(url: str, scope: Scope) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return quality.last_imports(conn, scope)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def import_findings(url: str, scope: Scope, run_id: int) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return quality.import_findings(conn, scope, run_id)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def completeness(url: str, scope: Scope, flt: TicketFilter) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return quality.completeness_shares(quality.field_completeness(conn, scope, flt))
