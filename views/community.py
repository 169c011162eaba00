"""社区 Community: one community on one page — its rates and rank inside its street, its map, funnel,
trend and overdue list."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ui import data, keys
from ui.components.funnel_view import render_funnel
from ui.components.headline import headline, render_headline
from ui.components.map_layers import render_cell_map
from ui.components.overdue_view import render_overdue_list
from ui.components.ranking import ranking_frame
from ui.components.trend_view import render_trend
from ui.filter_bar import page_context
from ui.i18n import literal, t

ctx = page_context()
st.title(t("page.community.title"))

# The community: the sidebar's choice, else one picked here (from the chosen street, if any).
choices = ctx.communities
if ctx.state.street:
    choices = choices[choices["street_id"].isin(ctx.streets.loc[ctx.streets["code"] == ctx.state.street, "id"])]
if choices.empty:
    st.info(t("community.none_in_scope"))
    st.stop()
labels = {c: f"{n}（{s}）" for c, n, s in zip(choices["code"], choices["name"], choices["street_name"])}
code = ctx.state.community or st.selectbox(
    t("community.pick"), list(choices["code"]), key=keys.COMMUNITY_PICK, format_func=labels.__getitem__,
)
row = ctx.communities[ctx.communities["code"] == code].iloc[0]
community_id, street_id = int(row["id"]), int(row["street_id"])
flt = replace(ctx.flt, street_ids=None, community_ids=(community_id,))
previous_flt = replace(ctx.previous_flt, street_ids=None, community_ids=(community_id,))
st.subheader(t("community.heading", community=literal(row["name"]), street=literal(row["street_name"]), since=ctx.since, until=ctx.until))

figures = headline(ctx, flt, previous_flt)

# Its place among the communities of its street, on the same filters.
street_flt = replace(ctx.flt, street_ids=(street_id,), community_ids=None)
ranking = ranking_frame(
    data.counts_by(ctx.url, ctx.scope, street_flt, ctx.now, "community"),
    data.counts_by(ctx.url, ctx.scope, replace(ctx.previous_flt, street_ids=(street_id,), community_ids=None), ctx.now, "community"),
    "community_id",
    ctx.settings,
)
mine = ranking[ranking["community_id"] == community_id].iloc[0]
if bool(mine["ranked"]):
    st.markdown(t("community.rank", rank=int(mine["rank"]), of=int(ranking["ranked"].sum()), street=literal(row["street_name"])))
else:
    st.markdown(t("community.not_ranked", reason=t(f"ranking.reason.{mine['unranked_reason']}"), n=ctx.settings.min_ranked_tickets))

if figures.tickets == 0:
    st.info(t("community.no_tickets"))
else:
    st.caption(t("community.compare_caption", basis=ctx.comparison_text()))
    render_headline(figures, ctx)
    map_tab, funnel_tab, trend_tab = st.tabs([t("community.tab_map"), t("community.tab_funnel"), t("community.tab_trend")])
    with map_tab:
        render_cell_map(ctx, flt, measure="overdue_open", key="community_map", height=460)
    with funnel_tab:
        render_funnel(ctx, flt, key_prefix="community")
    with trend_tab:
        render_trend(ctx, flt, freq="week", group_by=None, key_prefix="community")

st.subheader(t("community.overdue_heading"))
render_overdue_list(ctx, replace(flt, since=None, until=None), key_prefix="community")
