"""Who the viewer is: the sign-in form (username and password, or the deployment's OpenID Connect provider
through `st.login`), the session's expiry, sign-out, and the `Viewer` the router builds the pages for.

The session holds only who signed in and when. Every run re-reads the account from the database and
derives the scope from it (`accounts.viewer_scope`), so a deactivated account or a changed role takes effect
at the next click, and nothing a browser sends — URL, widget values — can widen the scope.

Failed sign-ins are limited three ways, all with `auth_policy.after_failure`: per account (stored, so the
lock holds across restarts), per username that has no account (kept in this process, so the lock message
looks the same and does not tell whether a username exists), and per browser session.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import streamlit as st
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from streamlit.errors import StreamlitAuthError

from data_access import accounts, sessions
from data_access.engine import is_demo_url, is_lock_wait
from data_access.scope import Scope
from domain.auth_policy import (
    END_ACCOUNT_INACTIVE,
    END_SIGNED_OUT,
    Account,
    Attempts,
    Permissions,
    activity_due,
    after_failure,
    identity_signed_in_at,
    is_locked,
    seconds_left,
)
from domain.clock import local_now
from domain.settings import Settings
from ui import keys, session_cookie
from ui.data import engine_for
from ui.i18n import LANGUAGES, literal, t

logger = logging.getLogger(__name__)

# Test-only seam: with DASHBOARD_TEST_MODE=1 in the environment, an Account in session state under
# keys.TEST_ACCOUNT is signed in without the form (AppTest). Never set it on a deployment.
TEST_MODE_ENV = "DASHBOARD_TEST_MODE"
# Session keys that survive signing out: the language, and the clock pin of tests and demonstrations.
_KEPT_ON_SIGN_OUT = (keys.LANGUAGE, keys.NOW_OVERRIDE)


@dataclass(frozen=True)
class Viewer:
    """The signed-in account, what it may see and what it may do."""

    account: Account
    scope: Scope

    @property
    def permissions(self) -> Permissions:
        return self.account.permissions


def current_viewer() -> Viewer:
    """The viewer of this run (set by the router before any page runs)."""
    return st.session_state[keys.VIEWER]


def auth_now(settings: Settings) -> dt.datetime:
    """The real local time for locks and session ages; never the pinned clock of demonstrations and tests
    (DASHBOARD_NOW), which would stop sessions from ever expiring."""
    return local_now(settings.timezone)


def oidc_configured() -> bool:
    """Whether the deployment configured an identity provider (`[auth]` in .streamlit/secrets.toml)."""
    try:
        return bool(st.secrets.get("auth"))
    except FileNotFoundError:  # no secrets file at all
        return False


# --- the viewer of this run ---------------------------------------------------------------------------


def last_known_role() -> str | None:
    """The role of this session's account as last confirmed against the database (or the test seam's), for
    decisions that must be taken while the database cannot be asked — who may read the details of an
    outage. Never a basis for showing data."""
    test_account = _test_account()
    if test_account is not None:
        return test_account.role
    return st.session_state.get(keys.AUTH_ROLE) if st.session_state.get(keys.AUTH_ACCOUNT_ID) is not None else None


def signed_in_viewer(url: str, settings: Settings) -> Viewer | None:
    """The signed-in viewer, or None (then the router shows `render_sign_in`).

    The session is this tab's (a sign-in here), else the one whose token the browser sent in its cookie (a
    reload, a new tab), else a new one from the identity provider. It is checked in the database on every
    run — not revoked, within both limits, account active — and an invalid one is ended here."""
    test_account = _test_account()
    if test_account is not None:
        with engine_for(url).connect() as conn:
            return _remember(test_account, accounts.viewer_scope(conn, test_account))
    now = auth_now(settings)
    hashed = st.session_state.get(keys.AUTH_TOKEN_HASH)
    from_cookie = False
    if hashed is None:
        token = session_cookie.browser_token()
        if token is not None and sessions.token_hash(token) != st.session_state.get(keys.AUTH_STALE_TOKEN):
            hashed, from_cookie = sessions.token_hash(token), True
    if hashed is None and oidc_configured() and st.user.get("is_logged_in"):
        hashed = _sign_in_with_identity(url, settings, now)
    if hashed is None:
        return None
    with engine_for(url).connect() as conn:
        stored = sessions.find_session(conn, hashed)
        account = accounts.get_account(conn, stored.account_id) if stored is not None else None
        scope = accounts.viewer_scope(conn, account) if account is not None and account.active else None
    ended = _why_ended(stored, account, scope, now, settings)
    if ended is not None:
        if stored is not None and stored.revoked_at is None:
            _write_quietly(url, lambda conn: sessions.revoke_session(conn, stored.id, now, ended))
        if from_cookie:
            # A cookie from an earlier sign-in that no longer counts: forget it, and say why unless the user
            # signed out themselves or the token is unknown.
            st.session_state[keys.AUTH_STALE_TOKEN] = hashed
            session_cookie.request_expire()
            if ended not in (END_SIGNED_OUT, _UNKNOWN):
                st.session_state[keys.AUTH_NOTICE] = ended
            if stored is not None and stored.method == "oidc" and oidc_configured() and st.user.get("is_logged_in"):
                st.logout()  # or the provider's cookie would sign straight back in, past the idle limit
        else:
            end_session("session_ended" if ended == _UNKNOWN else ended)
        return None
    assert stored is not None and account is not None and scope is not None
    if from_cookie:
        _start_session(account, stored.method, hashed)
    if activity_due(stored.last_seen_at, now):
        _write_quietly(url, lambda conn: sessions.record_activity(conn, stored.id, now))
    st.session_state[keys.AUTH_ROLE] = account.role
    return _remember(account, scope)


_UNKNOWN = "unknown"  # a token that was never issued (or was pruned): no notice


def _why_ended(
    stored: sessions.StoredSession | None, account: Account | None, scope: Scope | None, now: dt.datetime, settings: Settings
) -> str | None:
    """Why a session does not sign anyone in at `now` (a notice code), or None while it is valid."""
    if stored is None:
        return _UNKNOWN
    if stored.revoked_at is not None:
        return stored.end_reason or END_SIGNED_OUT
    if account is None or scope is None:
        return END_ACCOUNT_INACTIVE
    expired = stored.expiry(now, settings)
    return f"expired_{expired}" if expired else None


def _write_quietly(url: str, write: Callable[[Connection], object]) -> None:
    """A bookkeeping write (last activity, revoking an ended session) that must not hold up the page: when
    another writer holds the database past the busy timeout (a long import on SQLite), it is skipped and
    logged — the next run writes it."""
    try:
        with engine_for(url).begin() as conn:
            write(conn)
    except OperationalError as exc:
        if not is_lock_wait(exc):
            raise
        logger.warning("session bookkeeping skipped, database locked: %s", exc.orig)


def _test_account() -> Account | None:
    """The test seam: an Account, or a role code meaning a test account of that role bound to no district
    or street (a secretary without a street sees nothing). Ignored unless DASHBOARD_TEST_MODE=1."""
    if os.environ.get(TEST_MODE_ENV) != "1":
        return None
    chosen = st.session_state.get(keys.TEST_ACCOUNT)
    if isinstance(chosen, str):
        return Account(id=0, username=f"test-{chosen}", display_name=f"test {chosen}", role=chosen)
    return chosen if isinstance(chosen, Account) else None


def _remember(account: Account, scope: Scope) -> Viewer:
    viewer = Viewer(account, scope)
    st.session_state[keys.VIEWER] = viewer
    return viewer


def _start_session(account: Account, method: str, hashed: str) -> None:
    st.session_state[keys.AUTH_ACCOUNT_ID] = account.id
    st.session_state[keys.AUTH_ROLE] = account.role
    st.session_state[keys.AUTH_METHOD] = method
    st.session_state[keys.AUTH_TOKEN_HASH] = hashed
    st.session_state.pop(keys.AUTH_SESSION_ATTEMPTS, None)
    st.session_state.pop(keys.AUTH_NOTICE, None)


def _adopt(account: Account, method: str, token: str, signed_in_at: dt.datetime, now: dt.datetime, settings: Settings) -> None:
    """This tab is signed in with a new stored session (committed): remember its hash, ask for its cookie."""
    session_cookie.request_set(token, seconds_left(signed_in_at, now, settings))
    _start_session(account, method, sessions.token_hash(token))


def sign_out(url: str, settings: Settings) -> None:
    """End this tab's session in the database (so its cookie signs nobody in, in any tab), then here."""
    hashed = st.session_state.get(keys.AUTH_TOKEN_HASH)
    if hashed is not None:
        now = auth_now(settings)

        def revoke(conn: Connection) -> None:
            stored = sessions.find_session(conn, hashed)
            if stored is not None:
                sessions.revoke_session(conn, stored.id, now, END_SIGNED_OUT)

        _write_quietly(url, revoke)
    end_session(END_SIGNED_OUT)


