"""Real-browser tests: `streamlit run` on a sample district, every page opened in headless Chromium.

Screenshots land in artifacts/screenshots/ (git-ignored) for people to look at. Needs Debian's chromium
(installed by .ci/run); without it these tests skip and say so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from browser_support import ROOT, SHOTS, free_port, note_outside, start_server
from data_access.accounts import DEMO_PASSWORD, seed_demo_accounts
from data_access.engine import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The sample's clock: the district's twelve months end here, and the app is pinned to it (DASHBOARD_NOW).
SAMPLE_NOW = dt.datetime(2026, 11, 20, 12, 0)
SAMPLE_TICKETS = 8000

# (url path, page title in Chinese) of every page; a page that draws charts lists the chart kinds it must show.
PAGES = [
    ("", "总览", ["stVegaLiteChart"]),
    ("grid_map", "网格地图", ["stDeckGlJsonChart"]),
    ("funnel", "工单流转", ["stVegaLiteChart"]),
    ("satisfaction", "满意度", ["stVegaLiteChart"]),
    ("overdue", "超期督办", []),
    ("community", "社区", ["stDeckGlJsonChart"]),
]


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory) -> str:
    from sample_data.generator import build_sample

    path = tmp_path_factory.mktemp("browser") / "sample.db"
    engine = make_engine(f"sqlite:///{path}")
    build_sample(engine, tickets=SAMPLE_TICKETS, now=SAMPLE_NOW, seed=7)
    add_demo_accounts(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def add_demo_accounts(engine) -> None:
    """The demo accounts (admin, supervisor, donghu, nanhe where their street exists), password DEMO_PASSWORD."""
    with engine.begin() as conn:
        seed_demo_accounts(conn, now=SAMPLE_NOW, password=DEMO_PASSWORD)


def _start_server(database_url: str, port: int) -> subprocess.Popen:
    return start_server("app.py", database_url, port, SAMPLE_NOW)


@pytest.fixture(scope="module")
def server(sample_url):
    port = free_port()
    proc = _start_server(sample_url, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.outside_requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: note_outside(pg, r.url))
    yield pg
    context.close()


SIGNED_IN = '[data-testid="stSidebar"] [data-testid="stSelectbox"]'  # the filter bar: only once signed in


def sign_in(pg, username: str = "supervisor", password: str = DEMO_PASSWORD) -> None:
    """Fill the sign-in form (either language) and wait until the page it asked for has replaced it."""
    pg.locator('[data-testid="stTextInput"] input[type="text"]').first.fill(username)
    pg.locator('input[type="password"]').fill(password)
    pg.locator('[data-testid="stFormSubmitButton"] button').click()
    pg.wait_for_selector(SIGNED_IN, timeout=60_000)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)


def open_page(pg, url: str, charts: list[str] = (), username: str = "supervisor") -> None:
    """Open a URL, signing in (as the supervisor unless told) when the sign-in form comes first: each test's
    browser context starts without the session cookie, its later pages have it (tests/test_browser_session.py)."""
    pg.goto(url)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    # Signed in, the sidebar holds the filters; the sign-in page has none (and its form comes after its title).
    pg.wait_for_selector(f'{SIGNED_IN}, input[type="password"]', timeout=30_000)
    if not pg.locator(SIGNED_IN).count():
        sign_in(pg, username)
    pg.wait_for_selector('[data-testid="stMain"] h1', timeout=30_000)
    for chart in charts:
        # Vega-Lite draws SVG, deck.gl a WebGL canvas.
        pg.wait_for_selector(f'[data-testid="{chart}"] :is(svg, canvas)', timeout=30_000)
    pg.wait_for_timeout(1200)  # WebGL and fonts settle


def shot(pg, name: str, whole_page: bool = False) -> None:
    """A screenshot of the window; with `whole_page`, of the whole page: Streamlit scrolls its main area
    itself, so the window is made as tall as that area for the picture (full_page sees the window only)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = pg.viewport_size
    if whole_page:
        tall = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        pg.set_viewport_size({"width": size["width"], "height": max(size["height"], int(tall) + 20)})
        pg.wait_for_timeout(800)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if whole_page:
        pg.set_viewport_size(size)


