"""Real-browser tests of sign-in and roles: each demo account signs in through the form (as in
tests/test_browser.py) and tries to reach what its role must not see — another street by URL, the accounts
page, another street's overdue tickets in the export. Screenshots: artifacts/screenshots/roles_*.png.

The sample district (8 streets S01–S08: 东湖街道 S01, 西苑街道 S02, 南河街道 S03, …) with the demo accounts
admin, supervisor, donghu (东湖街道) and nanhe (南河街道), password DEMO_PASSWORD.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from test_browser import (
    SAMPLE_NOW,
    SAMPLE_TICKETS,
    SIGNED_IN,
    _start_server,
    add_demo_accounts,
    open_page,
    shot,
    sign_in,
)

from browser_support import free_port, note_outside
from data_access.engine import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@pytest.fixture(scope="module")
def roles_sample_url(tmp_path_factory) -> str:
    from sample_data.generator import build_sample

    path = tmp_path_factory.mktemp("browser_roles") / "sample.db"
    engine = make_engine(f"sqlite:///{path}")
    build_sample(engine, tickets=SAMPLE_TICKETS, now=SAMPLE_NOW, seed=7)
    add_demo_accounts(engine)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def server(roles_sample_url):
    port = free_port()
    proc = _start_server(roles_sample_url, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    pg.outside_requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: note_outside(pg, r.url))
    yield pg
    context.close()


def street_options(pg) -> list[str]:
    """The choices of the sidebar's street box (opened, read, closed again)."""
    pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    options = [o.strip() for o in pg.get_by_role("option").all_inner_texts()]
    pg.keyboard.press("Escape")
    return options


def chosen_street(pg) -> str:
    """The street box's shown choice (the value of its combobox input)."""
    return pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.locator("input").input_value()