def end_session(notice: str) -> None:
    """Forget who signed in and everything they chose (filters, page state); keep the language. The
    browser is asked to drop the session cookie. A session that came from the identity provider also drops
    the provider's cookie, or it would sign straight back in."""
    method = st.session_state.get(keys.AUTH_METHOD)
    had_cookie = session_cookie.cookie_in_play()
    sent = session_cookie.browser_token()
    for key in list(st.session_state.keys()):
        if key not in _KEPT_ON_SIGN_OUT:
            del st.session_state[key]
    st.session_state[keys.AUTH_NOTICE] = notice
    if sent is not None:
        st.session_state[keys.AUTH_STALE_TOKEN] = sessions.token_hash(sent)  # the tab's cookie, as sent, is spent
    if had_cookie:
        session_cookie.request_expire()
    if method == "oidc":
        st.logout()


def _sign_in_with_identity(url: str, settings: Settings, now: dt.datetime) -> str | None:
    claims = dict(st.user)
    signed_in_at = identity_signed_in_at(claims, settings.timezone) or now
    with engine_for(url).begin() as conn:
        account = accounts.account_for_identity(conn, claims, settings.oidc_username_claim)
        if account is not None:
            accounts.record_sign_in(conn, account.id, now)
            token = sessions.start_session(conn, account.id, method="oidc", signed_in_at=signed_in_at, now=now, settings=settings)
    if account is None:
        st.session_state[keys.AUTH_NOTICE] = "no_account_for_identity"
        return None
    _adopt(account, "oidc", token, signed_in_at, now, settings)
    return sessions.token_hash(token)