@pytest.mark.parametrize("path, title, charts", PAGES, ids=[p[0] or "overview" for p in PAGES])
def test_page_renders_in_chinese(server, page, path, title, charts):
    open_page(page, f"{server}/{path}", charts)
    shot(page, f"zh_{path or 'overview'}")
    assert page.locator('[data-testid="stException"]').count() == 0
    main = page.inner_text('[data-testid="stMain"]')
    assert "Traceback" not in main
    assert title in page.inner_text('[data-testid="stMain"] h1')
    assert re.search(r"[\u4e00-\u9fff]{4,}", main)
    assert page.outside_requests == []


@pytest.mark.parametrize("path, title, charts", PAGES, ids=[p[0] or "overview" for p in PAGES])
def test_page_renders_in_english(server, page, path, title, charts):
    open_page(page, f"{server}/{path}?lang=en", charts)
    shot(page, f"en_{path or 'overview'}")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert title not in page.inner_text('[data-testid="stMain"] h1')


CJK = re.compile(r"[\u4e00-\u9fff]")
# The interface's own words (titles, labels, captions, metric names, navigation, chosen filter values): in
# English none may be Chinese. Data names (streets, communities, categories) live in tables, charts, maps
# and the chosen street/community, which are left out.
CHROME = ('[data-testid="stMain"] h1, [data-testid="stMetricLabel"], [data-testid="stWidgetLabel"], '
          '[data-testid="stSidebarNav"] a, [data-testid="stTab"], [data-testid="stCaptionContainer"]')


def chrome_texts(pg) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.strip() for t in pg.locator(CHROME).all_inner_texts() if t.strip() and "语言 / Language" not in t]


