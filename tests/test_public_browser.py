"""The public screen in a real browser: `streamlit run public_app.py` on a sample district whose personal
data is known, every panel opened in headless Chromium, and not one caller name, phone number, address,
complaint text or ticket number anywhere on screen or in what the server sends to the browser.

Screenshots (1920×1080, a lobby TV) land in artifacts/screenshots/public_*.png. Needs Debian's chromium
(installed by .ci/run); without it these tests skip and say so.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import select

from browser_support import SHOTS, free_port, note_outside, start_server
from data_access.engine import make_engine
from data_access.schema import Ticket, TicketPersonal
from views.public_screen import PANELS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE_NOW = dt.datetime(2026, 11, 20, 12, 0)
SAMPLE_TICKETS = 5000
SAMPLE_SEED = 11
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
TV = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[str, dict[str, list[str]]]:
    """A sample district (fixed seed and clock) and every personal value and ticket number in it."""
    from sample_data.generator import build_sample

    path = tmp_path_factory.mktemp("public") / "sample.db"
    engine = make_engine(f"sqlite:///{path}")
    build_sample(engine, tickets=SAMPLE_TICKETS, now=SAMPLE_NOW, seed=SAMPLE_SEED)
    P = TicketPersonal.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(P.c.caller_name, P.c.caller_phone, P.c.address, P.c.content)).fetchall()
        numbers = [r[0] for r in conn.execute(select(Ticket.__table__.c.ticket_no))]
    engine.dispose()
    secrets = {
        "caller_name": sorted({r[0] for r in rows if r[0]}),
        "caller_phone": sorted({r[1] for r in rows if r[1]}),
        "address": sorted({r[2] for r in rows if r[2]}),
        "content": sorted({r[3] for r in rows if r[3]}),
        "ticket_no": sorted(set(numbers)),
    }
    assert all(len(v) > 100 for v in secrets.values()), {k: len(v) for k, v in secrets.items()}
    return f"sqlite:///{path}", secrets


@pytest.fixture(scope="module")
def server(sample):
    url, _ = sample
    port = free_port()
    proc = start_server("public_app.py", url, port, SAMPLE_NOW)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def page(browser):
    """A TV-sized page that records every request leaving localhost and every websocket frame received."""
    context = browser.new_context(viewport=TV, locale="zh-CN")
    pg = context.new_page()
    pg.outside_requests = []  # type: ignore[attr-defined]
    pg.received = []  # type: ignore[attr-defined]

    def note(url: str) -> None:
        note_outside(pg, url)

    def on_socket(ws) -> None:  # type: ignore[no-untyped-def]
        note(ws.url)
        ws.on("framereceived", lambda payload: pg.received.append(payload if isinstance(payload, bytes) else payload.encode()))

    pg.on("request", lambda r: note(r.url))
    pg.on("websocket", on_socket)
    yield pg
    context.close()


def open_panel(pg, url: str, panel: str) -> None:
    pg.goto(url)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    pg.wait_for_selector(f'[data-panel="{panel}"]', timeout=30_000)
    pg.wait_for_selector(".ps-footer", timeout=30_000)
    if panel == "map":
        pg.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=30_000)
    elif panel in ("trend", "categories"):
        pg.wait_for_selector('[data-testid="stVegaLiteChart"] :is(svg, canvas)', timeout=30_000)
    pg.wait_for_timeout(1500)  # WebGL and fonts settle


def leaks(text: str, secrets: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every personal value, ticket number and phone-number pattern found in `text`."""
    found = {kind: [v for v in values if v in text] for kind, values in secrets.items()}
    found["phone_pattern"] = PHONE.findall(text)
    return {kind: hits[:5] for kind, hits in found.items() if hits}


