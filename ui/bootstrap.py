"""First start and failure states: build the embedded sample database once, and explain an unreachable one."""

from __future__ import annotations

import logging
import os
import threading

import streamlit as st
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, OperationalError

from data_access.accounts import DEMO_PASSWORD, seed_demo_accounts
from data_access.engine import DEMO_DB_PATH, DEMO_DB_URL, make_engine, redact, sqlite_file
from data_access.schema import AuthSession
from data_access.sessions import session_table_exists
from domain.clock import local_now
from domain.settings import Settings
from ui import data
from ui.i18n import literal, t

logger = logging.getLogger(__name__)

_BUILD_LOCK = threading.Lock()


def ensure_demo_database(settings: Settings) -> None:
    """Build `sample_data/demo.db` with a progress bar if it does not exist yet.

    Built into a temporary file and renamed into place, so a half-built database is never read, and
    under a lock, so two first visitors do not build it twice.
    """
    if DEMO_DB_PATH.exists():
        _ensure_demo_accounts(settings.timezone)
        return
    with _BUILD_LOCK:
        if DEMO_DB_PATH.exists():
            return
        from sample_data.generator import build_sample

        tmp = DEMO_DB_PATH.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        bar = st.progress(0.0, text=t("app.building_sample", done=0, total=0))

        print(f"Building the sample database {DEMO_DB_PATH} (first start, a few minutes)…", flush=True)
        printed = {"tenth": -1}

        def progress(done: int, total: int) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=t("app.building_sample", done=f"{done:,}", total=f"{total:,}"))
            tenth = int(10 * done / max(total, 1))
            if tenth > printed["tenth"]:  # the console too, every tenth of the way
                printed["tenth"] = tenth
                print(f"  sample database: {done:,} of {total:,} tickets", flush=True)

        engine = make_engine(f"sqlite:///{tmp}")
        try:
            build_sample(engine, settings=settings, progress=progress)
            with engine.begin() as conn:
                seed_demo_accounts(conn, now=local_now(settings.timezone), password=DEMO_PASSWORD)
        finally:
            engine.dispose()
        os.replace(tmp, DEMO_DB_PATH)
        for suffix in ("-wal", "-shm"):
            DEMO_DB_PATH.with_name(tmp.name + suffix).unlink(missing_ok=True)
        bar.empty()
        print(f"Sample database ready: {DEMO_DB_PATH}", flush=True)


@st.cache_resource(show_spinner=False)
def _ensure_demo_accounts(timezone: str) -> bool:
    """Once per process: a demo database built before sign-in existed gets the demo accounts too."""
    engine = make_engine(DEMO_DB_URL)
    try:
        with engine.begin() as conn:
            seed_demo_accounts(conn, now=local_now(timezone), password=DEMO_PASSWORD)
    finally:
        engine.dispose()
    return True


def database_problem(url: str) -> str | None:
    """None if the case database answers and has its tables; otherwise what went wrong, for the message.
    A SQLite file that is not there is a problem, never created empty at that path. Asks through the app's
    cached engine (`data.engine_for`, which never creates a file either), so a rerun borrows a pooled
    connection instead of building and disposing an engine each time."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        return t("app.db_file_missing", path=str(path))
    try:
        with data.engine_for(url).connect() as conn:
            if not inspect(conn).has_table("ticket"):
                return t("app.db_no_tables")
        _ensure_session_table(url)
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    except DBAPIError as exc:  # the app's database user may not create tables: the operator runs init-db
        return t("app.db_no_session_table", problem=str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc))
    return None


@st.cache_resource(show_spinner=False)
def _ensure_session_table(url: str) -> bool:
    """Once per process: a database from before stored sign-in sessions gets its `auth_session` table (what
    `cli.py init-db` adds), so an upgraded deployment keeps working without a manual step. Another process
    creating it at the same moment is fine."""
    with data.engine_for(url).connect() as conn:
        if session_table_exists(conn):
            return True
    try:
        with data.engine_for(url).begin() as conn:
            AuthSession.__table__.create(conn, checkfirst=True)
    except DBAPIError:
        with data.engine_for(url).connect() as conn:
            if not session_table_exists(conn):
                raise
    return True


def stop_on_database_problem(url: str, problem: str, *, details: bool) -> None:
    """Say the data cannot be read and stop the page (no stack trace). With `details` (an administrator):
    the URL without its password, what failed and what to check; otherwise — visitors, the sign-in page,
    every other role — a neutral message. The details always go to the server log."""
    logger.error("case database unavailable: %s: %s", redact(url), problem)
    if details:
        st.error(t("app.db_unreachable", url=literal(redact(url)), problem=literal(problem)), icon=":material/error:")
        st.info(t("app.db_what_to_check", demo=DEMO_DB_URL))
    else:
        st.error(t("app.db_unavailable"), icon=":material/error:")
    st.stop()
