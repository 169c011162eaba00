"""Accounts of the internal dashboard: bcrypt password hashes, sign-in with lockout, the viewer's scope from
their role, the identity-provider match, the administrator's changes and the demo accounts of a sample.

Accounts live in the `account` table of the case database (data_access/schema.py), so every deployment has
them, a lock holds across restarts and app processes, and the administrator's page can manage them; the
first administrator is created with `python cli.py add-user`. The policy (how many failures, how long a
session lasts, who may do what) is in `domain.auth_policy`; this module stores what it decides.
Plain passwords are never stored or logged: only `hash_password`'s bcrypt hash is written.

Functions take a connection and leave the transaction to the caller (`with engine.begin() as conn`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Literal, Mapping

import bcrypt
import pandas as pd
from sqlalchemy import Connection, func, inspect, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from data_access.schema import Account as AccountModel
from data_access.schema import District, Street
from data_access.scope import Scope
from data_access.sessions import revoke_account_sessions
from domain.auth_policy import (
    BCRYPT_MAX_BYTES,
    END_ACCOUNT_INACTIVE,
    END_PASSWORD_CHANGED,
    END_ROLE_CHANGED,
    ROLE_ADMIN,
    ROLE_SECRETARY,
    ROLE_SUPERVISOR,
    Account,
    Attempts,
    after_failure,
    binding_problem,
    is_locked,
    match_identity,
    password_problem,
)
from domain.settings import Settings

A = AccountModel.__table__
S = Street.__table__
D = District.__table__

# bcrypt's work factor: 2^12 rounds, ~0.2 s per check on a small server (slow on purpose). Tests lower it.
BCRYPT_ROUNDS = 12
MAX_USERNAME_LENGTH = 100


class AccountError(ValueError):
    """A change the administrator or operator can correct; `code` names the message (locales: accounts.error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- passwords ---------------------------------------------------------------------------------------


def hash_password(password: str, rounds: int | None = None) -> str:
    """The bcrypt hash of a new password (refused with AccountError if the policy refuses it)."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, _PASSWORD_MESSAGES[problem])
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds or BCRYPT_ROUNDS)).decode("ascii")


_PASSWORD_MESSAGES = {
    "password_blank": "the password is blank",
    "password_too_short": "the password is shorter than 8 characters",
    "password_too_long": f"the password is longer than {BCRYPT_MAX_BYTES} bytes (bcrypt would cut it)",
}


def verify_password(password: str, hashed: str | None) -> bool:
    """Whether `password` matches a stored bcrypt hash (False for no hash, a malformed one, or a password
    longer than bcrypt reads). Every case runs exactly one full bcrypt check — against a throwaway hash
    when there is nothing to check against — so the time taken does not tell an account without a password
    (single sign-on only), a malformed hash or an over-long password from a wrong password."""
    encoded = password.encode("utf-8")
    usable = bool(hashed) and len(encoded) <= BCRYPT_MAX_BYTES
    try:
        target = (hashed if usable else _dummy_hash()).encode("ascii")  # type: ignore[union-attr]
        matches = bcrypt.checkpw(encoded[:BCRYPT_MAX_BYTES], target)
    except ValueError:  # a stored hash bcrypt cannot read: check the throwaway one instead
        bcrypt.checkpw(encoded[:BCRYPT_MAX_BYTES], _dummy_hash().encode("ascii"))
        return False
    return matches and usable


@cache
def _throwaway_hash(rounds: int) -> str:
    return bcrypt.hashpw(secrets.token_bytes(16).hex().encode(), bcrypt.gensalt(rounds)).decode("ascii")


def _dummy_hash() -> str:
    """A hash of a random password at the current work factor, to check against when there is no real one."""
    return _throwaway_hash(BCRYPT_ROUNDS)


# --- reading -----------------------------------------------------------------------------------------


def _account(row: Mapping) -> Account:
    return Account(
        id=int(row["id"]), username=row["username"], display_name=row["display_name"], role=row["role"],
        district_id=None if row["district_id"] is None else int(row["district_id"]),
        street_id=None if row["street_id"] is None else int(row["street_id"]),
        email=row["email"], active=bool(row["active"]),
    )


_PUBLIC_COLUMNS = (A.c.id, A.c.username, A.c.display_name, A.c.email, A.c.role, A.c.district_id, A.c.street_id, A.c.active)


def account_table_exists(conn: Connection) -> bool:
    return inspect(conn).has_table(A.name)


def count_accounts(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(A)).scalar_one())


def get_account(conn: Connection, account_id: int) -> Account | None:
    row = conn.execute(select(*_PUBLIC_COLUMNS).where(A.c.id == account_id)).mappings().first()
    return _account(row) if row else None


def normal_username(username: str) -> str:
    """Usernames are compared trimmed and lower-cased (MySQL's default collation ignores case; the others
    would not: one rule on every backend)."""
    return username.strip().lower()


def find_account(conn: Connection, username: str) -> Account | None:
    row = conn.execute(select(*_PUBLIC_COLUMNS).where(A.c.username == normal_username(username))).mappings().first()
    return _account(row) if row else None


def list_accounts(conn: Connection) -> pd.DataFrame:
    """Every account with its street and district names and sign-in state, by username (no hashes)."""
    stmt = (
        select(
            A.c.id, A.c.username, A.c.display_name, A.c.email, A.c.role, A.c.district_id,
            D.c.name.label("district"), A.c.street_id, S.c.name.label("street"), A.c.active,
            (A.c.password_hash.is_not(None)).label("has_password"), A.c.created_at, A.c.last_sign_in_at,
            A.c.failed_attempts, A.c.locked_until,
        )
        .outerjoin(S, S.c.id == A.c.street_id)
        .outerjoin(D, D.c.id == A.c.district_id)
        .order_by(A.c.username)
    )
    result = conn.execute(stmt)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for col in ("active", "has_password"):
        frame[col] = frame[col].astype(bool)
    return frame


# --- scope -------------------------------------------------------------------------------------------


def scope_for(account: Account, district_street_ids: frozenset[int] | None = None) -> Scope:
    """What an account may see: a secretary their street (with its communities and grid cells); a
    supervisor or an administrator every street of their district (`district_street_ids`), or every street
    when bound to no district. An inactive account, an unknown role or a secretary without a street sees
    nothing (fail closed)."""
    if not account.active or not account.permissions.view_dashboard:
        return Scope.streets(())
    if account.role == ROLE_SECRETARY:
        return Scope.streets(() if account.street_id is None else (account.street_id,))
    if account.district_id is None:
        return Scope.district()
    return Scope.streets(district_street_ids or ())


def viewer_scope(conn: Connection, account: Account) -> Scope:
    """`scope_for` with the streets of the account's district read from the database."""
    streets = None
    if account.role != ROLE_SECRETARY and account.district_id is not None:
        streets = frozenset(int(i) for i in conn.execute(select(S.c.id).where(S.c.district_id == account.district_id)).scalars())
    return scope_for(account, streets)


# --- signing in --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInResult:
    """ok: signed in as `account`; invalid: wrong username or password (or inactive — not told apart);
    locked: too many failures, wait until `locked_until`; unknown: no such username (shown as invalid, and
    counted by the caller so that an unknown name locks exactly like a known one)."""

    status: Literal["ok", "invalid", "locked", "unknown"]
    account: Account | None = None
    locked_until: dt.datetime | None = None


def authenticate(conn: Connection, username: str, password: str, *, now: dt.datetime, settings: Settings) -> SignInResult:
    """Check a username and password at `now`, recording the failure or the sign-in on the account.

    Every path runs one bcrypt check, so the answer takes as long whether the username exists or not.
    """
    row = conn.execute(select(A).where(A.c.username == normal_username(username)).with_for_update()).mappings().first()
    if row is None:
        verify_password(password, _dummy_hash())
        return SignInResult("unknown")
    attempts = Attempts(row["failed_attempts"] or 0, row["first_failed_at"], row["locked_until"])
    if is_locked(attempts, now):
        verify_password(password, _dummy_hash())
        return SignInResult("locked", locked_until=attempts.locked_until)
    matches = verify_password(password, row["password_hash"])
    if matches and row["active"]:
        conn.execute(
            update(A).where(A.c.id == row["id"]).values(failed_attempts=0, first_failed_at=None, locked_until=None, last_sign_in_at=now)
        )
        return SignInResult("ok", account=_account(row))
    after = after_failure(attempts, now, settings)
    conn.execute(
        update(A).where(A.c.id == row["id"]).values(
            failed_attempts=after.failed, first_failed_at=after.first_failed_at, locked_until=after.locked_until
        )
    )
    if is_locked(after, now):
        return SignInResult("locked", locked_until=after.locked_until)
    return SignInResult("invalid")


def account_for_identity(conn: Connection, claims: Mapping[str, object], claim: str) -> Account | None:
    """The active account an identity provider's signed-in user maps to (see auth_policy.match_identity)."""
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        return None
    wanted = value.strip().lower()
    rows = conn.execute(
        select(*_PUBLIC_COLUMNS).where(or_(func.lower(A.c.username) == wanted, func.lower(A.c.email) == wanted))
    ).mappings()
    return match_identity(claims, claim, [_account(r) for r in rows])


def record_sign_in(conn: Connection, account_id: int, now: dt.datetime) -> None:
    """Note a sign-in that did not go through `authenticate` (the identity provider's)."""
    conn.execute(update(A).where(A.c.id == account_id).values(last_sign_in_at=now))


# --- changes (the administrator's page and `cli.py add-user`) -----------------------------------------


def _check_binding(conn: Connection, role: str, district_id: int | None, street_id: int | None) -> None:
    problem = binding_problem(role, district_id, street_id)
    if problem:
        raise AccountError(problem, {
            "unknown_role": f"unknown role {role!r} (admin, supervisor, secretary)",
            "secretary_needs_street": "a secretary needs a street",
            "street_only_for_secretary": "only a secretary is bound to a street",
        }[problem])
    if street_id is not None and conn.execute(select(S.c.id).where(S.c.id == street_id)).first() is None:
        raise AccountError("unknown_street", f"no street with id {street_id}")
    if district_id is not None and conn.execute(select(D.c.id).where(D.c.id == district_id)).first() is None:
        raise AccountError("unknown_district", f"no district with id {district_id}")


def create_account(
    conn: Connection,
    *,
    username: str,
    role: str,
    now: dt.datetime,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    district_id: int | None = None,
    street_id: int | None = None,
) -> Account:
    """Add an account. Without a password it can sign in only through the identity provider."""
    username = normal_username(username)
    if not username or len(username) > MAX_USERNAME_LENGTH or any(ch.isspace() for ch in username):
        raise AccountError("bad_username", f"a username is 1–{MAX_USERNAME_LENGTH} characters without spaces")
    _check_binding(conn, role, district_id, street_id)
    if find_account(conn, username) is not None:
        raise AccountError("duplicate_username", f"username {username!r} is taken")
    hashed = hash_password(password) if password is not None else None
    try:
        new_id = conn.execute(
            A.insert().values(
                username=username, display_name=(display_name or username).strip(), email=(email or None),
                role=role, district_id=district_id, street_id=street_id, password_hash=hashed, active=True,
                created_at=now, failed_attempts=0,
            )
        ).inserted_primary_key[0]
    except IntegrityError:  # another writer took the name between the check and the insert
        raise AccountError("duplicate_username", f"username {username!r} is taken") from None
    account = get_account(conn, int(new_id))
    assert account is not None
    return account


def _active_admins(conn: Connection) -> set[int]:
    return {int(i) for i in conn.execute(select(A.c.id).where(A.c.role == ROLE_ADMIN, A.c.active == true())).scalars()}


def _keep_an_admin(conn: Connection, account_id: int) -> None:
    if _active_admins(conn) == {account_id}:
        raise AccountError("last_admin", "this is the last active administrator")


def set_active(conn: Connection, account_id: int, active: bool, *, now: dt.datetime) -> None:
    """Deactivate (or reactivate) an account; the last active administrator cannot be deactivated.
    Deactivating ends every session of the account (its cookies sign nobody in any more)."""
    if not active:
        _keep_an_admin(conn, account_id)
        revoke_account_sessions(conn, account_id, now, END_ACCOUNT_INACTIVE)
    conn.execute(update(A).where(A.c.id == account_id).values(active=active))


def set_password(conn: Connection, account_id: int, password: str, *, now: dt.datetime) -> None:
    """Replace an account's password; clears its failed attempts and lock, and ends every session of the
    account (whoever knew the old password is signed out everywhere)."""
    hashed = hash_password(password)
    conn.execute(
        update(A).where(A.c.id == account_id).values(password_hash=hashed, failed_attempts=0, first_failed_at=None, locked_until=None)
    )
    revoke_account_sessions(conn, account_id, now, END_PASSWORD_CHANGED)


def set_role(
    conn: Connection, account_id: int, role: str, *, now: dt.datetime, district_id: int | None = None, street_id: int | None = None
) -> None:
    """Change an account's role and what it is bound to; the last active administrator keeps the role. A
    real change ends every session of the account: it signs in again under the new role."""
    _check_binding(conn, role, district_id, street_id)
    if role != ROLE_ADMIN:
        _keep_an_admin(conn, account_id)
    before = conn.execute(select(A.c.role, A.c.district_id, A.c.street_id).where(A.c.id == account_id)).first()
    conn.execute(update(A).where(A.c.id == account_id).values(role=role, district_id=district_id, street_id=street_id))
    if before is not None and tuple(before) != (role, district_id, street_id):
        revoke_account_sessions(conn, account_id, now, END_ROLE_CHANGED)


def resolve_street(conn: Connection, name_or_code: str) -> int | None:
    """The id of a street by name or code, or None."""
    row = conn.execute(select(S.c.id).where(or_(S.c.name == name_or_code, S.c.code == name_or_code))).first()
    return int(row[0]) if row else None


def only_district(conn: Connection) -> int | None:
    """The district id when the database holds exactly one district, else None (bind to all)."""
    ids = list(conn.execute(select(D.c.id).limit(2)).scalars())
    return int(ids[0]) if len(ids) == 1 else None


# --- demo accounts of a sample database ----------------------------------------------------------------

# The password of the demo accounts that the app creates in its embedded sample database (sample_data/
# demo.db), documented in the README so the demo can be opened. Demo only: those accounts exist only in a
# sample database, and `cli.py sample` gives each a random password instead and prints it once.
DEMO_PASSWORD = "demo-12345"

# (username, display name, role, street name for a secretary)
DEMO_ACCOUNTS = (
    ("admin", "系统管理员", ROLE_ADMIN, None),
    ("supervisor", "区级调度员", ROLE_SUPERVISOR, None),
    ("donghu", "东湖街道书记", ROLE_SECRETARY, "东湖街道"),
    ("nanhe", "南河街道书记", ROLE_SECRETARY, "南河街道"),
)


def seed_demo_accounts(conn: Connection, *, now: dt.datetime, password: str | None = None) -> dict[str, str]:
    """Create the demo accounts in a sample database that has no account yet (a secretary only if their
    street exists); returns username → password. Without `password`, each gets a random one.

    Does nothing (returns {}) once any account exists, so a deployment's own accounts are never touched.
    """
    A.create(conn, checkfirst=True)
    if count_accounts(conn):
        return {}
    district = only_district(conn)
    created: dict[str, str] = {}
    for username, display_name, role, street in DEMO_ACCOUNTS:
        street_id = resolve_street(conn, street) if street else None
        if street and street_id is None:
            continue
        chosen = password or secrets.token_urlsafe(9)
        create_account(
            conn, username=username, role=role, now=now, password=chosen, display_name=display_name,
            district_id=None if role == ROLE_SECRETARY else district, street_id=street_id,
        )
        created[username] = chosen
    return created
