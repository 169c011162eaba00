"""AppTest of the public screen (public_app.py) on the case book: every panel renders, small counts are
withheld on screen, a database outage keeps the last good figures with a 数据延迟 mark and the screen
recovers by itself; plus the URL options and the rotation rule (pure)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from helpers import NOW, PUBLIC_APP
from ui import data, keys
from ui.components import public_map
from ui.components import public_panels as panels
from views import public_screen
from views.public_screen import PANELS, ScreenOptions, next_panel, parse_options


@pytest.fixture
def casebook_copy(casebook_sqlite_url, tmp_path, monkeypatch):
    """A private copy of the SQLite case book inside its own folder (renaming the folder is the outage)."""
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "casebook.db"
    shutil.copy(casebook_sqlite_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    return folder


def run_screen(panel: int | str | None = 0, now: dt.datetime = NOW, at: AppTest | None = None, **params: str) -> AppTest:
    """A first run of the screen (or, given `at`, the next tick of the same session) at `now`."""
    if at is None:
        at = AppTest.from_file(PUBLIC_APP, default_timeout=30)
        if panel is not None:
            at.query_params["panel"] = str(panel)
        for name, value in params.items():
            at.query_params[name] = value
    at.session_state[keys.NOW_OVERRIDE] = now
    return at.run()


def screen_text(at: AppTest) -> str:
    """The visible text of every HTML block (tags stripped, entities decoded)."""
    import html

    bodies = [h.proto.body for h in at.get("html") if not h.proto.body.lstrip().startswith("<style>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(bodies))))


def chart_data(chart) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The data a Vega-Lite chart sends to the browser (Arrow IPC streams), as one frame."""

    return pd.concat([pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets])


def shown_panel(at: AppTest) -> str:
    found = {m for h in at.get("html") for m in re.findall(r'data-panel="(\w+)"', h.proto.body)}
    assert len(found) == 1, found
    return found.pop()


# --- every panel -------------------------------------------------------------------------------------


def test_the_panel_table_has_every_panel_of_the_rotation_in_its_order():
    assert tuple(public_screen.PANEL_TABLE) == PANELS


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("index", range(len(PANELS)), ids=list(PANELS))
def test_every_panel_renders(casebook_copy, index, lang):
    at = run_screen(index, lang=lang)
    assert not at.exception, at.exception
    assert not at.error
    assert shown_panel(at) == PANELS[index]
    text = screen_text(at)
    assert ("数据更新于 12:00" if lang == "zh" else "Data as of 12:00") in text
    assert ("示范区接诉即办" if lang == "zh" else "12345 hotline in public") in text


@pytest.mark.parametrize("name", PANELS)
def test_a_panel_can_be_held_by_name(casebook_copy, name):
    assert shown_panel(run_screen(name)) == name


def test_the_screen_has_no_sidebar_and_hides_streamlit_chrome(casebook_copy):
    at = run_screen(0)
    assert len(at.sidebar) == 0
    styles = " ".join(h.proto.body for h in at.get("html") if "<style>" in h.proto.body)
    for testid in ("stSidebar", "stHeader", "stToolbar"):
        assert f'[data-testid="{testid}"]' in styles


# --- suppression on screen ---------------------------------------------------------------------------


def test_headline_withholds_small_figures(casebook_copy):
    text = screen_text(run_screen("headline"))
    # Today: 1 ticket, 1 dispatched, no callbacks → everything withheld.
    today = text.split("今日（2026-11-20）")[1].split("本月")[0]
    assert "受理诉求 <5" in today and today.count("样本不足") == 3
    # Today withheld, so the month is read up to yesterday: 8 tickets (shown rounded, 10), 响应率 4/6
    # shown; 3 answered callbacks → 解决率, 满意率 withheld.
    month = text.split("本月（11-01 至 11-19）")[1]
    assert "受理诉求 10" in month and "响应率 66.7%" in month
    assert "解决率 样本不足" in month and "满意率 样本不足" in month
    assert "基数少于 5 件的数字不公布" in text


def test_categories_below_the_minimum_are_not_listed(casebook_copy):
    at = run_screen("categories")
    assert not at.get("vega_lite_chart")  # every category of the last 30 days has fewer than 5 tickets
    assert "近30天各类诉求均少于 5 件，暂不公布" in screen_text(at)


def test_recently_resolved_withholds_counts_below_the_minimum(casebook_copy):
    text = screen_text(run_screen("resolved"))
    assert "近7天（11-13 至 11-19）各社区办结的诉求" in text  # the 7 whole days up to yesterday, one window
    assert "桃源社区 <5 " in text  # 2 closed in those 7 days
    assert "静安里社区 <5 " in text and "24小时" not in text


def test_trend_withholds_weeks_and_rates(casebook_copy):
    at = run_screen("trend")
    frame = chart_data(at.get("vega_lite_chart")[0])
    assert len(frame) == 12 and set(frame["label"]) == {"<5"}  # at most 2 tickets a week in the case book
    assert frame["tickets"].isna().all()
    assert set(frame.columns) == {"week", "tickets", "label", "label_y"}  # no count behind a figure travels
    assert "近12周回访均不足 5 件，暂不公布比率" in screen_text(at)


