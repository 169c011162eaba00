"""网格地图 Grid map: every grid cell of the filtered streets/communities coloured by a chosen measure
(volume, tickets per 10,000 residents, overdue open, satisfaction), with community and street outlines and
names, overdue badges and a legend; picking a cell lists its open tickets. Draws offline (no basemap)."""

from __future__ import annotations

import streamlit as st

from ui import keys
from ui.components.map_layers import render_cell_map, render_open_tickets
from ui.components.map_scale import MEASURES
from ui.data import grid_map as data_map
from ui.filter_bar import page_context
from ui.i18n import literal, t

ctx = page_context()

st.title(t("page.grid_map.title"))
st.caption(t("grid_map.caption", since=ctx.since, until=ctx.until))

measure_column, marks_column = st.columns([3, 1], vertical_alignment="bottom")
with measure_column:
    measure = st.segmented_control(
        t("grid_map.measure"), MEASURES, format_func=lambda m: t(f"metric.{m}.name"),
        key=keys.GRID_MAP_MEASURE, default="tickets", required=True, help=t("grid_map.measure_help"),
    )
with marks_column:
    mark_overdue = st.toggle(
        t("grid_map.mark_overdue"), value=True, key=keys.GRID_MAP_OVERDUE_MARKS, help=t("grid_map.mark_overdue_help")
    )

cell = render_cell_map(ctx, ctx.flt, measure=measure or "tickets", key=keys.GRID_MAP_CHART, mark_overdue=mark_overdue)

figures = data_map.cell_figures(ctx.url, ctx.scope, ctx.flt, ctx.now).set_index("grid_cell_id")
if cell is not None and cell in figures.index:
    row = figures.loc[cell]
    st.subheader(t("grid_map.open_heading", cell=literal(row["name"]), community=literal(row["community_name"]), street=literal(row["street_name"])))
    if row["open"]:
        st.caption(t("grid_map.open_caption", open=int(row["open"]), overdue=int(row["open_overdue"]), since=ctx.since, until=ctx.until))
    render_open_tickets(data_map.open_tickets(ctx.url, ctx.scope, ctx.flt, cell, ctx.now), int(row["open"]))
elif figures["tickets"].any():
    st.caption(t("grid_map.pick_hint"))
