"""Real-browser tests of the session cookie: a sign-in survives a reload and a new tab (a shared filtered link
opens on its view), sign-out and account changes end it, and the cookie carries SameSite=Strict.

Each test has its own browser context (its own cookie jar); pages of one context share the cookie as tabs of
one browser do. Screenshots: artifacts/screenshots/session_*.png.
"""

from __future__ import annotations

import time

import pytest
from test_browser import SAMPLE_NOW, _start_server, add_demo_accounts, open_page, shot

from browser_support import free_port, note_outside
from data_access import accounts, sessions
from data_access.engine import make_engine
from domain.clock import local_now
from domain.settings import DEFAULT_SETTINGS
from ui.session_cookie import COOKIE_NAME

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SIGNED_IN = '[data-testid="stSidebar"] [data-testid="stSelectbox"]'
PASSWORD_INPUT = 'input[type="password"]'
# Accounts of this module's own, so that changing them leaves the demo accounts alone.
EXTRA_ACCOUNTS = {"zhao": "zhao password 1", "qian": "qian password 1"}


@pytest.fixture(scope="module")
def session_db(tmp_path_factory) -> str:
    from sample_data.generator import build_sample

    path = tmp_path_factory.mktemp("browser_session") / "sample.db"
    engine = make_engine(f"sqlite:///{path}")
    build_sample(engine, tickets=3000, now=SAMPLE_NOW, seed=7)
    add_demo_accounts(engine)
    with engine.begin() as conn:
        for username, password in EXTRA_ACCOUNTS.items():
            accounts.create_account(conn, username=username, role="supervisor", now=SAMPLE_NOW, password=password)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def server(session_db):
    port = free_port()
    proc = _start_server(session_db, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    yield ctx
    ctx.close()


def new_page(context):  # type: ignore[no-untyped-def]
    pg = context.new_page()
    pg.outside_requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: note_outside(pg, r.url))
    return pg


def session_cookie(context, present: bool = True, seconds: float = 30) -> dict | None:  # type: ignore[no-untyped-def]
    """The session cookie in the context's jar once it is there (or, with present=False, None once it is gone)."""
    deadline = time.monotonic() + seconds
    while True:
        found = next((c for c in context.cookies() if c["name"] == COOKIE_NAME), None)
        if (found is not None) == present or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def settled(pg) -> None:  # type: ignore[no-untyped-def]
    """The page's script finished and it shows either the dashboard or the sign-in form."""
    pg.wait_for_selector(APP_IDLE, timeout=60_000)
    pg.wait_for_selector(f"{SIGNED_IN}, {PASSWORD_INPUT}", timeout=30_000)
    pg.wait_for_timeout(800)


def change_account(url: str, username: str, fn) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    with engine.begin() as conn:
        fn(conn, accounts.find_account(conn, username).id)
    engine.dispose()