def test_map_shows_classes_only_and_suppressed_cells_grey(casebook_copy):
    # The next morning (today withheld, so the 30 days end with yesterday, 10-22 to 11-20: the case book's
    # last 30 days).
    at = run_screen("map", now=dt.datetime(2026, 11, 21, 8, 0))
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    cells = next(layer for layer in deck["layers"] if layer["id"] == "cells")
    assert {frozenset(row) for row in cells["data"]} == {frozenset({"polygon", "fill"})}  # no numbers, no ids
    assert cells.get("pickable") is False and not deck.get("tooltip")
    fills = [tuple(row["fill"]) for row in cells["data"]]
    # Cells 1, 2 (2 tickets each) and 4 (none) are withheld, cell 3 (5 tickets) is coloured.
    assert fills.count(public_map.SUPPRESSED_FILL) == 3 and len(fills) == 4
    assert "少于 5 件，不公布" in screen_text(at)


def _figures(text: str) -> str:
    """A panel's text without the clock (header time, "updated at"), i.e. only what it publishes."""
    return re.sub(r"\d{2}:\d{2}", "HH:MM", text)


@pytest.mark.parametrize("panel", PANELS)
def test_nothing_moves_with_a_withheld_today(casebook_copy, panel):
    """The differencing of issue 9: today shows <5, so a reading just after midnight and one at noon must
    publish the same figures on every panel — no running total may move with today's tickets."""
    midnight = screen_text(run_screen(panel, now=dt.datetime(2026, 11, 20, 0, 1)))
    st.cache_data.clear()
    noon = screen_text(run_screen(panel, now=NOW))
    assert "今日（2026-11-20） 受理诉求 <5" in noon or panel != "headline"
    assert _figures(noon) == _figures(midnight)


def test_the_next_day_the_month_takes_in_yesterday(casebook_copy):
    """Once a day has passed, its tickets join the running totals (read up to the end of that day)."""
    text = screen_text(run_screen("headline", now=dt.datetime(2026, 11, 21, 0, 1)))
    assert "本月（11-01 至 11-20） 受理诉求 10 响应率 57.1%" in text  # 9 tickets, 4 of 7 contacted on time


# --- outage ------------------------------------------------------------------------------------------


def test_outage_keeps_last_good_figures_then_recovers(casebook_copy):
    at = run_screen("headline")
    assert "受理诉求 10" in screen_text(at) and "数据更新于 12:00" in screen_text(at)

    moved = casebook_copy.with_name("db-away")
    casebook_copy.rename(moved)  # the database goes away
    data.engine_for.clear()  # drop the pooled connection to the old file, as a server restart would
    try:
        down = run_screen("headline", now=NOW + dt.timedelta(minutes=1))
        assert not down.exception and not down.error
        text = screen_text(down)
        assert "受理诉求 10" in text and "响应率 66.7%" in text  # the last good figures
        assert "数据延迟" in text and "12:00" in text and "数据更新于" not in text
    finally:
        moved.rename(casebook_copy)  # it comes back
    data.engine_for.clear()
    back = run_screen("headline", now=NOW + dt.timedelta(minutes=2))
    assert not back.exception
    assert "数据更新于 12:02" in screen_text(back) and "数据延迟" not in screen_text(back)


def test_outage_in_the_same_session_recovers_on_the_next_tick(casebook_copy):
    """The kiosk's own session: the fragment's next tick shows 数据延迟, the one after fresh figures."""
    at = run_screen("map")
    moved = casebook_copy.with_name("db-away")
    casebook_copy.rename(moved)
    data.engine_for.clear()
    try:
        run_screen(now=NOW + dt.timedelta(minutes=1), at=at)
        assert not at.exception and "数据延迟" in screen_text(at) and at.get("deck_gl_json_chart")
    finally:
        moved.rename(casebook_copy)
    data.engine_for.clear()
    run_screen(now=NOW + dt.timedelta(minutes=2), at=at)
    assert "数据更新于 12:02" in screen_text(at)


def test_outage_before_any_good_read_explains_itself(casebook_copy):
    casebook_copy.rename(casebook_copy.with_name("db-away"))
    at = run_screen("trend")
    assert not at.exception and not at.error
    assert "数据暂时无法读取，稍后自动重试" in screen_text(at)
    assert "接诉即办 · 公开信息" in screen_text(at)


