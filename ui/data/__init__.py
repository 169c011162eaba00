"""The seam between pages and the database: the cached engine and cached query results.

`st.cache_resource` holds the engine (one per URL); `st.cache_data` holds small result frames whose key is
fully described by the arguments (URL, scope, filter, minute of `now`), with a short time-to-live so new
tickets appear without restarting the app. This module holds the engine, the clock and the wrappers every
page shares; each page family has its own module beside it: `flow` (funnel, satisfaction), `grid_map`,
`overdue`, `public` (the transparency screen, with its last good figures) and `quality`. Each wrapper is
written out as its own function: Streamlit keys a cache on the function's name and source.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from data_access import figures, queries
from data_access.engine import make_engine
from data_access.scope import Scope, TicketFilter
from domain.clock import local_now
from domain.settings import Settings

QUERY_TTL_SECONDS = 60


NOW_ENV = "DASHBOARD_NOW"


def current_time(settings: Settings) -> dt.datetime:
    """The deployment's local wall-clock time to the minute (the cache key of the queries).

    Pinned instead by a test (session key `keys.NOW_OVERRIDE`) or, for demonstrations of a past day and for
    browser tests, by the environment variable DASHBOARD_NOW (ISO local time, e.g. 2026-11-20T12:00).
    """
    from ui import keys

    pinned = st.session_state.get(keys.NOW_OVERRIDE)
    if isinstance(pinned, dt.datetime):
        return pinned
    env = os.environ.get(NOW_ENV)
    if env:
        try:
            return dt.datetime.fromisoformat(env).replace(second=0, microsecond=0)
        except ValueError:
            pass  # a malformed pin is ignored: the real clock is the safe default
    return local_now(settings.timezone).replace(second=0)


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    """The app's engine for `url` (a missing SQLite file is an error, never created). The app only reads tickets, so its connections share the minute's clock
    corrections between figures and viewers (`figures.pending_corrections`)."""
    return make_engine(url, create=False).execution_options(**figures.SHARED)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def headline_counts(url: str, scope: Scope, flt: TicketFilter, now: dt.datetime) -> tuple[dict[str, int], float | None]:
    """The count contract of a scope and filter, and the exact median seconds to close."""
    with engine_for(url).connect() as conn:
        counts = queries.rate_counts_for(conn, scope, flt, now=now)
        median = queries.median_seconds_to_close(conn, scope, flt)
    return counts, median


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def counts_by(url: str, scope: Scope, flt: TicketFilter, now: dt.datetime, by: str) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return queries.rate_counts(conn, scope, flt, now=now, by=by)  # type: ignore[arg-type]


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def street_standing(url: str, scope: Scope, flt: TicketFilter, now: dt.datetime, _settings: Settings) -> dict | None:
    # `_settings` is not part of the cache key (Streamlit cannot hash it): the process's settings are loaded once.
    with engine_for(url).connect() as conn:
        return queries.street_standing(conn, scope, flt, now=now, settings=_settings)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def received_range(url: str, scope: Scope) -> tuple[dt.datetime | None, dt.datetime | None]:
    with engine_for(url).connect() as conn:
        return queries.received_range(conn, scope)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def streets(url: str, scope: Scope) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return queries.streets(conn, scope)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def communities(url: str, scope: Scope) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        return queries.communities(conn, scope)


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False)
def categories(url: str, scope: Scope) -> list[str]:
    with engine_for(url).connect() as conn:
        return queries.categories(conn, scope)
