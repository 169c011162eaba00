"""The public screen's data seam: cached aggregate queries, and the last good figures of each panel.

Query results are cached for `QUERY_TTL_SECONDS` and keyed by their arguments (URL, scope, the minute of
`now`, the window), so the screen reads the database at most once a minute per panel, whoever watches.

`load_panel` runs a panel's loader (queries + `metrics.public_figures`) and keeps what it returns — already
suppressed figures, never raw counts — in a server-side store (`st.cache_resource`, shared by every
session, so a kiosk that reconnects as a new session still finds them). When the database cannot be reached
(`sqlalchemy.exc.OperationalError`), it hands back the last good figures marked as delayed instead of
failing; the next tick tries again, so the screen recovers by itself.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from dataclasses import dataclass, replace
from typing import Any, Callable

import pandas as pd
import streamlit as st
from sqlalchemy.exc import OperationalError

from data_access import public_queries
from data_access.scope import Scope
from ui.data import QUERY_TTL_SECONDS, engine_for
from ui.map_geo import MapGeometry, build_geometry

# ------------------------------------------------------------------------------------ cached queries


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def district_names(url: str, scope: Scope) -> list[str]:
    with engine_for(url).connect() as conn:
        return public_queries.district_names(conn, scope)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def period_counts(url: str, scope: Scope, since: dt.date, until: dt.date, now: dt.datetime) -> dict[str, int]:
    with engine_for(url).connect() as conn:
        return public_queries.period_counts(conn, scope, since, until, now=now)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def today_counts(url: str, scope: Scope, now: dt.datetime) -> dict[str, int]:
    with engine_for(url).connect() as conn:
        return public_queries.period_counts(conn, scope, now.date(), now.date(), now=now)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def headline_counts(url: str, scope: Scope, now: dt.datetime, as_of: dt.datetime) -> dict[str, dict[str, int]]:
    with engine_for(url).connect() as conn:
        return public_queries.headline_counts(conn, scope, now=now, as_of=as_of)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def daily_counts(url: str, scope: Scope, since: dt.date, until: dt.date, now: dt.datetime) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return public_queries.daily_counts(conn, scope, since, until, now=now)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def category_counts(url: str, scope: Scope, since: dt.date, until: dt.date, now: dt.datetime) -> pd.DataFrame:
    # `now` (to the minute) is part of the key so that new tickets appear within a minute.
    with engine_for(url).connect() as conn:
        return public_queries.category_counts(conn, scope, since, until)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def recently_closed(url: str, scope: Scope, now: dt.datetime) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return public_queries.recently_closed_by_community(conn, scope, now=now)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def cell_counts(url: str, scope: Scope, since: dt.date, until: dt.date, now: dt.datetime) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return public_queries.cell_counts(conn, scope, since, until)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def geometry(url: str, scope: Scope) -> MapGeometry:
    """The cells' polygons, community and street outlines and label spots (independent of the period)."""
    with engine_for(url).connect() as conn:
        return build_geometry(public_queries.cell_boundaries(conn, scope))


# ---------------------------------------------------------------------------------- last good figures


@dataclass(frozen=True)
class PanelData:
    """A panel's figures, when they were read, and whether they are the last good ones kept through an outage."""

    figures: Any
    read_at: dt.datetime
    delayed: bool = False


class LastGood:
    """The last good figures per (URL, panel), shared by all sessions (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], PanelData] = {}

    def keep(self, key: tuple[str, str], data: PanelData) -> None:
        frozen = PanelData(copy.deepcopy(data.figures), data.read_at)
        with self._lock:
            self._kept[key] = frozen

    def get(self, key: tuple[str, str]) -> PanelData | None:
        with self._lock:
            kept = self._kept.get(key)
        # A copy: a renderer can never change what another session will be shown.
        return None if kept is None else replace(kept, figures=copy.deepcopy(kept.figures), delayed=True)


@st.cache_resource(show_spinner=False)
def last_good() -> LastGood:
    return LastGood()


def load_panel(url: str, panel: str, loader: Callable[[], Any], now: dt.datetime) -> PanelData | None:
    """The panel's figures from `loader()`, read at `now`; when the database is unreachable, the last
    good figures (delayed=True), or None if this panel was never read since the server started."""
    store = last_good()
    try:
        figures = loader()
    except OperationalError:
        return store.get((url, panel))
    data = PanelData(figures, now)
    store.keep((url, panel), data)
    return data
