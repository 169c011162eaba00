"""Altair charts shared by the pages, and `show_chart`, which draws every chart of the app.

Chinese renders in the browser with the page's CJK font.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

import altair as alt
import pandas as pd
import streamlit as st

from ui.i18n import current_language, t

CHART_SPECS_KEPT = 2000  # distinct (chart, data, language) specs kept in memory, a few KB each


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
            y=alt.Y("category:N", sort="-x", title=None),
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
        .properties(height=max(180, 28 * len(data)))
    )