def test_the_scan_finds_what_it_looks_for(sample):
    """The scan itself: a name, an address and a number from the database, and a bare mobile number."""
    _, secrets = sample
    name, address, number = secrets["caller_name"][0], secrets["address"][0], secrets["ticket_no"][0]
    found = leaks(f"x{name}y {address} {number} 电话13912345678。", secrets)
    assert name in found["caller_name"] and address in found["address"] and number in found["ticket_no"]
    assert found["phone_pattern"] == ["13912345678"]
    assert leaks("2026-11-20 12:00 受理诉求 1,188 件 epoch 1795161600000", secrets) == {}


@pytest.mark.parametrize("index", range(len(PANELS)), ids=list(PANELS))
def test_panel_shows_no_personal_data(server, page, sample, index):
    _, secrets = sample
    panel = PANELS[index]
    open_panel(page, f"{server}/?panel={index}", panel)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"public_{index}_{panel}.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
    text = page.inner_text('[data-testid="stMain"]')
    assert "数据更新于 12:00" in text and "Traceback" not in text
    assert leaks(text, secrets) == {}
    # Nor in what the server sent (chart data, map layers, HTML): the websocket frames of this page.
    sent = b"".join(page.received).decode("utf-8", errors="ignore")
    assert "数据更新于 12:00" in sent  # the frames were read
    assert leaks(sent, secrets) == {}
    assert page.outside_requests == []


def test_screen_rotates_through_every_panel_by_itself(server, page, sample):
    """?rotate=3: within a rotation cycle and a half every panel comes up, without a reload; none leaks."""
    _, secrets = sample
    page.goto(f"{server}/?rotate=3")
    page.wait_for_selector("[data-panel]", timeout=60_000)
    seen: dict[str, str] = {}
    deadline = time.monotonic() + 3 * len(PANELS) * 3 + 20
    while len(seen) < len(PANELS) and time.monotonic() < deadline:
        panel = page.get_attribute("[data-panel]", "data-panel", timeout=30_000)
        if panel and panel not in seen:
            page.wait_for_timeout(600)
            seen[panel] = page.inner_text('[data-testid="stMain"]')
        page.wait_for_timeout(250)
    assert set(seen) == set(PANELS)
    for panel, text in seen.items():
        assert leaks(text, secrets) == {}, panel
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.outside_requests == []


def test_english_screen(server, page, sample):
    _, secrets = sample
    open_panel(page, f"{server}/?panel=0&lang=en", "headline")
    page.screenshot(path=str(SHOTS / "public_en_0_headline.png"))
    text = page.inner_text('[data-testid="stMain"]')
    assert "Data as of 12:00" in text and "Response rate" in text
    assert leaks(text, secrets) == {}


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080), (3840, 2160), (390, 844)],
                         ids=["laptop", "full-hd", "4k-tv", "phone"])
@pytest.mark.parametrize("panel", ["headline", "map", "resolved"])
def test_screen_fills_every_screen_without_scrolling(server, browser, width, height, panel):
    """Drawn for 1920 × 1080 and scaled to the screen: on a laptop, a full-HD screen and a 4K TV the footer is
    on the screen (a kiosk cannot scroll) and the content fills most of its height; on a phone it reflows to
    narrower columns, the title stays on a line or two and nothing scrolls sideways."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    pg = context.new_page()
    try:
        open_panel(pg, f"{server}/?panel={panel}", panel)
        pg.screenshot(path=str(SHOTS / f"public_{width}x{height}_{panel}.png"))
        footer = pg.evaluate("() => document.querySelector('.ps-footer').getBoundingClientRect().bottom")
        widest = pg.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')].map(e => e.getBoundingClientRect().right))")
        assert widest <= width + 1, widest  # nothing sideways
        title = pg.evaluate("() => document.querySelector('.ps-header h1').getBoundingClientRect().height")
        if width >= 1000:
            assert height * 0.55 <= footer <= height, footer  # on screen, and the screen used
            assert title <= height * 0.08, title  # one line
        else:
            assert title <= 80, title  # a line or two, not a character per line
    finally:
        context.close()
