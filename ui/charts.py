"""Altair charts shared by the pages. Chinese renders in the browser with the page's CJK font."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui.i18n import t


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
