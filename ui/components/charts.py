"""Altair charts shared by the pages, and `show_chart`, which draws every chart of the app.

Chinese renders in the browser with the page's CJK font.
"""

from __future__ import annotations

import importlib
import math
from typing import Any, Callable, Iterable

import altair as alt
import pandas as pd
import streamlit as st

from ui.i18n import current_language, t

CHART_SPECS_KEPT = 2000  # distinct (chart, data, language) specs kept in memory, a few KB each

# Charts with one bar per unit or category hold for 1, 2 or 44 rows (issue 10, "charts that hold for a single
# street"): each row gets a band of its own height (`alt.Step`) instead of a share of a fixed height, which for
# one or two rows gave bars ~1 px high under overprinted labels, and for many rows thinned the labels out.
BAND_STEP = 28  # px per bar row; fits one line of 12 px labels with room between bars
# Category labels are never dropped (labelOverlap=False: with BAND_STEP there is room for each) and cut only
# past this width (px), with an ellipsis; the full name is in the tooltip.
BAND_LABEL_LIMIT = 180
# Rate axes: at least this many distinct tick labels fit a narrow domain (93.0 % … 93.6 %).
RATE_TICKS = 5


def show_chart(build: Callable[..., alt.TopLevelMixin], *args: Any, theme: str | None = "streamlit") -> None:
    """Draw the Altair chart `build(*args)` across the container's width.

    Altair validates every chart against the Vega-Lite JSON schema and deep-copies it as it is built and
    again when Streamlit converts it: 100–700 ms of server CPU per chart, on every run of every page. So
    the Vega-Lite spec is built once per builder, arguments and language (`_chart_spec`, cached), without
    the second validation (the builders are tested), and drawn with `st.vega_lite_chart`.
    """
    spec = _chart_spec(build.__module__, build.__qualname__, current_language(), args)
    st.vega_lite_chart(spec=spec, width="stretch", theme=theme)


@st.cache_data(show_spinner=False, max_entries=CHART_SPECS_KEPT)
def _chart_spec(module: str, name: str, language: str, args: tuple) -> dict:
    """The Vega-Lite spec of builder `module.name` applied to `args`. `language` is part of the key: the
    builders' texts come from the viewer's language (ui.i18n)."""
    build = getattr(importlib.import_module(module), name)
    spec = build(*args).to_dict(validate=False)
    # Altair's default theme sizes views at 300 × 300; Streamlit draws charts without it (width from the
    # container, height from the chart).
    view = spec.get("config", {}).get("view", {})
    for key in ("continuousWidth", "continuousHeight"):
        view.pop(key, None)
    if "config" in spec and not spec["config"].get("view"):
        spec["config"].pop("view", None)
        if not spec["config"]:
            del spec["config"]
    return spec


def band_axis(**settings: Any) -> alt.Axis:
    """The axis of a bar chart's categories: every label shown (none thinned out), long ones cut at
    BAND_LABEL_LIMIT px."""
    return alt.Axis(labelOverlap=False, labelLimit=BAND_LABEL_LIMIT, **settings)


def rate_axis_format(values: Iterable[float], ticks: int = RATE_TICKS) -> tuple[str, float]:
    """The d3 format and the smallest tick step of a rate axis (fractions 0–1, shown as %) whose domain spans
    `values`: as many decimals as it takes for `ticks` ticks of distinct labels, at most two.

    With a fixed ".0%" a domain of 92.6 %–95.4 % gets ticks every 0.5 % and reads "95% 94% 94% 93% 93%"; the
    step is never finer than the format shows, so no two ticks print the same label."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    span = max(finite) - min(finite) if finite else 1.0
    for decimals in (0, 1, 2):
        step = 10.0 ** -(decimals + 2)
        if span >= step * (ticks - 1) or decimals == 2:
            return f".{decimals}%", step
    raise AssertionError("unreachable")


def rate_axis(values: Iterable[float], **settings: Any) -> alt.Axis:
    """A % axis for rates spanning `values` whose tick labels never repeat (see `rate_axis_format`)."""
    fmt, step = rate_axis_format(values)
    return alt.Axis(format=fmt, tickMinStep=step, **settings)


def category_movement_chart(frame: pd.DataFrame, top: int = 10) -> alt.Chart:
    """Horizontal bars of the top categories by tickets, coloured by their change against the previous period.

    `frame` has columns category, tickets, tickets_prev, tickets_delta.
    """
    data = frame.sort_values(["tickets", "category"], ascending=[False, True]).head(top).copy()
    data["direction"] = [
        t("chart.up") if d > 0 else t("chart.down") if d < 0 else t("chart.flat") for d in data["tickets_delta"].fillna(0)
    ]
    data["tickets_prev"] = data["tickets_prev"].fillna(0).astype(int)
    data["tickets_delta"] = data["tickets_delta"].fillna(data["tickets"]).astype(int)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("tickets:Q", title=t("metric.tickets.name")),
            y=alt.Y("category:N", sort="-x", title=None, axis=band_axis()),
            color=alt.Color(
                "direction:N",
                title=t("chart.vs_previous"),
                scale=alt.Scale(domain=[t("chart.up"), t("chart.flat"), t("chart.down")], range=["#d62728", "#9e9e9e", "#2ca02c"]),
            ),
            tooltip=[
                alt.Tooltip("category:N", title=t("filter.category")),
                alt.Tooltip("tickets:Q", title=t("chart.this_period")),
                alt.Tooltip("tickets_prev:Q", title=t("chart.previous_period")),
                alt.Tooltip("tickets_delta:Q", title=t("chart.change"), format="+d"),
            ],
        )
        .properties(height=alt.Step(BAND_STEP))
    )