def test_unreachable_server_database_is_no_error_page(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = run_screen("headline")
    assert not at.exception and not at.error
    assert "数据暂时无法读取" in screen_text(at)


# --- rotation ----------------------------------------------------------------------------------------


def test_without_a_panel_the_clock_picks_it_and_each_tick_moves_on(casebook_copy, monkeypatch):
    clock = {"t": 1_800_000_000.0 + 15 * 3}  # (t // 15) % 5 == 3 → categories
    monkeypatch.setattr(public_screen.time, "time", lambda: clock["t"])
    at = run_screen(None)
    assert shown_panel(at) == (PANELS[int(clock["t"] // 15) % len(PANELS)])
    first = PANELS.index(shown_panel(at))
    clock["t"] += 15
    run_screen(at=at)
    assert shown_panel(at) == PANELS[(first + 1) % len(PANELS)]
    clock["t"] += 5  # a rerun within the rotation keeps the panel
    run_screen(at=at)
    assert shown_panel(at) == PANELS[(first + 1) % len(PANELS)]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ScreenOptions()),
        ({"rotate": ["30"]}, ScreenOptions(rotate=30)),
        ({"rotate": ["3"]}, ScreenOptions(rotate=3)),
        ({"rotate": ["120"]}, ScreenOptions(rotate=120)),
        ({"rotate": ["fast"]}, ScreenOptions()),
        ({"rotate": ["-5"]}, ScreenOptions()),
        ({"rotate": ["2"]}, ScreenOptions()),
        ({"rotate": ["1.5"]}, ScreenOptions()),
        ({"rotate": ["100000"]}, ScreenOptions()),
        ({"rotate": ["20", "40"]}, ScreenOptions(rotate=40)),
        ({"panel": ["2"]}, ScreenOptions(panel=2)),
        ({"panel": ["map"]}, ScreenOptions(panel=1)),
        ({"panel": ["9"]}, ScreenOptions()),
        ({"panel": ["nope"]}, ScreenOptions()),
        ({"lang": ["en"]}, ScreenOptions(lang="en")),
        ({"lang": ["fr"]}, ScreenOptions()),
    ],
    ids=["none", "rotate-30", "rotate-min", "rotate-120", "rotate-word", "rotate-negative", "rotate-too-fast",
         "rotate-fraction", "rotate-too-slow", "rotate-last-wins", "panel-index", "panel-name", "panel-out-of-range",
         "panel-unknown", "lang-en", "lang-unknown"],
)
def test_parse_options(params, expected):
    assert parse_options(params) == expected


@pytest.mark.parametrize(
    "rotate, expected",
    [(15, 15), (60, 60), (120, 60), (3, 3)],
    ids=["15s", "60s", "2min-still-refreshes-every-minute", "3s"],
)
def test_tick_is_the_rotation_but_at_least_once_a_minute(rotate, expected):
    assert ScreenOptions(rotate=rotate).tick == expected


@pytest.mark.parametrize(
    "index, since, clock, rotate, tick, expected",
    [
        (None, None, 1000.0, 15, 15, (int(1000 // 15) % 5, 1000.0)),  # a new session: the clock's panel
        (2, 1000.0, 1015.0, 15, 15, (3, 1015.0)),  # one rotation later: next panel
        (4, 1000.0, 1015.0, 15, 15, (0, 1015.0)),  # wraps round
        (2, 1000.0, 1014.2, 15, 15, (3, 1014.2)),  # a timer firing a little early still moves on
        (2, 1000.0, 1005.0, 15, 15, (2, 1000.0)),  # a rerun mid-rotation keeps the panel
        (2, 1000.0, 1060.0, 120, 60, (2, 1000.0)),  # 2-minute rotation, 1-minute refresh tick: stay
        (2, 1000.0, 1120.0, 120, 60, (3, 1120.0)),  # … then move on
    ],
    ids=["new-session", "next", "wrap", "early-timer", "mid-rotation", "slow-rotation-refresh", "slow-rotation-next"],
)
def test_next_panel(index, since, clock, rotate, tick, expected):
    assert next_panel(index, since, clock, rotate, tick) == expected


@pytest.mark.parametrize(
    "sizes, columns, expected",
    [
        ([7, 9, 8, 12, 8, 7, 8, 9], 4, [[3, 5], [1, 6], [0, 7], [2, 4]]),
        ([3, 3], 4, [[0], [1]]),
        ([10, 1, 1, 1], 2, [[0], [1, 2, 3]]),
    ],
    ids=["eight-streets", "fewer-blocks-than-columns", "one-tall-block"],
)
def test_pack_columns(sizes, columns, expected):
    assert panels.pack_columns(sizes, columns) == expected


def test_right_after_midnight_on_the_first_the_previous_month_stands_in(casebook_copy):
    """1 December 00:01: today has no tickets and the month no days yet, so the month row would be <5 and
    样本不足 throughout; it shows the whole of November instead, labelled as such."""
    text = screen_text(run_screen("headline", now=dt.datetime(2026, 12, 1, 0, 1)))
    assert "今日（2026-12-01） 受理诉求 <5" in text
    assert "上月全月（11-01 至 11-30）· 本月至今不足 5 件，先显示上月 受理诉求 10" in text  # 9 tickets, rounded
    assert "应联系的已派单工单" in text  # the footnote gives the real denominator