# --- failed sign-ins of usernames without an account ---------------------------------------------------


class _UnknownNames:
    """Failed attempts per username that has no account, in this process (bounded, oldest dropped)."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: OrderedDict[str, Attempts] = OrderedDict()

    def fail(self, name: str, now: dt.datetime, settings: Settings) -> Attempts:
        with self._lock:
            attempts = self._by_name.pop(name, Attempts())
            if not is_locked(attempts, now):
                attempts = after_failure(attempts, now, settings)
            self._by_name[name] = attempts
            while len(self._by_name) > self.LIMIT:
                self._by_name.popitem(last=False)
            return attempts


@st.cache_resource(show_spinner=False)
def _unknown_names() -> _UnknownNames:
    return _UnknownNames()


def try_password(url: str, settings: Settings, username: str, password: str) -> str:
    """Sign in with a username and password: "ok", "invalid", "locked", "empty" or "busy" (the database was
    write-locked by another writer for longer than the busy timeout)."""
    if not username.strip() or not password:
        return "empty"
    now = auth_now(settings)
    session = st.session_state.get(keys.AUTH_SESSION_ATTEMPTS) or Attempts()
    if is_locked(session, now):
        return "locked"
    try:
        with engine_for(url).begin() as conn:
            result = accounts.authenticate(conn, username, password, now=now, settings=settings)
            if result.status == "ok" and result.account is not None:
                token = sessions.start_session(conn, result.account.id, method="password", signed_in_at=now, now=now, settings=settings)
    except OperationalError as exc:
        if not is_lock_wait(exc):
            raise
        # Another writer (a long import on SQLite) held the database past the busy timeout: nothing was
        # recorded, so the attempt neither counts nor signs in; the user is told to try again shortly.
        logger.warning("sign-in waited for a locked database: %s", exc.orig)
        return "busy"
    if result.status == "ok" and result.account is not None:
        _adopt(result.account, "password", token, now, now, settings)
        return "ok"
    status = result.status
    if status == "unknown":
        status = "locked" if is_locked(_unknown_names().fail(accounts.normal_username(username), now, settings), now) else "invalid"
    session = after_failure(session, now, settings)
    st.session_state[keys.AUTH_SESSION_ATTEMPTS] = session
    return "locked" if is_locked(session, now) else status


# --- rendering ---------------------------------------------------------------------------------------


def language_from_url() -> None:
    """The URL's ?lang= into the session (the sign-in page has no language control)."""
    lang = st.query_params.get("lang")
    if lang in LANGUAGES:
        st.session_state[keys.LANGUAGE] = lang


