"""Sign-in sessions that survive a reload and a new tab: a random token in the browser's cookie, its SHA-256 in
the `auth_session` table (data_access/schema.py), revocable.

The token is `secrets.token_urlsafe(32)` (256 random bits); only `token_hash(token)` is stored, so whoever
reads the table cannot sign in with it. A session is valid while it is not revoked and neither limit of
`auth_policy.session_expiry` has passed. Sign-out revokes one session; deactivating an account, changing
its password or its role/binding revokes all of its sessions (`data_access.accounts` calls
`revoke_account_sessions`). The last activity is written at most once a minute (`auth_policy.activity_due`).

Functions take a connection and leave the transaction to the caller (`with engine.begin() as conn`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import Connection, delete, inspect, select, update

from data_access.schema import AuthSession as AuthSessionModel
from domain.auth_policy import ACTIVITY_WRITE_INTERVAL, Expiry, session_expiry
from domain.settings import Settings

T = AuthSessionModel.__table__

# 32 random bytes, URL-safe base64 (43 characters): guessing one is out of reach, and it needs no quoting
# in a cookie.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The SHA-256 of a token, hex: what the table keeps. A plain hash suffices (no salt, no slow hash): the
    token is random, not a password someone chose."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    """A row of auth_session (never the token)."""

    id: int
    account_id: int
    method: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None
    end_reason: str | None

    def expiry(self, now: dt.datetime, settings: Settings) -> Expiry | None:
        return session_expiry(self.created_at, self.last_seen_at, now, settings)


def _stored(row: Mapping) -> StoredSession:
    return StoredSession(
        id=int(row["id"]), account_id=int(row["account_id"]), method=row["method"], created_at=row["created_at"],
        last_seen_at=row["last_seen_at"], revoked_at=row["revoked_at"], end_reason=row["end_reason"],
    )


def session_table_exists(conn: Connection) -> bool:
    return inspect(conn).has_table(T.name)


def start_session(
    conn: Connection, account_id: int, *, method: str, signed_in_at: dt.datetime, now: dt.datetime, settings: Settings
) -> str:
    """A new session for the account; returns its token (for the cookie — it is not stored). Also drops the
    account's sessions that are past the absolute limit, so the table holds no more than a day's sign-ins."""
    conn.execute(
        delete(T).where(T.c.account_id == account_id, T.c.created_at <= now - dt.timedelta(hours=settings.session_max_hours))
    )
    token = new_token()
    conn.execute(
        T.insert().values(
            account_id=account_id, token_hash=token_hash(token), method=method, created_at=signed_in_at, last_seen_at=now,
        )
    )
    return token


def find_session(conn: Connection, hashed: str) -> StoredSession | None:
    """The session whose token hashes to `hashed`, revoked or not; None for a token never issued (or pruned)."""
    row = conn.execute(select(T).where(T.c.token_hash == hashed)).mappings().first()
    return _stored(row) if row else None


def record_activity(conn: Connection, session_id: int, now: dt.datetime) -> bool:
    """Write `now` as the session's last activity unless it was written less than a minute ago (checked in
    the statement itself, so two tabs of one session do not both write); True if it wrote."""
    result = conn.execute(
        update(T)
        .where(T.c.id == session_id, T.c.revoked_at.is_(None), T.c.last_seen_at <= now - ACTIVITY_WRITE_INTERVAL)
        .values(last_seen_at=now)
    )
    return result.rowcount == 1


def revoke_session(conn: Connection, session_id: int, now: dt.datetime, reason: str) -> None:
    """End one session (sign-out, or found expired); a session already ended keeps its first reason."""
    conn.execute(update(T).where(T.c.id == session_id, T.c.revoked_at.is_(None)).values(revoked_at=now, end_reason=reason))


def revoke_account_sessions(conn: Connection, account_id: int, now: dt.datetime, reason: str) -> int:
    """End every open session of an account (deactivated, password or role changed); how many ended. Does
    nothing on a database whose auth_session table is not there yet (created by `cli.py init-db` or the app)."""
    if not session_table_exists(conn):
        return 0
    result = conn.execute(
        update(T).where(T.c.account_id == account_id, T.c.revoked_at.is_(None)).values(revoked_at=now, end_reason=reason)
    )
    return int(result.rowcount)