def sign_in_as(pg, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    pg.locator('[data-testid="stTextInput"] input[type="text"]').first.fill(username)
    pg.locator(PASSWORD_INPUT).fill(password)
    pg.locator('[data-testid="stFormSubmitButton"] button').click()
    pg.wait_for_selector(SIGNED_IN, timeout=60_000)
    pg.wait_for_selector(APP_IDLE, timeout=60_000)


def test_the_cookie_is_strict_and_holds_only_a_random_token(server, context, session_db):
    pg = new_page(context)
    open_page(pg, f"{server}/", ["stVegaLiteChart"])
    cookie = session_cookie(context)
    assert cookie is not None, "the session cookie was not set"
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["secure"] is False  # served over plain http here; Secure when the page is https (behind nginx + TLS)
    lifetime = cookie["expires"] - time.time()
    assert DEFAULT_SETTINGS.session_max_hours * 3600 - 120 < lifetime <= DEFAULT_SETTINGS.session_max_hours * 3600 + 5
    assert len(cookie["value"]) == 43
    engine = make_engine(session_db)
    with engine.connect() as conn:
        stored = sessions.find_session(conn, sessions.token_hash(cookie["value"]))
        assert stored is not None and stored.revoked_at is None
        assert accounts.get_account(conn, stored.account_id).username == "supervisor"
    engine.dispose()
    assert pg.outside_requests == []


def test_a_reload_stays_signed_in_on_the_same_filtered_page(server, context):
    pg = new_page(context)
    open_page(pg, f"{server}/funnel?street=S02&period=last_month", ["stVegaLiteChart"])
    session_cookie(context)
    pg.reload()
    settled(pg)
    shot(pg, "session_reloaded")
    assert pg.locator(PASSWORD_INPUT).count() == 0 and pg.locator(SIGNED_IN).count() >= 1
    assert "工单流转" in pg.inner_text('[data-testid="stMain"] h1')
    assert "street=S02" in pg.url and "period=last_month" in pg.url
    assert pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.locator("input").input_value() == "西苑街道"
    assert pg.outside_requests == []


def test_a_shared_filtered_link_in_a_new_tab_opens_signed_in_on_its_view(server, context):
    first = new_page(context)
    open_page(first, f"{server}/", ["stVegaLiteChart"], username="supervisor")
    session_cookie(context)
    tab = new_page(context)
    tab.goto(f"{server}/overdue?street=S01&period=last_month")
    settled(tab)
    tab.wait_for_selector('[data-testid="stMain"] h1', timeout=30_000)
    tab.wait_for_timeout(1000)
    shot(tab, "session_new_tab_filtered")
    assert tab.locator(PASSWORD_INPUT).count() == 0
    assert "超期督办" in tab.inner_text('[data-testid="stMain"] h1')
    assert tab.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.locator("input").input_value() == "东湖街道"
    assert "street=S01" in tab.url and "period=last_month" in tab.url
    assert tab.locator('[data-testid="stException"]').count() == 0


def test_without_the_cookie_the_link_asks_to_sign_in_then_opens_its_view(server, context):
    pg = new_page(context)
    pg.goto(f"{server}/overdue?street=S01&period=last_month")
    settled(pg)
    assert pg.locator(PASSWORD_INPUT).count() == 1
    sign_in_as(pg, "supervisor", "demo-12345")
    pg.wait_for_timeout(800)
    assert "超期督办" in pg.inner_text('[data-testid="stMain"] h1') and "street=S01" in pg.url


def test_sign_out_ends_the_session_in_every_tab(server, context):
    pg = new_page(context)
    open_page(pg, f"{server}/", ["stVegaLiteChart"])
    token = session_cookie(context)["value"]
    other_tab = new_page(context)
    other_tab.goto(f"{server}/satisfaction")
    settled(other_tab)
    assert other_tab.locator(SIGNED_IN).count() >= 1
    pg.locator('[data-testid="stSidebar"] button', has_text="退出登录").click()
    pg.wait_for_selector(PASSWORD_INPUT, timeout=30_000)
    assert session_cookie(context, present=False) is None, "the cookie was not dropped"
    pg.reload()
    settled(pg)
    shot(pg, "session_signed_out_reload")
    assert pg.locator(PASSWORD_INPUT).count() == 1 and pg.locator(SIGNED_IN).count() == 0
    # The other tab is signed out at its next click: the session is revoked in the database.
    other_tab.reload()
    settled(other_tab)
    assert other_tab.locator(PASSWORD_INPUT).count() == 1
    # And the old token, put back into a browser by hand, signs nobody in.
    context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": server}])
    again = new_page(context)
    again.goto(f"{server}/")
    settled(again)
    assert again.locator(PASSWORD_INPUT).count() == 1


@pytest.mark.parametrize(
    "username, change, notice",
    [
        ("zhao", lambda conn, account_id: accounts.set_active(conn, account_id, False, now=local_now()), "停用"),
        ("qian", lambda conn, account_id: accounts.set_password(conn, account_id, "qian password 2", now=local_now()), "密码已重置"),
    ],
    ids=["deactivated", "password-changed"],
)
def test_an_account_change_makes_the_old_cookie_sign_nobody_in(server, context, browser, session_db, username, change, notice):
    pg = new_page(context)
    pg.goto(f"{server}/")
    settled(pg)
    sign_in_as(pg, username, EXTRA_ACCOUNTS[username])
    cookie = session_cookie(context)
    change_account(session_db, username, change)
    # The same browser reloads; another browser arrives with a copy of the old cookie.
    pg.reload()
    settled(pg)
    shot(pg, f"session_{username}_after_change")
    assert pg.locator(PASSWORD_INPUT).count() == 1 and notice in pg.inner_text('[data-testid="stMain"]')
    elsewhere = browser.new_context()
    try:
        elsewhere.add_cookies([{"name": COOKIE_NAME, "value": cookie["value"], "url": server}])
        other = new_page(elsewhere)
        other.goto(f"{server}/")
        settled(other)
        assert other.locator(PASSWORD_INPUT).count() == 1
    finally:
        elsewhere.close()
