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
