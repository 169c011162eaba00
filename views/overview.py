"""总览 Overview: the three rates, composite, volume, on-time closure and overdue, each against the previous
period; the ranking of streets (or of the communities of one street); the top categories and how they moved."""

from __future__ import annotations

import streamlit as st

from domain.periods import compare_frames
from domain.units import UNIT_COUNT
from ui import data
from ui.components.charts import category_movement_chart, show_chart
from ui.components.headline import headline, render_headline
from ui.components.ranking import ranking_frame, render_ranking
from ui.filter_bar import page_context
from ui.i18n import literal, t

ctx = page_context()
figures = headline(ctx, ctx.flt, ctx.previous_flt)
st.title(t("page.overview.title"))
st.caption(t("overview.period_caption", since=ctx.since, until=ctx.until, basis=ctx.comparison_text()))

if figures.tickets == 0:
    st.info(t("overview.no_tickets"))
else:
    render_headline(figures, ctx)
    if ctx.settings.secretary_sees_district_rank and len(ctx.streets) == 1:
        # A one-street scope (a street secretary): where the street stands among the district's streets.
        standing = data.street_standing(ctx.url, ctx.scope, ctx.flt, ctx.now, ctx.settings)
        if standing is not None:
            name = literal(ctx.streets["name"].iloc[0])
            if standing["ranked"]:
                st.markdown(t("overview.standing", street=name, rank=standing["rank"], ranked=standing["ranked_streets"], streets=standing["streets"]))
            else:
                st.markdown(t("overview.standing_unranked", street=name, reason=t(f"ranking.reason.{standing['reason']}"), streets=standing["streets"]))

    by_unit = "community" if ctx.state.street else "street"
    # The ranking takes the whole width: beside a chart its right-hand columns (得分变化, 超期) were cut off.
    st.subheader(t(f"overview.ranking_{by_unit}"))
    frame = ranking_frame(
        data.counts_by(ctx.url, ctx.scope, ctx.flt, ctx.now, by_unit),
        data.counts_by(ctx.url, ctx.scope, ctx.previous_flt, ctx.now, by_unit),
        f"{by_unit}_id",
        ctx.settings,
    )
    render_ranking(frame, ctx.settings)
    st.caption(t("overview.ranking_note", n=ctx.settings.min_ranked_tickets))
    left, _ = st.columns([3, 2])
    with left:
        st.subheader(t("overview.top_categories"))
        cats = compare_frames(
            data.counts_by(ctx.url, ctx.scope, ctx.flt, ctx.now, "category"),
            data.counts_by(ctx.url, ctx.scope, ctx.previous_flt, ctx.now, "category"),
            ["category"],
            {"tickets": UNIT_COUNT},
        )
        show_chart(category_movement_chart, cats)