def _setup_problem(url: str) -> str | None:
    with engine_for(url).connect() as conn:
        if not accounts.account_table_exists(conn) or accounts.count_accounts(conn) == 0:
            return t("auth.no_accounts")
    return None


def render_sign_in(url: str, settings: Settings) -> None:
    """The sign-in page; signs in and reruns on success."""
    language_from_url()
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(t("auth.title"))
        st.caption(t("auth.subtitle"))
        # Kept until the form is used, not popped: the cookie component's report reruns the page at once.
        notice = st.session_state.get(keys.AUTH_NOTICE)
        if notice:
            st.info(t(f"auth.notice.{notice}"), icon=":material/info:")
        problem = _setup_problem(url)
        if problem:
            st.warning(problem, icon=":material/warning:")
        with st.form(keys.SIGNIN_FORM, clear_on_submit=True):
            username = st.text_input(t("auth.username"), key=keys.SIGNIN_USERNAME, autocomplete="username")
            password = st.text_input(t("auth.password"), type="password", key=keys.SIGNIN_PASSWORD, autocomplete="current-password")
            submitted = st.form_submit_button(t("auth.submit"), type="primary", width="stretch")
        if submitted:
            st.session_state.pop(keys.AUTH_NOTICE, None)
            outcome = try_password(url, settings, username, password)
            if outcome == "ok":
                st.rerun()
            message = t(f"auth.outcome.{outcome}", minutes=settings.lockout_minutes)
            (st.warning if outcome == "empty" else st.error)(message, icon=":material/lock:")
        if oidc_configured():
            st.divider()
            if st.button(t("auth.oidc"), key=keys.SIGNIN_OIDC, width="stretch", icon=":material/badge:"):
                try:
                    st.login()
                except StreamlitAuthError as exc:  # Authlib missing, or [auth] incomplete: the operator's to fix
                    st.error(t("auth.oidc_unavailable", problem=literal(str(exc).strip().splitlines()[0])), icon=":material/error:")
            if st.user.get("is_logged_in") and st.button(t("auth.oidc_sign_out"), key=keys.SIGN_OUT):
                st.logout()
        if is_demo_url(url):
            users = "、".join(name for name, *_ in accounts.DEMO_ACCOUNTS)
            st.caption(t("auth.demo_hint", users=users, password=accounts.DEMO_PASSWORD))
        session_cookie.render_cookie_writer()  # the cookie of a session that just ended is dropped


def render_account_box(url: str, settings: Settings, viewer: Viewer, street_name: str | None) -> None:
    """Who is signed in (name, role, street) and the sign-out button, at the foot of the sidebar; below them,
    out of sight, the component that writes the session cookie after a sign-in."""
    account = viewer.account
    with st.sidebar:
        st.divider()
        unit = street_name if account.street_id is not None else t("auth.whole_district")
        role = t(f"auth.role.{account.role}")
        name = account.display_name or account.username
        if name == role:  # an account named after its role (the demo's 区级调度员): say it once
            st.caption(t("auth.signed_in_as_role", role=role, unit=literal(unit or "—")))
        else:
            st.caption(t("auth.signed_in_as", name=literal(name), role=role, unit=literal(unit or "—")))
        if st.button(t("auth.sign_out"), key=keys.SIGN_OUT, icon=":material/logout:"):
            sign_out(url, settings)
            st.rerun()
        session_cookie.render_cookie_writer()
