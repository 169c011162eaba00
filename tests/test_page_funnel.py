"""AppTest of the 工单流转 funnel page on the case book (November 1–20 at NOW; see tests/test_flow_queries.py
for the hand-worked funnel: 9 → 8 → 5 → 4 → 3 → 3 → 2)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from helpers import APP, NOW
from ui import keys

PAGE = "views/funnel.py"
GROUP_KEY = f"{keys.FUNNEL_PAGE}_{keys.FUNNEL_GROUP}"




def open_funnel(lang: str = "zh", now: dt.datetime = NOW, state: dict | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[keys.NOW_OVERRIDE] = now
    at.session_state[keys.TEST_ACCOUNT] = "supervisor"  # signed in, whole district
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.query_params["period"] = "this_month"
    if lang != "zh":
        at.query_params["lang"] = lang
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(PAGE).run()


def chart_data(at: AppTest, index: int = 0) -> tuple[dict, list[pd.DataFrame]]:
    """The Vega-Lite spec of a chart and its datasets as frames (Arrow IPC streams)."""
    chart = at.get("vega_lite_chart")[index]
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
    return json.loads(chart.proto.spec), frames


def test_funnel_page_renders_the_casebook_funnel(sqlite_casebook):
    at = open_funnel()
    assert not at.exception
    spec, (data,) = chart_data(at)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "text"]
    assert list(data["stage_label"]) == ["受理", "派单", "签收", "联系", "办结", "回访", "满意"]
    assert list(data["count"]) == [9, 8, 5, 4, 3, 3, 2]
    assert list(data["bar_label"]) == ["9", "8 · 88.9%", "5 · 62.5%", "4 · 80.0%", "3 · 75.0%", "3 · 100.0%", "2 · 66.7%"]


def test_funnel_marks_the_weakest_step(sqlite_casebook):
    _, (data,) = chart_data(open_funnel())
    assert list(data.loc[data["weakest"], "stage"]) == ["signed"]  # 5 of 8 signed for: 62.5 %


def test_funnel_hover_explains_conversion_and_stage(sqlite_casebook):
    _, (data,) = chart_data(open_funnel())
    signed = data[data["stage"] == "signed"].iloc[0]
    assert signed["conversion_text"] == "62.5%（5 ÷ 8）"
    assert signed["from_received_text"] == "55.6%（5 ÷ 9）"
    # 30 minutes exactly; the pages read medians from the rollups' duration histogram: the middle of the
    # 5-minute bucket [30, 35) — within the stated 2.5 minutes.
    assert signed["time_text"] == "派单→签收: 32 分钟"
    assert "已派单且承办单位已签收" in signed["definition"]


def test_funnel_stage_times_table(sqlite_casebook):
    at = open_funnel()
    table = at.dataframe[0].value
    assert list(table["区间"]) == ["受理→派单", "派单→签收", "签收→联系", "受理→办结", "办结→回访"]
    # Exact: 20 min, 30 min, 2 h, 24 h, 47 h; from the histogram (bucket middles): within 2.5 minutes under
    # an hour, 0.5 h up to 50 h (metrics.durations).
    assert list(table["用时（中位数）"]) == ["22 分钟", "32 分钟", "2.5 小时", "24.5 小时", "47.5 小时"]
    assert list(table["计入工单"]) == [8, 5, 5, 5, 3]
    assert list(table["时间倒置"]) == [0, 0, 0, 1, 0]  # T10 closed before it was received


def test_funnel_event_cards_with_share_of_dispatched(sqlite_casebook):
    at = open_funnel()
    cards = {m.label: m for m in at.metric}
    assert {label: m.value for label, m in cards.items()} == {"退单": "1", "延期": "1", "督办": "1", "吹哨": "1", "重办": "0"}
    assert "1 件 ÷ 已派单 8 件 = 12.5%" in cards["退单"].help
    assert "派单异议" in cards["退单"].help


def test_switching_to_by_street_draws_the_grouped_funnel(sqlite_casebook):
    at = open_funnel()
    at.segmented_control(key=GROUP_KEY).set_value("street").run()
    assert not at.exception
    spec, (data,) = chart_data(at)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "rect", "text"]
    counts = {(g, s): c for g, s, c in zip(data["group"], data["stage"], data["count"])}
    assert [counts[("东湖街道", s)] for s in ("received", "closed", "satisfied")] == [4, 3, 2]
    assert [counts[("西苑街道", s)] for s in ("received", "dispatched", "signed", "contacted")] == [5, 4, 1, 0]
    table = at.dataframe[1].value
    assert list(table["街道"]) == ["西苑街道", "东湖街道"]  # most tickets first, as in the chart
    assert list(table["满意/受理"]) == pytest.approx([0.0, 50.0])


def test_switching_to_by_category_lists_categories(sqlite_casebook):
    at = open_funnel()
    at.segmented_control(key=GROUP_KEY).set_value("category").run()
    table = at.dataframe[1].value
    assert len(table) == 8
    assert dict(zip(table["问题分类"], table["受理"]))["物业管理"] == 2


def test_one_street_offers_no_street_grouping(sqlite_casebook):
    at = open_funnel(street="S1")
    assert at.segmented_control(key=GROUP_KEY).options == ["整体", "按社区", "按分类"]
    _, (data,) = chart_data(at)
    assert list(data["count"]) == [4, 4, 4, 4, 3, 3, 2]


def test_a_grouping_the_filter_no_longer_offers_falls_back_to_overall(sqlite_casebook):
    # Regression guard: "by street" chosen earlier, then the filter narrows to one street.
    at = open_funnel(state={GROUP_KEY: "street"}, street="S1")
    assert not at.exception
    assert at.segmented_control(key=GROUP_KEY).value == "all"


def test_empty_period_explains_itself(sqlite_casebook):
    at = open_funnel(now=dt.datetime(2026, 6, 15, 9, 0))  # the case book has no June tickets
    assert not at.exception
    assert "没有工单" in at.info[0].value
    assert not at.get("vega_lite_chart") and not at.metric


def test_funnel_page_in_english(sqlite_casebook, monkeypatch):
    # AppTest formats the sidebar's choices outside the script run when it switches pages, where the
    # session's language is not visible: pin the language for the whole test (as tests/test_page_overdue.py).
    monkeypatch.setattr("ui.i18n.current_language", lambda: "en")
    at = open_funnel(lang="en")
    assert not at.exception
    assert at.title[0].value == "Ticket flow"
    _, (data,) = chart_data(at)
    assert list(data["stage_label"])[:3] == ["Received", "Dispatched", "Signed for"]
    assert [m.label for m in at.metric] == ["Returns", "Extensions", "Escalations", "Whistles blown", "Reopened"]


def _community_page_script(url: str, now) -> None:  # type: ignore[no-untyped-def]
    """What the community page will do: one community's funnel and trend side by side, under its own prefix."""
    from data_access.scope import Scope
    from domain.settings import DEFAULT_SETTINGS
    from ui import data
    from ui.components.funnel_view import render_funnel
    from ui.components.trend_view import render_trend
    from ui.filter_bar import build_context
    from ui.filters import FilterState

    scope = Scope.district()
    ctx = build_context(url, scope, DEFAULT_SETTINGS, now, FilterState(street="S1", community="C1b", period="this_month"),
                        data.streets(url, scope), data.communities(url, scope))
    render_funnel(ctx, ctx.flt, key_prefix="community")
    render_trend(ctx, ctx.flt, freq="month", group_by="category", key_prefix="community")


def test_renderers_are_reusable_on_another_page(sqlite_casebook):
    at = AppTest.from_function(_community_page_script, args=(sqlite_casebook, NOW), default_timeout=30).run()
    assert not at.exception
    # Inside one community only "overall" and "by category" make sense.
    assert at.segmented_control(key="community_group").options == ["整体", "按分类"]
    _, (data,) = chart_data(at)
    assert list(data["count"]) == [2, 2, 2, 2, 1, 1, 0]  # C1b: T3 (unsatisfied), T4 (open)
    assert at.multiselect(key="community_trend_shown_category").options == ["供水"]
