"""Sign-in policy as pure functions of plain values: roles and what each may do, the lockout after failed
sign-ins, session expiry, password rules and how an identity provider's claims pick an account.

No database and no Streamlit here (like all of `domain/`): `data_access.accounts` stores what these functions
decide, `ui.auth` asks them. Numbers come from `domain.settings` (max_failed_sign_ins, lockout_minutes,
session_idle_minutes, session_max_hours, oidc_username_claim).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Literal, Mapping
from zoneinfo import ZoneInfo

from domain.settings import Settings

ROLE_ADMIN = "admin"
ROLE_SUPERVISOR = "supervisor"
ROLE_SECRETARY = "secretary"
ROLES = (ROLE_ADMIN, ROLE_SUPERVISOR, ROLE_SECRETARY)


@dataclass(frozen=True)
class Permissions:
    """What a role may do besides reading the aggregates of its scope."""

    view_dashboard: bool = False
    manage_accounts: bool = False
    # The 数据质量 page: import runs (file names, rejects paths) and field completeness per street.
    view_data_quality: bool = False
    # The caller's identity (name, phone, address, the complaint's text) of a ticket. No role has it: the
    # dashboard works on ticket numbers, the hotline system holds the callers (DOMAIN.md; PIPL's
    # minimum-necessary rule). Granting it is a code change, reviewed, not a setting.
    see_caller: bool = False


ROLE_PERMISSIONS: Mapping[str, Permissions] = MappingProxyType(
    {
        ROLE_ADMIN: Permissions(view_dashboard=True, manage_accounts=True, view_data_quality=True),
        ROLE_SUPERVISOR: Permissions(view_dashboard=True, view_data_quality=True),
        ROLE_SECRETARY: Permissions(view_dashboard=True),
    }
)


def permissions_for(role: str) -> Permissions:
    """The permissions of a role code; an unknown role may do nothing."""
    return ROLE_PERMISSIONS.get(role, Permissions())


@dataclass(frozen=True)
class Account:
    """An account as the app sees it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    district_id: int | None = None
    street_id: int | None = None
    email: str | None = None
    active: bool = True

    @property
    def permissions(self) -> Permissions:
        return permissions_for(self.role)


def binding_problem(role: str, district_id: int | None, street_id: int | None) -> str | None:
    """Why a role cannot be bound this way (an error code), or None.

    A secretary is bound to one street; a supervisor or an administrator to a district, or to none (the
    whole database), never to a street.
    """
    if role not in ROLES:
        return "unknown_role"
    if role == ROLE_SECRETARY and street_id is None:
        return "secretary_needs_street"
    if role != ROLE_SECRETARY and street_id is not None:
        return "street_only_for_secretary"
    return None


# --- failed sign-ins ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempts:
    """Failed sign-ins of one username (or one browser session) in the current window, and its lock."""

    failed: int = 0
    first_failed_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None


def is_locked(attempts: Attempts, now: dt.datetime) -> bool:
    return attempts.locked_until is not None and now < attempts.locked_until


def after_failure(attempts: Attempts, now: dt.datetime, settings: Settings) -> Attempts:
    """The attempts after one more failure at `now`.

    Failures count within a window of `lockout_minutes` from the first one; the `max_failed_sign_ins`-th
    failure in the window locks for `lockout_minutes` from now. A failure after the window (or after a lock
    ran out) starts a new window.
    """
    window = dt.timedelta(minutes=settings.lockout_minutes)
    window_over = attempts.first_failed_at is None or now - attempts.first_failed_at >= window
    lock_over = attempts.locked_until is not None and now >= attempts.locked_until
    if window_over or lock_over:
        failed, first = 1, now
    else:
        failed, first = attempts.failed + 1, attempts.first_failed_at
    locked_until = now + window if failed >= settings.max_failed_sign_ins else None
    return Attempts(failed=failed, first_failed_at=first, locked_until=locked_until)


# --- sessions ----------------------------------------------------------------------------------------

Expiry = Literal["idle", "absolute"]


def session_expiry(
    signed_in_at: dt.datetime, last_seen_at: dt.datetime, now: dt.datetime, settings: Settings
) -> Expiry | None:
    """Why a session has ended at `now` ("absolute": too long since signing in; "idle": too long since the
    last page run), or None while it is valid."""
    if now - signed_in_at >= dt.timedelta(hours=settings.session_max_hours):
        return "absolute"
    if now - last_seen_at >= dt.timedelta(minutes=settings.session_idle_minutes):
        return "idle"
    return None


# A session's last page run is written to the database at most this often, so that clicking through the
# dashboard does not write on every click; the idle limit is therefore exact to within this interval.
ACTIVITY_WRITE_INTERVAL = dt.timedelta(minutes=1)

# Why a stored session ended (auth_session.end_reason); each is also the sign-in page's notice.
END_SIGNED_OUT = "signed_out"
END_ACCOUNT_INACTIVE = "account_inactive"
END_PASSWORD_CHANGED = "password_changed"
END_ROLE_CHANGED = "role_changed"


def activity_due(last_seen_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a page run at `now` should be written as the session's last activity."""
    return now - last_seen_at >= ACTIVITY_WRITE_INTERVAL


def seconds_left(signed_in_at: dt.datetime, now: dt.datetime, settings: Settings) -> int:
    """Seconds until a session signed in at `signed_in_at` reaches its absolute limit (0 once past it): the
    cookie's lifetime, so the browser forgets the token when the server would refuse it anyway."""
    left = signed_in_at + dt.timedelta(hours=settings.session_max_hours) - now
    return max(0, int(left.total_seconds()))


# --- passwords ---------------------------------------------------------------------------------------

# NIST SP 800-63B: user-chosen secrets of at least 8 characters, no composition rules.
MIN_PASSWORD_LENGTH = 8
# bcrypt reads only the first 72 bytes; a longer password would be silently cut, so it is refused.
BCRYPT_MAX_BYTES = 72


def password_problem(password: str) -> str | None:
    """Why a new password is refused (an error code), or None."""
    if not password.strip():
        return "password_blank"
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_too_short"
    if len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
        return "password_too_long"
    return None


# --- identity provider (OpenID Connect) --------------------------------------------------------------


def identity_value(claims: Mapping[str, object], claim: str) -> str | None:
    """The value of `claim` to match an account with, lower-cased; None if missing or not trustworthy.

    An email that the provider says is not verified (`email_verified` false) does not identify anyone.
    """
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        return None
    if claim == "email" and claims.get("email_verified") is False:
        return None
    return value.strip().lower()


def match_identity(claims: Mapping[str, object], claim: str, accounts: Iterable[Account]) -> Account | None:
    """The one active account whose username or email equals the claim (case-insensitive), else None.

    Two matching accounts are a configuration error: nobody is signed in rather than the wrong one.
    """
    value = identity_value(claims, claim)
    if value is None:
        return None
    hits = [
        a for a in accounts
        if a.active and (a.username.strip().lower() == value or (a.email or "").strip().lower() == value)
    ]
    return hits[0] if len(hits) == 1 else None


def identity_signed_in_at(claims: Mapping[str, object], timezone: str) -> dt.datetime | None:
    """When the identity provider authenticated the user (`auth_time`, else the token's `iat`), as naive
    local time of `timezone`; None without either. A session's absolute limit counts from it, so opening
    a new tab with the provider's cookie does not start the clock again."""
    for claim in ("auth_time", "iat"):
        value = claims.get(claim)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
    return None
