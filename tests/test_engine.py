"""Which database the deployment reads: DATABASE_URL, then secrets.toml, then the embedded sample."""

from __future__ import annotations

import pytest

from data_access.engine import DEMO_DB_PATH, DEMO_DB_URL, redact, resolve_database_url


@pytest.fixture
def secrets_file(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[connections.cases]\nurl = "postgresql+psycopg://reader:pw@db:5432/cases"\n', encoding="utf-8")
    return path


def test_environment_wins(secrets_file):
    assert resolve_database_url({"DATABASE_URL": "sqlite:///x.db"}, secrets_file) == "sqlite:///x.db"


def test_secrets_file_next(secrets_file):
    assert resolve_database_url({}, secrets_file) == "postgresql+psycopg://reader:pw@db:5432/cases"


def test_embedded_sample_by_default(tmp_path):
    assert resolve_database_url({}, tmp_path / "missing.toml") == DEMO_DB_URL


def test_secrets_without_cases_connection_fall_back(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[other]\nkey = "x"\n', encoding="utf-8")
    assert resolve_database_url({}, path) == DEMO_DB_URL


def test_demo_database_path_is_absolute():
    # A relative sqlite path would resolve against the working directory and silently create an empty
    # database when started from another folder (STACK.md).
    assert DEMO_DB_PATH.is_absolute()


def test_redact_hides_password():
    assert "pw" not in redact("postgresql+psycopg://reader:pw@db:5432/cases")


def test_an_app_engine_never_creates_a_missing_sqlite_file(tmp_path):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from data_access.engine import make_engine, sqlite_file

    path = tmp_path / "moved.db"
    url = f"sqlite:///{path}"
    assert sqlite_file(url) == path and sqlite_file("sqlite://") is None and sqlite_file("postgresql://x/y") is None
    engine = make_engine(url, create=False)
    with pytest.raises(OperationalError, match="unable to open database file"):
        engine.connect()
    engine.dispose()
    assert not path.exists()
    # Once the file is there, the same kind of engine reads and writes it, with the usual pragmas.
    creator = make_engine(url)
    with creator.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    creator.dispose()
    engine = make_engine(url, create=False)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
    engine.dispose()