def nav_labels(pg) -> list[str]:
    """The page names in the sidebar's navigation (each link's text is its icon's name, then the title)."""
    return [t.strip().splitlines()[-1] for t in pg.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def test_sign_in_page_refuses_a_wrong_password(server, page):
    page.goto(f"{server}/")
    page.wait_for_selector('input[type="password"]', timeout=60_000)
    page.wait_for_timeout(500)
    shot(page, "roles_sign_in")
    assert page.locator('[data-testid="stSidebar"]').count() == 0  # nothing of the dashboard before signing in
    page.locator('[data-testid="stTextInput"] input[type="text"]').first.fill("donghu")
    page.locator('input[type="password"]').fill("not the password")
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.wait_for_selector('[data-testid="stAlert"]', timeout=30_000)
    shot(page, "roles_wrong_password")
    assert "用户名或密码不正确" in page.inner_text('[data-testid="stMain"]')
    assert page.locator(SIGNED_IN).count() == 0
    assert page.outside_requests == []


def test_supervisor_sees_every_street(server, page):
    open_page(page, f"{server}/", ["stVegaLiteChart"], username="supervisor")
    shot(page, "roles_supervisor")
    assert street_options(page) == ["全部街道", "东湖街道", "西苑街道", "南河街道", "北塔街道", "中山街道", "新城街道", "龙泉街道", "青年路街道"]
    assert "账号管理" not in nav_labels(page)


def test_secretary_with_another_street_in_the_url_sees_their_own(server, page):
    open_page(page, f"{server}/?street=S03&community=S03C01", ["stVegaLiteChart"], username="donghu")
    shot(page, "roles_secretary_other_street_in_url")
    sidebar = page.inner_text('[data-testid="stSidebar"]')
    assert "street=S03" in sidebar  # the notice
    assert chosen_street(page) == "东湖街道"
    assert street_options(page) == ["东湖街道"]  # one street: no "全部街道"
    assert "南河街道" not in page.inner_text('[data-testid="stMain"]')
    assert "street=S01" in page.url


@pytest.mark.parametrize("query", [
    "channel=[会话异常，点此重新验证](http://evil.example/login)",
    "community=![](http://evil.example/t.png?who=x)",
    "category=http://evil.example www.evil.example a@evil.example",
])
def test_hostile_url_values_render_as_text_in_the_browser(server, page, query):
    """What the browser draws, not only the markdown sent: no link or image to the hostile host (GitHub-style
    autolinks are found after escaping, so the value must not even look like a URL), and no request to it."""
    open_page(page, f"{server}/overdue?{query}", [], username="donghu")
    page.wait_for_selector('[data-testid="stSidebar"] [data-testid="stAlert"]', timeout=30_000)
    notice = page.inner_text('[data-testid="stSidebar"] [data-testid="stAlert"]')
    assert "evil" in notice  # the value is quoted, as text
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    images = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
    assert not [h for h in hrefs if "evil" in h] and not [i for i in images if "evil" in i]
    assert not [r for r in page.outside_requests if "evil" in r]


def test_secretary_cannot_open_the_accounts_page(server, page):
    open_page(page, f"{server}/accounts", username="donghu")
    shot(page, "roles_secretary_accounts")
    assert "账号管理" not in page.inner_text('[data-testid="stMain"] h1')
    assert "账号管理" not in nav_labels(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_admin_manages_accounts(server, page):
    open_page(page, f"{server}/accounts", username="admin")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=30_000)
    page.wait_for_timeout(800)
    shot(page, "roles_admin_accounts")
    assert "账号管理" in page.inner_text('[data-testid="stMain"] h1')
    assert "账号管理" in nav_labels(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_secretary_exports_only_their_street(server, page):
    open_page(page, f"{server}/overdue?street=S01", username="nanhe")
    page.wait_for_selector('[data-testid="stDownloadButton"] button', timeout=30_000)
    shot(page, "roles_secretary_overdue")
    assert "street=S01" in page.inner_text('[data-testid="stSidebar"]')
    with page.expect_download(timeout=30_000) as download:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    frame = pd.read_csv(io.BytesIO(Path(download.value.path()).read_bytes()), encoding="utf-8-sig")
    assert len(frame) > 0
    assert set(frame["街道"]) == {"南河街道"}


def test_sign_out_returns_to_the_sign_in_page(server, page):
    open_page(page, f"{server}/funnel", ["stVegaLiteChart"], username="supervisor")
    page.locator('[data-testid="stSidebar"] button', has_text="退出登录").click()
    page.wait_for_selector('input[type="password"]', timeout=30_000)
    page.wait_for_selector(APP_IDLE)
    page.wait_for_timeout(500)
    shot(page, "roles_signed_out")
    assert "您已退出登录" in page.inner_text('[data-testid="stMain"]')
    assert page.locator(SIGNED_IN).count() == 0 and page.locator('[data-testid="stSidebarNav"]').count() == 0
    page.reload()
    page.wait_for_selector('input[type="password"]', timeout=60_000)  # a reload does not sign back in


def test_sign_in_page_in_english(server, page):
    open_page(page, f"{server}/?lang=en", ["stVegaLiteChart"], username="donghu")
    assert "Overview" in page.inner_text('[data-testid="stMain"] h1')
    page.context.clear_cookies()  # a browser without the session cookie: the sign-in page
    page.goto(f"{server}/?lang=en")
    page.wait_for_selector('input[type="password"]', timeout=60_000)
    page.wait_for_timeout(500)
    shot(page, "roles_sign_in_en")
    assert page.locator('[data-testid="stFormSubmitButton"] button').inner_text().strip() == "Sign in"
    sign_in(page, "donghu")


def test_public_route_needs_no_sign_in(server, page):
    page.goto(f"{server}/public")
    page.wait_for_selector(APP_IDLE, timeout=60_000)
    page.wait_for_timeout(3000)
    assert page.locator('input[type="password"]').count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(SIGNED_IN).count() == 0
