"""Which database to read, and the engine for it.

The URL is chosen by a pure function of (environment, secrets file) so it can be tested:
`DATABASE_URL`, then `[connections.cases] url` in `.streamlit/secrets.toml`, then the embedded sample
database `sample_data/demo.db` (built on first use by the app or `cli.py sample`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Mapping

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# How long a SQLite writer waits for another writer's lock before giving up ("database is locked"); readers
# never wait (WAL). Long enough for a rollup refresh or an import batch, short enough for a sign-in click.
SQLITE_BUSY_SECONDS = 30.0
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
# Absolute, so a run from another folder cannot silently create an empty database (STACK.md).
DEMO_DB_PATH = PROJECT_ROOT / "sample_data" / "demo.db"
DEMO_DB_URL = f"sqlite:///{DEMO_DB_PATH}"
DATABASE_URL_ENV = "DATABASE_URL"
# One app process serves every viewer's script from threads: enough connections that a busy minute does
# not queue for one (SQLAlchemy's default is 5 + 10).
POOL_SIZE = 10
POOL_OVERFLOW = 20


def resolve_database_url(environ: Mapping[str, str] | None = None, secrets_path: Path | None = None) -> str:
    """The database URL this deployment uses (see the module docstring for the order)."""
    environ = os.environ if environ is None else environ
    if environ.get(DATABASE_URL_ENV):
        return environ[DATABASE_URL_ENV]
    secrets_path = SECRETS_PATH if secrets_path is None else secrets_path
    if secrets_path.is_file():
        with secrets_path.open("rb") as fh:
            secrets = tomllib.load(fh)
        url = secrets.get("connections", {}).get("cases", {}).get("url")
        if url:
            return url
    return DEMO_DB_URL


def is_demo_url(url: str) -> bool:
    return url == DEMO_DB_URL


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, or None (another backend, or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and a busy timeout for a concurrent writer.

    `create=False` (the app's engines): a SQLite file that does not exist is an error when connecting,
    never a new empty database at that path (a moved or mistyped file must say so)."""
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if create or path is None:
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        else:
            import sqlite3

            uri = f"{path.resolve().as_uri()}?mode=rw"
            engine = create_engine(url, creator=lambda: sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_SECONDS,
                                                                         check_same_thread=False))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        # The dashboard's statements are small aggregates over indexes; PostgreSQL's JIT compiles any whose
        # estimated cost passes 100,000 and spent ~23 ms on each at 10,000,000 tickets, for nothing.
        return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                             connect_args={"options": "-c jit=off"})
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


def redact(url: str | URL) -> str:
    """The URL (text or an engine's `URL`) with any password hidden: the one way messages show a database."""
    return make_url(url).render_as_string(hide_password=True)


# Driver error codes that mean "another transaction holds what this one needs": wait and try again.
_LOCK_WAIT_SQLSTATES = {"40001", "40P01", "55P03"}  # PostgreSQL: serialization failure, deadlock, lock not available
_LOCK_WAIT_MYSQL = {1205, 1213}  # MariaDB/MySQL: lock wait timeout, deadlock


def is_lock_wait(exc: DBAPIError) -> bool:
    """Whether a database error means the data is locked by another writer (SQLite's busy timeout ran out,
    a lock wait timeout or deadlock elsewhere), as opposed to a real failure."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _LOCK_WAIT_SQLSTATES:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _LOCK_WAIT_MYSQL:
        return True
    text = str(orig).lower()  # SQLite's SQLITE_BUSY / SQLITE_LOCKED messages
    return "database is locked" in text or "database table is locked" in text
