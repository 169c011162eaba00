"""Charts that hold for a single street (issue 10): the Vega-Lite specs of the bar charts and trends for 1, 2
and 44 units — a band of its own per row, every category label kept, rate axes whose tick labels never repeat.

Regressions pinned here: as 东湖街道's secretary the overdue chart of two communities collapsed (labels
overprinted, bars ~1 px high: a fixed height shared by the rows); 4 of 8 bars of 拉低满意率的分类 had no name
(labels thinned out); the monthly 满意率 axis read "93% 93% 93%" (".0%" on a domain under 3 points wide).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from metrics import funnel
from metrics.overdue import LATENESS_BANDS
from ui.components.charts import BAND_LABEL_LIMIT, BAND_STEP, RATE_TICKS, category_movement_chart, rate_axis_format
from ui.components.funnel_view import HEAT_MAP_STEP, grouped_funnel_chart
from ui.components.overdue_view import CHART_TOP_COMMUNITIES, summary_chart
from ui.components.trend_view import pull_down_chart, trend_chart

UNITS = [1, 2, 44]
UNIT_IDS = ["1-unit", "2-units", "44-units"]


def names(n: int, suffix: str) -> list[str]:
    # Long names among them: a label limit must cut, never drop, them.
    return [f"第{i + 1}{'号很长很长的名字' if i % 3 == 0 else ''}{suffix}" for i in range(n)]


def spec_of(chart) -> dict:  # type: ignore[no-untyped-def]
    return chart.to_dict()  # validated against the Vega-Lite schema


def encodings(spec: dict, channel: str = "y") -> list[dict]:
    """The `channel` encodings of the view and of every layer in it, nested layers too."""
    found = [spec["encoding"][channel]] if channel in spec.get("encoding", {}) else []
    for layer in spec.get("layer", []):
        found += encodings(layer, channel)
    return found


def assert_every_row_has_its_band(spec: dict, labels: list[str] | None, step: int = BAND_STEP) -> None:
    """Each row a band of `step` px (not a share of a fixed height), every label drawn (none thinned out),
    in the order `labels` when given."""
    assert spec["height"] == {"step": step}
    nominal = [e for e in encodings(spec) if e.get("type") == "nominal"]
    assert nominal
    for encoding in nominal:
        if labels is not None:
            assert encoding["sort"] == labels
        axis = encoding.get("axis", {})
        assert axis.get("labelOverlap") is False and axis.get("labelLimit") == BAND_LABEL_LIMIT


def overdue_summary(n: int) -> pd.DataFrame:
    rows = []
    for i, name in enumerate(names(n, "社区")):
        row = {"community": name, "street": "东湖街道"}
        row.update({f"band_{b}": (i + j) % 3 for j, b in enumerate(LATENESS_BANDS)})
        row["band_gt_7d"] += 1  # at least one ticket per community
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n", UNITS, ids=UNIT_IDS)
def test_overdue_summary_chart_gives_each_community_a_band(n):
    bands = [f"band {b}" for b in LATENESS_BANDS]
    spec = spec_of(summary_chart(overdue_summary(n), bands))
    shown = names(n, "社区")[:CHART_TOP_COMMUNITIES]
    assert_every_row_has_its_band(spec, shown)
    assert set(pd.DataFrame(spec["datasets"][spec["data"]["name"]])["community"]) == set(shown)


def pull_down_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": names(n, "类"),
            "gain": [0.002 * (n - i) for i in range(n)],
            "satisfaction_rate": [0.8] * n,
            "answer_share": [1 / n] * n,
            "shortfall_share": [1 / n] * n,
            "overall_rate": [0.93] * n,
            "callbacks_answered": [100 + i for i in range(n)],
        }
    )


@pytest.mark.parametrize("n", UNITS, ids=UNIT_IDS)
def test_pull_down_chart_names_every_bar(n):
    spec = spec_of(pull_down_chart(pull_down_frame(n)))
    assert_every_row_has_its_band(spec, names(n, "类"))


@pytest.mark.parametrize("n", UNITS, ids=UNIT_IDS)
def test_category_movement_chart_names_every_bar(n):
    frame = pd.DataFrame(
        {"category": names(n, "类"), "tickets": range(n, 0, -1), "tickets_prev": [1] * n, "tickets_delta": [0] * n}
    )
    spec = spec_of(category_movement_chart(frame, top=n))
    assert_every_row_has_its_band(spec, None)  # sorted by tickets ("-x")
    assert len(spec["datasets"][spec["data"]["name"]]) == n


@pytest.mark.parametrize("n", UNITS, ids=UNIT_IDS)
def test_funnel_heat_map_gives_each_group_a_row(n):
    groups = names(n, "社区")
    counts = pd.DataFrame({"group": groups, **{s: [100 - 5 * k] * n for k, s in enumerate(funnel.STAGES)}})
    spec = spec_of(grouped_funnel_chart(funnel.grouped_funnel(counts, "group"), groups, "社区"))
    assert_every_row_has_its_band(spec, groups, HEAT_MAP_STEP)


# --- rate axes ------------------------------------------------------------------------------------------


def tick_labels(low: float, high: float, fmt: str, step: float) -> list[str]:
    """The labels of ticks every `step` (the finest the axis allows) over [low, high], formatted like d3's
    "%" with `fmt`'s decimals: what the axis would print at its densest."""
    decimals = int(fmt[1])
    first = round(low / step) * step
    count = int(round((high - first) / step)) + 1
    return [f"{100 * (first + k * step):.{decimals}f}%" for k in range(count)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.926, 0.934, 0.92], ".1%"),  # the monthly 满意率 of one street: under 3 points wide
        ([0.9301, 0.9304, 0.92], ".1%"),
        ([0.9301, 0.9304], ".2%"),  # one point a month at almost the same rate, no target in view
        ([0.95], ".2%"),  # a single point
        ([0.82, 1.0, 0.92], ".0%"),  # 18 points wide: whole percentages suffice
        ([], ".0%"),
        ([float("nan"), 0.5, 0.9], ".0%"),
    ],
    ids=["one-street-month", "tight-with-target", "tight", "single-point", "wide", "empty", "nan"],
)
def test_rate_axis_format(values, expected):
    assert rate_axis_format(values)[0] == expected


