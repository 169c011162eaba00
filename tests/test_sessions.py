"""Stored sign-in sessions (data_access/sessions.py) on every backend (SQLite, PostgreSQL, MariaDB): the token
is random and only its hash is stored, a session is found by its token, expires idle or absolutely, writes
its last activity at most once a minute, and is revoked at sign-out, deactivation, password and role change.

Case book (tests/helpers.py): district D1 with 东湖街道 (S1) and 西苑街道 (S2); NOW = 2026-11-20 12:00.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from data_access import accounts, sessions
from data_access.schema import AuthSession, create_schema
from domain.auth_policy import ACTIVITY_WRITE_INTERVAL
from domain.settings import DEFAULT_SETTINGS
from helpers import NOW

T = AuthSession.__table__
IDLE = dt.timedelta(minutes=DEFAULT_SETTINGS.session_idle_minutes)
MAX = dt.timedelta(hours=DEFAULT_SETTINGS.session_max_hours)


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def db(casebook):
    """A connection in a transaction rolled back after the test."""
    with casebook.connect() as connection:
        trans = connection.begin()
        yield connection
        trans.rollback()


@pytest.fixture
def account(db):
    return accounts.create_account(db, username="zhang", role="secretary", street_id=1, now=NOW, password="correct horse battery")


def start(db, account_id: int, at: dt.datetime = NOW, signed_in_at: dt.datetime | None = None) -> str:
    return sessions.start_session(db, account_id, method="password", signed_in_at=signed_in_at or at, now=at, settings=DEFAULT_SETTINGS)


def found(db, token: str) -> sessions.StoredSession | None:
    return sessions.find_session(db, sessions.token_hash(token))


# --- tokens ------------------------------------------------------------------------------------------


def test_the_token_is_random_and_only_its_hash_is_stored(db, account):
    tokens = {start(db, account.id) for _ in range(3)}
    assert len(tokens) == 3 and all(len(t) == 43 for t in tokens)  # 32 bytes, URL-safe base64
    stored = set(db.execute(select(T.c.token_hash).where(T.c.account_id == account.id)).scalars())
    assert stored == {sessions.token_hash(t) for t in tokens}
    assert not stored & tokens and all(len(h) == 64 for h in stored)


def test_a_session_is_found_by_its_token(db, account):
    token = start(db, account.id)
    session = found(db, token)
    assert (session.account_id, session.method, session.created_at, session.last_seen_at, session.revoked_at) == (
        account.id, "password", NOW, NOW, None,
    )


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 43], ids=["empty", "short", "never-issued"])
def test_an_unknown_token_finds_nothing(db, account, token):
    start(db, account.id)
    assert found(db, token) is None


# --- expiry ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signed_in_ago, idle_for, expiry",
    [
        (dt.timedelta(0), dt.timedelta(0), None),
        (dt.timedelta(hours=1), IDLE - dt.timedelta(seconds=1), None),
        (dt.timedelta(hours=1), IDLE, "idle"),
        (MAX - dt.timedelta(seconds=1), dt.timedelta(minutes=1), None),
        (MAX, dt.timedelta(minutes=1), "absolute"),
    ],
    ids=["fresh", "idle-almost", "idle", "absolute-almost", "absolute"],
)
def test_a_stored_session_expires_idle_or_absolutely(db, account, signed_in_ago, idle_for, expiry):
    last_seen = NOW - idle_for
    token = start(db, account.id, at=last_seen, signed_in_at=NOW - signed_in_ago)
    assert found(db, token).expiry(NOW, DEFAULT_SETTINGS) == expiry


def test_activity_is_written_at_most_once_a_minute(db, account):
    token = start(db, account.id)
    session = found(db, token)
    assert not sessions.record_activity(db, session.id, NOW + ACTIVITY_WRITE_INTERVAL - dt.timedelta(seconds=1))
    assert found(db, token).last_seen_at == NOW
    assert sessions.record_activity(db, session.id, NOW + ACTIVITY_WRITE_INTERVAL)
    assert found(db, token).last_seen_at == NOW + ACTIVITY_WRITE_INTERVAL
    assert not sessions.record_activity(db, session.id, NOW + ACTIVITY_WRITE_INTERVAL + dt.timedelta(seconds=30))


def test_a_new_sign_in_drops_the_accounts_sessions_past_the_absolute_limit(db, account):
    old = start(db, account.id, at=NOW - MAX)
    recent = start(db, account.id, at=NOW - dt.timedelta(hours=1))
    start(db, account.id)
    assert found(db, old) is None and found(db, recent) is not None


# --- revocation --------------------------------------------------------------------------------------


def test_sign_out_revokes_that_session_only(db, account):
    mine, other_tab = start(db, account.id), start(db, account.id)
    sessions.revoke_session(db, found(db, mine).id, NOW, "signed_out")
    assert (found(db, mine).revoked_at, found(db, mine).end_reason) == (NOW, "signed_out")
    assert found(db, other_tab).revoked_at is None


def test_a_revoked_session_keeps_its_first_reason_and_writes_no_activity(db, account):
    token = start(db, account.id)
    session = found(db, token)
    sessions.revoke_session(db, session.id, NOW, "signed_out")
    sessions.revoke_session(db, session.id, NOW + dt.timedelta(minutes=5), "expired_idle")
    assert not sessions.record_activity(db, session.id, NOW + dt.timedelta(hours=1))
    assert (found(db, token).revoked_at, found(db, token).end_reason) == (NOW, "signed_out")


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda db, a: accounts.set_active(db, a.id, False, now=NOW), "account_inactive"),
        (lambda db, a: accounts.set_password(db, a.id, "another good password", now=NOW), "password_changed"),
        (lambda db, a: accounts.set_role(db, a.id, "secretary", now=NOW, street_id=2), "role_changed"),
        (lambda db, a: accounts.set_role(db, a.id, "supervisor", now=NOW, district_id=1), "role_changed"),
    ],
    ids=["deactivated", "password", "street", "role"],
)
def test_an_account_change_revokes_all_its_sessions(db, account, change, reason):
    other = accounts.create_account(db, username="li", role="supervisor", now=NOW, password="correct horse battery")
    mine = [start(db, account.id) for _ in range(2)]
    theirs = start(db, other.id)
    change(db, account)
    assert [(found(db, t).revoked_at, found(db, t).end_reason) for t in mine] == [(NOW, reason)] * 2
    assert found(db, theirs).revoked_at is None


def test_saving_the_same_role_and_street_revokes_nothing(db, account):
    token = start(db, account.id)
    accounts.set_role(db, account.id, "secretary", now=NOW, street_id=1)
    assert found(db, token).revoked_at is None


def test_reactivating_does_not_revive_revoked_sessions(db, account):
    token = start(db, account.id)
    accounts.set_active(db, account.id, False, now=NOW)
    accounts.set_active(db, account.id, True, now=NOW)
    assert found(db, token).revoked_at == NOW


# --- the table on an existing database ----------------------------------------------------------------


def test_create_schema_adds_the_session_table_to_an_older_database(casebook):
    """A deployment's database from before this table: `cli.py init-db` (create_schema) adds it, and an
    account change on a database still without it works (nothing to revoke)."""
    with casebook.begin() as conn:
        T.drop(conn)
    try:
        with casebook.connect() as conn:
            trans = conn.begin()
            account = accounts.create_account(conn, username="wang", role="supervisor", now=NOW, password="correct horse battery")
            accounts.set_password(conn, account.id, "another good password", now=NOW)
            trans.rollback()
    finally:
        create_schema(casebook)
    assert inspect(casebook).has_table(T.name)
