"""AppTest of the 满意度 page on the case book at NOW (2026-11-20 12:00, "this month" = November 1–20).

Answered callbacks by received week (T9 is October's, inside the trend window but not the cards' period):
    week of 10-12  T9  solved, satisfied          week of 10-26  T1  solved, satisfied
    week of 11-02  T2  partly, basic; T3 unsolved, unsatisfied
Due for a callback (dispatched hotline/web, closed or past due): 10-12 T9 ✓, 10-26 T1 ✓, 11-02 T2 ✓ T3 ✓,
11-09 T4 (overdue, no callback), 11-16 T10 (closed, not reached); T5 and T11 are not due yet at NOW.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from helpers import APP, NOW
from ui import keys

PAGE = "views/satisfaction.py"
FREQ_KEY = f"{keys.SATISFACTION_PAGE}_{keys.TREND_FREQ}"
GROUP_KEY = f"{keys.SATISFACTION_PAGE}_{keys.TREND_GROUP}"
SATISFACTION, RESOLUTION, COVERAGE, PULL_DOWN = range(4)  # the page's charts, in order


@pytest.fixture(autouse=True)
def _rates_of_a_few_callbacks(sqlite_casebook, tmp_path, monkeypatch):  # after the case book, which clears the settings
    """The case book has 3 answered callbacks in November: with the default minimum (10) no rate would show.
    These tests check the rates themselves, so the minimum is 1 here (test_too_few_callbacks_* use 10)."""
    settings_file = tmp_path / "few.toml"
    settings_file.write_text("min_rate_callbacks = 1\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(settings_file))




def open_page(lang: str = "zh", now: dt.datetime = NOW, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[keys.NOW_OVERRIDE] = now
    at.session_state[keys.TEST_ACCOUNT] = "supervisor"  # signed in, whole district
    at.query_params["period"] = "this_month"
    if lang != "zh":
        at.query_params["lang"] = lang
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(PAGE).run()


def chart(at: AppTest, index: int) -> tuple[dict, list[pd.DataFrame]]:
    """The Vega-Lite spec of a chart and its datasets as frames (Arrow IPC streams)."""
    element = at.get("vega_lite_chart")[index]
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]
    return json.loads(element.proto.spec), frames


def points(at: AppTest, index: int, column: str) -> pd.DataFrame:
    """The rows of chart `index` that carry `column` (the data behind its lines or bars)."""
    _, frames = chart(at, index)
    found = [f for f in frames if column in f.columns and "period_start" in f.columns]
    assert found, f"no data with {column}"
    # Layers (solid line, dashed tail, filled and hollow points) carry overlapping rows: each period once.
    keys = ["period_start", *(["group"] if "group" in found[0].columns else [])]
    return pd.concat(found).drop_duplicates(subset=keys).sort_values(keys, ignore_index=True)


def _weeks(frame: pd.DataFrame) -> list[str]:
    return [f"{pd.Timestamp(d):%m-%d}" for d in frame["period_start"]]


def test_cards_follow_the_filter_period(sqlite_casebook):
    at = open_page()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values == {"满意率": "66.7%", "解决率": "50.0%", "回访覆盖率": "60.0%", "派单量": "7"}
    help_text = {m.label: m.help for m in at.metric}["满意率"]
    assert "分子 满意 1 + 基本满意 1，分母 有答复回访 3" in help_text


def test_weekly_trend_covers_at_least_twelve_weeks_and_says_so(sqlite_casebook):
    at = open_page()
    captions = " ".join(c.value for c in at.caption)
    assert "趋势图按周（周一至周日）显示 2026-08-31 至 2026-11-20" in captions
    assert "至少最近 12 周" in captions


@pytest.mark.parametrize(
    "index, column, weeks, values",
    [
        (SATISFACTION, "satisfaction_rate", ["10-12", "10-26", "11-02"], [1.0, 1.0, 0.5]),
        (RESOLUTION, "resolution_rate", ["10-12", "10-26", "11-02"], [1.0, 1.0, 0.25]),
        (COVERAGE, "callback_coverage", ["10-12", "10-26", "11-02", "11-09", "11-16"], [1.0, 1.0, 1.0, 0.0, 0.0]),
    ],
    ids=["satisfaction", "resolution", "coverage"],
)
def test_weekly_trend_values(sqlite_casebook, index, column, weeks, values):
    frame = points(open_page(), index, column)
    assert _weeks(frame) == weeks
    assert list(frame[column]) == pytest.approx(values)


def test_trend_hover_explains_numerator_and_denominator(sqlite_casebook):
    frame = points(open_page(), SATISFACTION, "satisfaction_rate")
    week = frame.iloc[-1]  # week of 11-02
    assert week["satisfaction_numerator"] == "满意 0 + 1 × 基本满意 1"
    assert week["callbacks_answered"] == 2
    assert week["coverage_text"] == "100.0%（2 ÷ 2）"
    assert week["period_label"] == "2026-11-02 – 11-08"


def test_the_unfinished_week_is_marked(sqlite_casebook):
    frame = points(open_page(), COVERAGE, "callback_coverage")
    assert list(frame["period_label"])[-2:] == ["2026-11-09 – 11-15", "2026-11-16 – 11-22（未满，数据截至 11-20）"]


@pytest.mark.parametrize(
    "index, target", [(SATISFACTION, 0.92), (RESOLUTION, 0.90)], ids=["satisfaction-target", "resolution-target"]
)
def test_target_lines_come_from_the_settings(sqlite_casebook, index, target):
    spec, frames = chart(open_page(), index)
    (rule,) = [f for f in frames if "target" in f.columns]
    assert rule["target"].iloc[0] == pytest.approx(target)
    assert {"rule"} <= {layer.get("mark", {}).get("type") for layer in spec["layer"]}


def test_target_line_follows_a_settings_file(sqlite_casebook, tmp_path, monkeypatch):
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text("target_satisfaction_rate = 0.8\nmin_rate_callbacks = 1\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(settings_file))
    _, frames = chart(open_page(), SATISFACTION)
    (rule,) = [f for f in frames if "target" in f.columns]
    assert rule["target"].iloc[0] == pytest.approx(0.8) and rule["label"].iloc[0] == "目标 80%"


def test_switching_to_monthly(sqlite_casebook):
    at = open_page()
    at.segmented_control(key=FREQ_KEY).set_value("month").run()
    assert not at.exception
    assert "趋势图按月显示 2025-12-01 至 2026-11-20" in " ".join(c.value for c in at.caption)
    frame = points(at, SATISFACTION, "satisfaction_rate")
    assert list(frame["period_label"]) == ["2026-10", "2026-11（未满，数据截至 11-20）"]
    assert list(frame["satisfaction_rate"]) == pytest.approx([1.0, 2 / 3])


def test_switching_to_by_street_draws_one_line_per_street(sqlite_casebook):
    at = open_page()
    at.segmented_control(key=GROUP_KEY).set_value("street").run()
    assert not at.exception
    spec, _ = chart(at, SATISFACTION)
    assert spec["layer"][0]["encoding"]["color"]["field"] == "group"  # the lines
    # 西苑街道 has no answered callback in the window: nothing to draw, so it is not offered.
    shown = at.multiselect(key=f"{keys.SATISFACTION_PAGE}_{keys.TREND_SHOWN}_street")
    assert shown.options == ["东湖街道"] and shown.value == ["东湖街道"]
    frame = points(at, SATISFACTION, "satisfaction_rate")
    assert set(frame["group"]) == {"东湖街道"}
    assert list(frame["satisfaction_rate"]) == pytest.approx([1.0, 1.0, 0.5])


def test_choosing_which_categories_to_draw(sqlite_casebook):
    at = open_page()
    at.segmented_control(key=GROUP_KEY).set_value("category").run()
    shown = at.multiselect(key=f"{keys.SATISFACTION_PAGE}_{keys.TREND_SHOWN}_category")
    assert shown.options == ["供暖", "供水", "噪音扰民"]  # 2, 1, 1 answered callbacks (ties by name)
    shown.set_value(["供水"]).run()
    frame = points(at, SATISFACTION, "satisfaction_rate")
    assert set(frame["group"]) == {"供水"} and list(frame["satisfaction_rate"]) == [0.0]


def test_categories_that_pull_satisfaction_down(sqlite_casebook):
    at = open_page()
    assert "总体满意率 66.7%，有答复回访 3 件" in " ".join(c.value for c in at.caption)
    _, (bars,) = chart(at, PULL_DOWN)
    # 供水: 1 of 3 answers, rate 0 against 2/3 → (2/3 × 1 − 0) ÷ 3 = 2/9 ≈ 22.22 pp; the others pull up.
    assert list(bars["category"]) == ["供水"]
    assert bars["gain_pp"].iloc[0] == pytest.approx(200 / 9)
    assert bars["bar_label"].iloc[0] == "0.0%（1 件回访）"
    table = at.dataframe[0].value
    assert list(table["问题分类"]) == ["供水", "供暖", "噪音扰民"]
    assert list(table["拉低幅度（百分点）"]) == pytest.approx([200 / 9, -100 / 9, -100 / 9])


def test_empty_period_and_window_explain_themselves(sqlite_casebook):
    at = open_page(now=dt.datetime(2026, 6, 15, 9, 0))  # the case book has nothing before October
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "没有已派单" in infos and "趋势窗口内没有有答复的回访" in infos and "无法分析" in infos
    assert not at.get("vega_lite_chart") and not at.metric


def test_satisfaction_page_in_english(sqlite_casebook, monkeypatch):
    # AppTest formats the sidebar's choices outside the script run when it switches pages, where the
    # session's language is not visible: pin the language for the whole test (as tests/test_page_overdue.py).
    monkeypatch.setattr("ui.i18n.current_language", lambda: "en")
    at = open_page(lang="en")
    assert not at.exception
    assert at.title[0].value == "Satisfaction"
    assert {m.label for m in at.metric} == {"Satisfaction rate", "Resolution rate", "Callback coverage", "Dispatched"}
    frame = points(at, SATISFACTION, "satisfaction_rate")
    assert frame["satisfaction_numerator"].iloc[-1] == "satisfied 0 + 1 × basically satisfied 1"


def test_too_few_callbacks_draw_no_point_and_say_so(sqlite_casebook, monkeypatch):
    monkeypatch.delenv("DASHBOARD_SETTINGS")  # the default minimum: 10 answered callbacks
    at = open_page()
    assert not at.exception
    card = {m.label: m for m in at.metric}["满意率"]
    assert (card.value, card.delta) == ("—", "样本不足")
    _, frames = chart(at, SATISFACTION)
    assert not any("satisfaction_rate" in f.columns and len(f) for f in frames)  # no point of 1–2 callbacks
    assert "少于 10 件（样本不足），不画点" in " ".join(c.value for c in at.caption)


def test_the_week_not_over_yet_is_hollow_and_dashed(sqlite_casebook):
    at = open_page(now=dt.datetime(2026, 11, 4, 12, 0))  # Wednesday: the week of 11-02 has T2's and T3's callbacks
    spec, frames = chart(at, SATISFACTION)
    marks = [(layer.get("mark", {}).get("type"), layer.get("mark", {}).get("filled"), layer.get("mark", {}).get("strokeDash"))
             for layer in spec["layer"]]
    assert ("point", False, None) in marks and ("line", None, [4, 3]) in marks
    hollow = [f for f in frames if "partial" in f.columns and len(f) and f["partial"].all()]
    assert hollow and {f"{pd.Timestamp(d):%m-%d}" for f in hollow for d in f["period_start"]} == {"11-02"}
    assert "空心点和虚线：本期尚未结束（截至 11-04）" in " ".join(c.value for c in at.caption)
