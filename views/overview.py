"""总览 Overview: the three rates, composite, volume, on-time closure and overdue, each against the previous
period; the ranking of streets (or of the communities of one street); the top categories and how they moved."""

from __future__ import annotations

import streamlit as st

from metrics import rates
from domain.units import UNIT_COUNT
from domain.periods import compare_frames
from ui import data
from ui.components.charts import category_movement_chart, show_chart
from ui.filter_bar import page_context
from ui.i18n import t
from ui.components.kpi import kpi_row
from ui.components.ranking import ranking_frame, render_ranking

ctx = page_context()
counts, median = data.headline_counts(ctx.url, ctx.scope, ctx.flt, ctx.now)
prev_counts, prev_median = data.headline_counts(ctx.url, ctx.scope, ctx.previous_flt, ctx.now)
current = rates.headline_measures(counts, median, ctx.settings)
previous = rates.headline_measures(prev_counts, prev_median, ctx.settings)
prev_since, prev_until = ctx.previous_window

st.title(t("page.overview.title"))
st.caption(t("overview.period_caption", since=ctx.since, until=ctx.until, prev_since=prev_since, prev_until=prev_until))

if current["tickets"] == 0:
    st.info(t("overview.no_tickets"))
else:
    kpi_row(("response_rate", "resolution_rate", "satisfaction_rate", "callback_coverage", "composite"), current, previous, ctx.settings, counts)
    kpi_row(("tickets", "on_time_close_rate", "overdue_open", "median_hours_to_close"), current, previous, ctx.settings, counts)

    by_unit = "community" if ctx.state.street else "street"
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t(f"overview.ranking_{by_unit}"))
        frame = ranking_frame(
            data.counts_by(ctx.url, ctx.scope, ctx.flt, ctx.now, by_unit),
            data.counts_by(ctx.url, ctx.scope, ctx.previous_flt, ctx.now, by_unit),
            f"{by_unit}_id",
            ctx.settings,
        )
        render_ranking(frame, ctx.settings)
        st.caption(t("overview.ranking_note", n=ctx.settings.min_ranked_tickets))
    with right:
        st.subheader(t("overview.top_categories"))
        cats = compare_frames(
            data.counts_by(ctx.url, ctx.scope, ctx.flt, ctx.now, "category"),
            data.counts_by(ctx.url, ctx.scope, ctx.previous_flt, ctx.now, "category"),
            ["category"],
            {"tickets": UNIT_COUNT},
        )
        show_chart(category_movement_chart, cats)

st.caption(t("app.data_read_at", at=ctx.now.strftime("%Y-%m-%d %H:%M")))