def test_language_switch_keeps_the_choices_and_translates_the_chrome(server, page):
    open_page(page, f"{server}/?period=last_month", ["stVegaLiteChart"])
    page.get_by_text("English", exact=True).click()
    page.wait_for_function("() => location.search.includes('lang=en')", timeout=20_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(1200)
    chosen = [box.locator("input").input_value() for box in page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').all()]
    assert chosen == ["All streets", "All communities", "Last month"], chosen
    for index in (1, 4, 2, 3):  # grid map, satisfaction, overdue, funnel: the period stays, in English
        page.locator('[data-testid="stSidebarNav"] a').nth(index).click()
        page.wait_for_timeout(800)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        page.wait_for_timeout(1500)
        assert "period=last_month" in page.url and "lang=en" in page.url, page.url
        chinese = [t for t in chrome_texts(page) if CJK.search(t) and "Signed in" not in t]
        assert chinese == [], (page.url, chinese)
    shot(page, "en_after_language_switch")
    page.get_by_text("中文", exact=True).click()
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(1200)
    chosen = [box.locator("input").input_value() for box in page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').all()]
    assert "period=last_month" in page.url and chosen == ["全部街道", "全部社区", "上月"], chosen


def test_sidebar_street_choice_narrows_and_goes_into_the_url(server, page):
    open_page(page, f"{server}/", ["stVegaLiteChart"])
    before = page.inner_text('[data-testid="stMetric"] >> nth=5')
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option").nth(1).click()
    page.wait_for_function("() => location.search.includes('street=')", timeout=20_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(800)
    assert page.inner_text('[data-testid="stMetric"] >> nth=5') != before
    # The link carries the choice: opening it in a fresh page shows the same street selected.
    link = page.url
    fresh = page.context.new_page()
    open_page(fresh, link, ["stVegaLiteChart"])
    assert "street=" in fresh.url
    assert fresh.inner_text('[data-testid="stMetric"] >> nth=5') == page.inner_text('[data-testid="stMetric"] >> nth=5')


def test_filters_survive_a_page_switch(server, page):
    open_page(page, f"{server}/?period=last_week", ["stVegaLiteChart"])
    page.locator('[data-testid="stSidebarNav"] a').nth(4).click()
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(800)
    assert "period=last_week" in page.url


def test_overview_numbers_match_cli_metrics(server, page, sample_url):
    """The overview's headline numbers equal `cli.py metrics --json` for the same period."""
    open_page(page, f"{server}/?period=last_month", ["stVegaLiteChart"])
    values = {
        page.locator('[data-testid="stMetricLabel"]').nth(i).inner_text().strip(): page.locator('[data-testid="stMetricValue"]').nth(i).inner_text().strip()
        for i in range(page.locator('[data-testid="stMetricLabel"]').count())
    }
    out = subprocess.run(
        [sys.executable, "cli.py", "metrics", "--json", "--url", sample_url, "--since", "2026-10-01", "--until", "2026-10-31",
         "--now", SAMPLE_NOW.isoformat()],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    expected = json.loads(out.stdout)
    assert values["响应率"] == f"{expected['response_rate']:.1%}"
    assert values["解决率"] == f"{expected['resolution_rate']:.1%}"
    assert values["满意率"] == f"{expected['satisfaction_rate']:.1%}"
    assert values["综合得分（测算）"] == f"{expected['composite']:.1f}"
    assert values["工单量"] == f"{expected['tickets']:,}"


def axis_labels(pg, axis: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The tick labels of the `axis` ("X" or "Y") of every chart on the page, as drawn in its SVG."""
    return pg.evaluate(
        """(axis) => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')].map(svg =>
            [...svg.querySelectorAll(`g.role-axis[aria-label^="${axis}-axis"] .role-axis-label text`)]
                .map(text => text.textContent))""",
        axis,
    )


def assert_axis_labels_distinct(pg) -> None:  # type: ignore[no-untyped-def]
    for labels in axis_labels(pg, "Y"):
        assert labels and len(labels) == len(set(labels)), labels


def test_secretary_overdue_and_monthly_satisfaction_hold_for_one_street(server, page):
    """Issue 10, charts that hold for a single street: as a street secretary at 1366 × 768 the overdue chart
    of a few communities collapsed (overprinted labels, bars ~1 px) and the monthly 满意率 axis read
    "93% 93% 93%". 南河街道 (nanhe) has overdue tickets in 4 communities of the sample."""
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, f"{server}/overdue", ["stVegaLiteChart"], username="nanhe")
    shot(page, "zh_secretary_overdue", whole_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    (communities,) = axis_labels(page, "Y")
    assert 2 <= len(communities) == len(set(communities))
    # Each community's band is at least BAND_STEP (28 px) high, not a share of a fixed height.
    height = page.locator('[data-testid="stVegaLiteChart"] svg').first.bounding_box()["height"]
    assert height >= 28 * len(communities)
    open_page(page, f"{server}/satisfaction", ["stVegaLiteChart"], username="nanhe")
    page.locator('[data-testid="stMain"] [data-testid="stButtonGroup"] button', has_text="按月").click()
    page.wait_for_timeout(500)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg', timeout=30_000)
    page.wait_for_timeout(1200)
    shot(page, "zh_secretary_satisfaction_month", whole_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert len(axis_labels(page, "Y")) >= 3  # 满意率, 解决率, 回访覆盖率 (and the pull-down bars, if any)
    assert_axis_labels_distinct(page)


def test_overdue_of_a_one_community_street_in_english(server, page):
    """One unit: 青年路街道 has one community with an overdue ticket in the sample."""
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, f"{server}/overdue?street=S08&lang=en", ["stVegaLiteChart"])
    shot(page, "en_overdue_one_community", whole_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    (communities,) = axis_labels(page, "Y")
    assert len(communities) == 1


def test_direct_link_to_a_page_on_a_fresh_server(browser, sample_url):
    """Regression: with the page files in pages/, Streamlit ran /overdue without the router for the first
    visitor after a restart (KeyError 'page_context'). The views now live in views/."""
    port = free_port()
    proc = _start_server(sample_url, port)
    try:
        pg = browser.new_page()
        open_page(pg, f"http://127.0.0.1:{port}/overdue?street=S05")
        assert pg.locator('[data-testid="stException"]').count() == 0
        assert "超期督办" in pg.inner_text('[data-testid="stMain"] h1')
        pg.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_database_down_shows_a_message(browser, tmp_path):
    port = free_port()
    proc = _start_server("postgresql+psycopg://nobody@127.0.0.1:1/none", port)
    try:
        pg = browser.new_page()
        pg.goto(f"http://127.0.0.1:{port}/")
        pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        pg.wait_for_selector('[data-testid="stAlert"]', timeout=30_000)
        text = pg.inner_text('[data-testid="stMain"]')
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SHOTS / "zh_database_down.png"))
        assert "数据暂时无法读取" in text and "Traceback" not in text
        for internal in ("postgresql", "127.0.0.1", "DATABASE_URL", "demo.db"):  # nothing internal to a visitor
            assert internal not in text, internal
        # The public screen of the same app: its own neutral message, no error page.
        pg.goto(f"http://127.0.0.1:{port}/public")
        pg.wait_for_selector("text=数据暂时无法读取", timeout=60_000)
        text = pg.inner_text("body")
        pg.screenshot(path=str(SHOTS / "zh_public_database_down.png"))
        assert "Traceback" not in text and "postgresql" not in text and "DATABASE_URL" not in text
        pg.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_recovers_when_the_database_comes_back(browser, tmp_path):
    """A database without its tables shows what to check; once it is there, a reload shows the data."""
    from helpers import write_casebook

    path = tmp_path / "later.db"
    port = free_port()
    proc = _start_server(f"sqlite:///{path}", port)
    try:
        pg = browser.new_page()
        pg.goto(f"http://127.0.0.1:{port}/")
        pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        pg.wait_for_selector('[data-testid="stAlert"]', timeout=30_000)
        assert "数据暂时无法读取" in pg.inner_text('[data-testid="stMain"]')
        assert not path.exists()  # the check does not create an empty database where the file should be
        engine = make_engine(f"sqlite:///{path}")
        write_casebook(engine)
        add_demo_accounts(engine)
        engine.dispose()
        open_page(pg, f"http://127.0.0.1:{port}/?period=custom&since=2026-11-01&until=2026-11-30")
        assert pg.locator('[data-testid="stException"]').count() == 0
        assert pg.locator('[data-testid="stMetric"]').count() > 0
        pg.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_empty_database_explains_itself(browser, tmp_path):
    from data_access.schema import create_schema

    path = tmp_path / "empty.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    add_demo_accounts(engine)
    engine.dispose()
    port = free_port()
    proc = _start_server(f"sqlite:///{path}", port)
    try:
        for path_, title, _ in PAGES:
            pg = browser.new_page()
            open_page(pg, f"http://127.0.0.1:{port}/{path_}")
            SHOTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(SHOTS / f"zh_empty_{path_ or 'overview'}.png"), full_page=True)
            assert pg.locator('[data-testid="stException"]').count() == 0, path_
            assert pg.locator('[data-testid="stAlert"]').count() >= 1, path_
            # Above every page: nothing is loaded, and (to the supervisor) who can load it.
            assert "还没有任何工单数据" in pg.inner_text('[data-testid="stMain"]') and "联系系统管理员" in pg.inner_text('[data-testid="stMain"]'), path_
            pg.close()
        pg = browser.new_page()  # an administrator is told how to load data
        open_page(pg, f"http://127.0.0.1:{port}/", username="admin")
        pg.screenshot(path=str(SHOTS / "zh_empty_admin.png"), full_page=True)
        assert "python cli.py import" in pg.inner_text('[data-testid="stMain"]')
        pg.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