@pytest.mark.parametrize(
    ("low", "high"), [(0.92, 0.934), (0.9301, 0.9304), (0.82, 1.0), (0.5, 0.52)], ids=["1.4pp", "0.03pp", "18pp", "2pp"]
)
def test_rate_axis_labels_are_distinct_and_enough(low, high):
    fmt, step = rate_axis_format([low, high])
    labels = tick_labels(low, high, fmt, step)
    assert len(labels) == len(set(labels))  # the step never goes finer than the format shows
    assert len(labels) >= RATE_TICKS or fmt == ".2%"  # ".2%" is as fine as the axis goes


def trend_frame(n_groups: int, rates: list[float]) -> pd.DataFrame:
    rows = []
    for g in range(n_groups):
        for m, rate in enumerate(rates):
            rows.append(
                {
                    "period_start": pd.Timestamp(dt.date(2026, m + 1, 1)), "period_label": f"2026-{m + 1:02d}",
                    "group": f"第{g + 1}社区", "satisfaction_rate": rate, "resolution_rate": rate,
                    "satisfaction_numerator": "x", "resolution_numerator": "x", "callbacks_answered": 40,
                    "coverage_text": "—", "partial": m == len(rates) - 1,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n", UNITS, ids=UNIT_IDS)
def test_trend_of_a_narrow_month_range_has_distinct_tick_labels(n):
    """The monthly 满意率 of one street: 92.6 %–93.4 % with the 92 % target; '.0%' printed '93% 93% 93%'."""
    spec = spec_of(trend_chart(trend_frame(n, [0.926, 0.93, 0.934, 0.931]), "satisfaction_rate", "month", 0.92, n > 1, 10))
    axes = [e.get("axis") for e in encodings(spec) if e.get("type") == "quantitative"]
    # Every layer (lines, points, the target rule and its label) shares one axis: all say the same.
    assert len(axes) >= 5 and all(a == {"format": ".1%", "tickMinStep": 0.001} for a in axes)
