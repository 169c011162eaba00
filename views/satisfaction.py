"""满意度 Satisfaction: 满意率, 解决率 and 回访覆盖率 for the chosen period; their weekly or monthly trend (overall or
per street, community or category) against the targets; the categories that pull 满意率 down."""

from __future__ import annotations

import streamlit as st

from metrics import rates
from ui import data, keys
from ui.components.funnel_view import grouping_control
from ui.components.kpi import kpi_row
from ui.components.trend_view import render_pull_down, render_trend
from ui.filter_bar import page_context
from ui.i18n import t

KPIS = ("satisfaction_rate", "resolution_rate", "callback_coverage", "dispatched")

ctx = page_context()
counts, _ = data.headline_counts(ctx.url, ctx.scope, ctx.flt, ctx.now)
prev_counts, _ = data.headline_counts(ctx.url, ctx.scope, ctx.previous_flt, ctx.now)

st.title(t("page.satisfaction.title"))
st.caption(
    t("satisfaction.period_caption", since=ctx.since, until=ctx.until, basis=ctx.comparison_text())
)
if counts["dispatched"] == 0:
    st.info(t("satisfaction.no_tickets"))
else:
    current, previous = rates.compute_rates(counts, ctx.settings), rates.compute_rates(prev_counts, ctx.settings)
    kpi_row(KPIS, current, previous, ctx.settings, counts)

st.subheader(t("satisfaction.trend_heading"))
left, right = st.columns(2)
with left:
    freq = st.segmented_control(
        t("satisfaction.freq"), ("week", "month"), format_func=lambda f: t(f"satisfaction.freq_option.{f}"),
        key=f"{keys.SATISFACTION_PAGE}_{keys.TREND_FREQ}", default="week", required=True,
    ) or "week"
with right:
    group_key = f"{keys.SATISFACTION_PAGE}_{keys.TREND_GROUP}"
    group = grouping_control(t("satisfaction.group_by"), ctx.scope, ctx.flt, group_key)
by = None if group == "all" else group
render_trend(ctx, ctx.flt, freq=freq, group_by=by, key_prefix=keys.SATISFACTION_PAGE)

st.subheader(t("satisfaction.pull_down_heading"))
if counts["callbacks_answered"] == 0:
    st.info(t("pulldown.empty"))
else:
    render_pull_down(ctx, ctx.flt)
