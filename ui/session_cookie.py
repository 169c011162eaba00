"""The browser's copy of the sign-in token: read on the server, written through a component.

Reading needs no round trip: `st.context.cookies` holds the cookies the browser sent when the tab's
connection opened, so a reload or a new tab knows its token on its first run and a shared filtered link
opens signed in. Writing needs the browser (Streamlit lets an app set no response header): the maintained
`extra_streamlit_components.CookieManager` (bundled JavaScript, no outside request) sets or expires the
cookie from a zero-height component, with `SameSite=Strict`, `Path=/`, `Secure` when the page was loaded over
HTTPS, and a lifetime that ends with the session's absolute limit. JavaScript cannot set `HttpOnly`; see
docs/auth.md for why that is acceptable here.

A write is asked for in session state (`request_set`, `request_expire`) and drawn by `render_cookie_writer` on
every run until the component reports it done (its value, True, under its key), because a component that
disappears before the browser ran it writes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import streamlit as st

from ui import keys

COOKIE_NAME = "jiesu_session"


@dataclass(frozen=True)
class CookieWrite:
    """A pending write: the value (empty to expire the cookie), its lifetime in seconds, whether it is Secure,
    a nonce that keys the component so that each write is acknowledged on its own."""

    value: str
    max_age: int
    secure: bool
    nonce: str


def browser_token() -> str | None:
    """The token the browser sent with this tab's connection, if any (a string, or None: AppTest's session
    has no browser and answers with a mock)."""
    value = st.context.cookies.get(COOKIE_NAME)
    return value if isinstance(value, str) and value else None


def served_over_https() -> bool:
    """Whether the browser loaded the page over HTTPS (`st.context.url` is the address in the browser's bar,
    so behind the nginx of deploy/ it is https:// when nginx terminates TLS): then the cookie is Secure."""
    return (st.context.url or "").startswith("https://")


def request_set(token: str, max_age: int) -> None:
    st.session_state[keys.AUTH_COOKIE_WRITE] = CookieWrite(token, max_age, served_over_https(), secrets.token_hex(4))


def cookie_in_play() -> bool:
    """Whether the browser may hold a token cookie: it sent one, this tab set one, or is about to."""
    return browser_token() is not None or keys.AUTH_COOKIE_WRITE in st.session_state or bool(st.session_state.get(keys.AUTH_COOKIE_SET))


def request_expire() -> None:
    """Ask the browser to forget the cookie (an empty value with Max-Age=0)."""
    st.session_state[keys.AUTH_COOKIE_WRITE] = CookieWrite("", 0, served_over_https(), secrets.token_hex(4))


def render_cookie_writer() -> None:
    """Draw the pending cookie write (nothing when none is pending); forget it once the browser did it."""
    write: CookieWrite | None = st.session_state.get(keys.AUTH_COOKIE_WRITE)
    if write is None:
        return
    done_key = f"{keys.AUTH_COOKIE_WRITER}_{write.nonce}"
    if st.session_state.get(done_key) is True:
        del st.session_state[keys.AUTH_COOKIE_WRITE]
        st.session_state[keys.AUTH_COOKIE_SET] = bool(write.value)
        return
    import extra_streamlit_components as stx  # imported here: only runs that write a cookie need it

    manager = stx.CookieManager(key=keys.AUTH_COOKIE_READER)
    manager.set(
        COOKIE_NAME, write.value, key=done_key, path="/", max_age=write.max_age,
        expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=write.max_age),
        same_site="strict", secure=write.secure or None,
    )
