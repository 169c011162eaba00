"""The grid map: a pydeck deck of grid cells coloured by a measure, with community and street outlines and
names, overdue badges, a tooltip per cell, and a legend drawn with Streamlit beside it.

It draws offline: the basemap style is the local `static/style.json` (a plain background), so the browser
asks nothing of the internet and needs no token; the outlines and names come from the cells themselves.
`render_cell_map` is the reusable component (the grid map page, the community page).
"""

from __future__ import annotations

import html
import json
from typing import Any, Iterable, Mapping

import pandas as pd
import pydeck as pdk
import streamlit as st

from data_access.scope import TicketFilter
from domain.settings import Settings
from domain.units import UNIT_COUNT, UNIT_PER_10K, UNIT_RATE
from ui import map_geo
from ui.components import map_scale
from ui.components.kpi import metric_help
from ui.data import grid_map as data_map
from ui.filter_bar import PageContext
from ui.i18n import t

# Served by Streamlit's static file serving (server.enableStaticServing); a background layer only.
MAP_STYLE = "/app/static/style.json"


class CompactDeck(pdk.Deck):
    """A pydeck Deck whose JSON is compact UTF-8: pydeck indents it and escapes every Chinese character
    (6 bytes each), which more than doubled what each map view sends to the browser (410 KB → ~150 KB for
    305 cells)."""

    def to_json(self) -> str:
        return json.dumps(json.loads(super().to_json()), ensure_ascii=False, separators=(",", ":"))
CELL_LAYER = "cells"
# The map column is about this wide on a laptop in the wide layout; the view is fitted to it.
MAP_WIDTH_HINT_PX = 780
FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
# Once a cell is picked, Streamlit fades every object it did not pick in every layer whose colour accessor
# is set (getColor of paths and text, getFillColor of polygons, all colours of scatterplots). So the
# outlines are unfilled polygons (their line colour is left alone), the names use the default black, and
# the badges are text on a coloured background: the map stays legible around the picked cell.
CELL_EDGE = [255, 255, 255, 230]
COMMUNITY_EDGE = [51, 65, 85, 235]
STREET_EDGE = [15, 23, 42, 255]
PICKED_EDGE = [249, 115, 22, 255]  # orange: stands out on every palette of map_scale
COMMUNITY_WIDTH = 2.5  # px
STREET_WIDTH = 4.5  # px
PICKED_WIDTH = 4  # px
COMMUNITY_TEXT_PX = 13
STREET_TEXT_PX = 18
BADGE_TEXT_PX = 12
BADGE_RADIUS_PX = 10  # half the badge's size, for keeping names off it
BADGE_FILL = [239, 68, 68, 255]
WHITE = [255, 255, 255, 255]


def _literal(text: str) -> str:
    """A string prop passed as is: pydeck turns bare strings into accessor expressions, quoted ones not."""
    if "`" in text:
        raise ValueError("a literal prop cannot contain a backtick")
    return f"`{text}`"


def _character_set(texts: Iterable[str]) -> str:
    """Every character the labels use (the TextLayer's font atlas holds only ASCII otherwise)."""
    return _literal("".join(sorted(set("".join(texts)) | set("0123456789"))))


# ---------------------------------------------------------------------------------------- values


def format_measure(value: Any, unit: str) -> str:
    """A cell's value for the tooltip ("—" when undefined)."""
    if value is None or pd.isna(value):
        return "—"
    if unit == UNIT_RATE:
        return f"{value:.1%}"
    if unit == UNIT_PER_10K:
        return f"{value:,.1f}"
    return f"{int(value):,}"


def cell_rows(values: pd.DataFrame, geometry: map_geo.MapGeometry, measure: str, scale: map_scale.ColourScale, settings: Settings) -> list[dict]:
    """One row per polygon of every cell that has a shape: polygon, fill colour and the tooltip's texts."""
    rows: list[dict] = []
    for r in values.itertuples(index=False):
        shape = geometry.cells.get(int(r.grid_cell_id))
        if shape is None:
            continue
        answered = int(r.callbacks_answered)
        texts = {
            "tickets": format_measure(r.tickets, UNIT_COUNT),
            "per_10k": format_measure(r.tickets_per_10k, UNIT_PER_10K)
            if not pd.isna(r.tickets_per_10k) else t("grid_map.missing.tickets_per_10k"),
            "population": format_measure(r.population, UNIT_COUNT),
            "open": format_measure(r.open, UNIT_COUNT),
            "overdue": format_measure(r.open_overdue, UNIT_COUNT),
            "satisfaction": format_measure(r.satisfaction_rate, UNIT_RATE)
            if answered >= settings.public_min_count else t("grid_map.too_few_callbacks_short", n=answered),
            "answered": f"{answered:,}",
        }
        common = {
            "grid_cell_id": int(r.grid_cell_id),
            "fill": list(scale.colour(getattr(r, measure))),
            "name": html.escape(str(r.name)),
            "community": html.escape(str(r.community_name)),
            "street": html.escape(str(r.street_name)),
            "value": texts[TOOLTIP_FIELD[measure]],
            **texts,
        }
        rows.extend({**common, "polygon": polygon} for polygon in shape.polygons)
    return rows


# The tooltip field that shows each measure.
TOOLTIP_FIELD = {"tickets": "tickets", "tickets_per_10k": "per_10k", "overdue_open": "overdue", "satisfaction_rate": "satisfaction"}


def tooltip(measure: str) -> dict:
    """The hover card of a cell: its name, community and street, the chosen measure, then every figure."""
    line = '<div style="display:flex;justify-content:space-between;gap:12px"><span>{}</span><b>{}</b></div>'
    figures = [
        (t("metric.tickets.name"), "{tickets}"),
        (t("metric.tickets_per_10k.name"), "{per_10k}"),
        (t("grid_map.tip.population"), "{population}"),
        (t("grid_map.tip.open"), "{open}"),
        (t("metric.overdue_open.name"), "{overdue}"),
        (t("metric.satisfaction_rate.name"), "{satisfaction}"),
        (t("grid_map.tip.answered"), "{answered}"),
    ]
    body = "".join(line.format(label, value) for label, value in figures)
    return {
        "html": (
            '<div style="font-size:15px;font-weight:600">{name}</div>'
            '<div style="color:#475569;margin-bottom:6px">{community} · {street}</div>'
            f'<div style="margin-bottom:6px">{t("grid_map.tip.measure", name=t(f"metric.{measure}.name"), value="<b>{value}</b>")}</div>'
            f"{body}"
            f'<div style="color:#64748b;margin-top:6px;font-size:12px">{t("grid_map.click_hint")}</div>'
        ),
        "style": {"backgroundColor": "white", "color": "#0f172a", "fontSize": "13px", "padding": "10px",
                  "borderRadius": "6px", "boxShadow": "0 2px 8px rgba(0,0,0,.25)", "minWidth": "220px"},
    }


# ------------------------------------------------------------------------------------------ deck


def _text_layer(layer_id: str, rows: list[dict], size: int, weight: str, **props: Any) -> pdk.Layer:
    """Names in a CJK font (the atlas holds exactly the characters used), default black (see above)."""
    return pdk.Layer(
        "TextLayer", data=rows, id=layer_id, pickable=False,
        get_position="position", get_text="text", get_size=size,
        get_text_anchor=_literal("middle"), get_alignment_baseline=_literal("center"),
        character_set=_character_set(r["text"] for r in rows), font_family=_literal(FONT_FAMILY),
        font_weight=_literal(weight), **props,
    )


def _halo_text_layer(layer_id: str, rows: list[dict], size: int, weight: str, halo: int) -> pdk.Layer:
    """Names with a white halo (an SDF font with an outline), readable on any cell colour."""
    return _text_layer(
        layer_id, rows, size, weight, font_settings={"sdf": True, "fontSize": 64, "buffer": 8, "radius": 16},
        outline_width=halo, outline_color=WHITE,
    )


def _outline_layer(layer_id: str, rings: list, colour: list[int], width: float) -> pdk.Layer:
    return pdk.Layer(
        "PolygonLayer", data=[{"polygon": r} for r in rings], id=layer_id, get_polygon="polygon",
        filled=False, stroked=True, get_line_color=colour, get_line_width=width,
        line_width_units=_literal("pixels"), line_joint_rounded=True, pickable=False,
    )


def place_names(
    geometry: map_geo.MapGeometry, badges: list[dict], zoom: float, cell_names: Mapping[int, str] | None = None
) -> tuple[list[tuple[str, float, float]], list[tuple[str, float, float]]]:
    """(bold names, plain names) as (text, lon, lat) for the opening zoom.

    Bold: street names, when more than one street is shown, each on its cell clearest of community names
    and overdue badges. Plain: community names, each on the first of its spots that overlaps no street
    name, badge or bigger community's name (a community with no free spot stays unnamed: its name is in the
    tooltip, and shows once the map is narrowed to its street). With a single community in view (the
    community page), its cells are named instead, from `cell_names`, where they fit."""
    streets: list[tuple[str, float, float]] = []
    if len(geometry.street_spots) > 1:
        avoid = [s.centre for s in geometry.community_spots] + [tuple(b["position"]) for b in badges]
        streets = [(s.name, *map_geo.clear_point(s.candidates, s.centre, avoid)) for s in geometry.street_spots]
    fixed = [map_geo.text_box(name, lon, lat, STREET_TEXT_PX, zoom) for name, lon, lat in streets]
    fixed += [map_geo.circle_box(*b["position"], BADGE_RADIUS_PX, zoom) for b in badges]
    if len(geometry.community_spots) == 1 and cell_names:
        spots = [(cell_names[c], [shape.centroid]) for c, shape in geometry.cells.items() if c in cell_names]
    else:
        spots = [(s.name, s.candidates) for s in geometry.community_spots]
    options = [[map_geo.text_box(name, *p, COMMUNITY_TEXT_PX, zoom) for p in points] for name, points in spots]
    plain = [(name, *points[i]) for (name, points), i in zip(spots, map_geo.place_labels(fixed, options)) if i is not None]
    return streets, plain


def build_deck(
    values: pd.DataFrame, geometry: map_geo.MapGeometry, measure: str, scale: map_scale.ColourScale, settings: Settings,
    *, height: int, mark_overdue: bool = True, picked: int | None = None,
) -> pdk.Deck:
    """The deck: cells (pickable, id CELL_LAYER), community and street outlines, the picked cell's outline,
    overdue badges, community names and — when more than one street is shown — street names, fitted to
    the cells."""
    layers = [
        pdk.Layer(
            "PolygonLayer", data=cell_rows(values, geometry, measure, scale, settings), id=CELL_LAYER,
            get_polygon="polygon", get_fill_color="fill", get_line_color=CELL_EDGE, line_width_units=_literal("pixels"),
            get_line_width=1, stroked=True, filled=True, pickable=True, auto_highlight=True,
            highlight_color=[255, 255, 255, 90],
        ),
        _outline_layer("community-outlines", geometry.community_outlines, COMMUNITY_EDGE, COMMUNITY_WIDTH),
        _outline_layer("street-outlines", geometry.street_outlines, STREET_EDGE, STREET_WIDTH),
    ]
    if picked is not None and picked in geometry.cells:
        rings = [polygon[0] for polygon in geometry.cells[picked].polygons]
        layers.append(_outline_layer("picked-cell", rings, PICKED_EDGE, PICKED_WIDTH))
    badges: list[dict] = []
    if mark_overdue:
        badges = [
            {"position": list(geometry.cells[int(c)].badge), "text": str(int(n))}
            for c, n in zip(values["grid_cell_id"], values["open_overdue"])
            if n > 0 and int(c) in geometry.cells
        ]
        layers.append(
            _text_layer(
                "overdue-badges", badges, BADGE_TEXT_PX, "bold", background=True, get_background_color=BADGE_FILL,
                get_border_color=WHITE, get_border_width=1.5, background_padding=[5, 2, 5, 2],
                background_border_radius=8,
            )
        )
    lat, lon, zoom = map_geo.fit_view(geometry.box, MAP_WIDTH_HINT_PX, height) if geometry.box else (0.0, 0.0, 1.0)
    zoom = round(zoom, 2)
    cell_names = {int(c): map_geo.short_cell_name(str(n), str(m)) for c, n, m in zip(values["grid_cell_id"], values["name"], values["community_name"])}
    streets, communities = place_names(geometry, badges, zoom, cell_names)
    layers.append(_halo_text_layer("community-labels", _label_rows(communities), COMMUNITY_TEXT_PX, "normal", 5))
    if streets:
        layers.append(_halo_text_layer("street-labels", _label_rows(streets), STREET_TEXT_PX, "bold", 6))
    return CompactDeck(
        layers=layers,
        initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom, pitch=0, bearing=0, max_zoom=18),
        map_style=MAP_STYLE,
        tooltip=tooltip(measure),
    )


def _label_rows(labels: list[tuple[str, float, float]]) -> list[dict]:
    return [{"text": name, "position": [lon, lat]} for name, lon, lat in labels]


# ---------------------------------------------------------------------------------------- legend


def legend_entries(scale: map_scale.ColourScale, measure: str) -> list[tuple[list[int], str]]:
    """(colour, label) per class of the scale, in the viewer's language."""
    unit = map_scale.MEASURE_UNITS[measure]
    entries = []
    for b in scale.legend(lowest=1 if unit == UNIT_COUNT else None):
        if b.kind == "zero":
            label = "0"
        elif b.kind == "missing":
            if measure not in ("satisfaction_rate", "tickets_per_10k"):
                continue  # counts are never missing
            label = t(f"grid_map.missing.{measure}")
        else:
            label = map_scale.range_label(b.low, b.high, unit)
        entries.append((list(b.colour), label))
    return entries


def _swatch(colour: list[int] | tuple[int, ...], label: str) -> str:
    r, g, b = colour[:3]
    return (
        f'<div style="display:flex;align-items:center;gap:8px;margin:3px 0">'
        f'<span style="width:18px;height:18px;border-radius:3px;background:rgb({r},{g},{b});'
        f'border:1px solid rgba(0,0,0,.25);flex:none"></span><span>{html.escape(label)}</span></div>'
    )


def _badge(label: str) -> str:
    r, g, b = BADGE_FILL[:3]
    return (
        f'<div style="display:flex;align-items:center;gap:8px;margin:3px 0">'
        f'<span style="min-width:18px;height:18px;border-radius:9px;background:rgb({r},{g},{b});color:black;'
        f'font-weight:700;font-size:12px;line-height:18px;text-align:center;flex:none">2</span>'
        f"<span>{html.escape(label)}</span></div>"
    )


def _rule(colour: list[int], width: float, label: str) -> str:
    r, g, b = colour[:3]
    return (
        f'<div style="display:flex;align-items:center;gap:8px;margin:3px 0">'
        f'<span style="width:18px;height:0;border-top:{width}px solid rgb({r},{g},{b});flex:none"></span>'
        f"<span>{html.escape(label)}</span></div>"
    )


def render_legend(scale: map_scale.ColourScale, measure: str, settings: Settings, mark_overdue: bool) -> None:
    st.markdown(f"**{t(f'metric.{measure}.name')}**", help=metric_help(measure, settings))
    classes = "".join(_swatch(c, label) for c, label in legend_entries(scale, measure))
    marks = _rule(STREET_EDGE, STREET_WIDTH, t("grid_map.legend.street")) + _rule(COMMUNITY_EDGE, COMMUNITY_WIDTH, t("grid_map.legend.community"))
    if mark_overdue:
        marks += _badge(t("grid_map.legend.overdue_badge"))
    st.markdown(f'<div style="font-size:14px">{classes}<hr style="margin:8px 0">{marks}</div>', unsafe_allow_html=True)
    if measure == "satisfaction_rate":
        st.caption(t("grid_map.legend.satisfaction_note", n=settings.public_min_count))
    elif map_scale.MEASURE_UNITS[measure] != UNIT_RATE:
        st.caption(t("grid_map.legend.relative_note"))


# ------------------------------------------------------------------------------------- selection


def selected_cell_id(state: Mapping[str, Any] | None, cells: Iterable[int] | None = None) -> int | None:
    """The grid cell picked on the map, from the chart's selection state ({"selection": {"indices": …,
    "objects": {CELL_LAYER: [row]}}}); None when nothing is picked or the cell is no longer shown."""
    selection = (state or {}).get("selection") or {}
    picked = (selection.get("objects") or {}).get(CELL_LAYER) or []
    if not picked or not isinstance(picked[0], Mapping) or picked[0].get("grid_cell_id") is None:
        return None
    cell = int(picked[0]["grid_cell_id"])
    return cell if cells is None or cell in set(cells) else None


# ------------------------------------------------------------------------------------- component


def render_cell_map(
    ctx: PageContext, flt: TicketFilter, *, measure: str, key: str, height: int = 560, mark_overdue: bool = True
) -> int | None:
    """Draw the map of the cells `flt` covers, coloured by `measure` (one of map_scale.MEASURES), with its legend;
    return the grid_cell_id the viewer picked, or None. Explains itself instead when there is nothing to draw."""
    figures = data_map.cell_figures(ctx.url, ctx.scope, flt, ctx.now)
    if figures.empty:
        st.info(t("grid_map.no_cells"))
        return None
    if int(figures["tickets"].sum()) == 0:
        st.info(t("grid_map.no_tickets"))
        return None
    geometry = data_map.map_geometry(ctx.url, ctx.scope, flt.street_ids, flt.community_ids)
    values = map_scale.cell_measures(figures, ctx.settings)
    scale = map_scale.measure_scale(measure, values[measure])
    # The units are part of the key: the chart keeps a selection by row index, which would point at
    # another cell once a different street's cells are drawn.
    chart_key = f"{key}:{flt.street_ids}:{flt.community_ids}"
    picked = selected_cell_id(st.session_state.get(chart_key), geometry.cells)
    deck = build_deck(values, geometry, measure, scale, ctx.settings, height=height, mark_overdue=mark_overdue, picked=picked)
    map_column, legend_column = st.columns([4, 1])
    with map_column:
        state = st.pydeck_chart(
            deck, on_select="rerun", selection_mode="single-object", height=height, width="stretch",
            key=chart_key, alt=t("grid_map.alt"),
        )
    with legend_column:
        render_legend(scale, measure, ctx.settings, mark_overdue)
    if geometry.unreadable:
        st.warning(t("grid_map.unreadable", n=len(geometry.unreadable)))
    return selected_cell_id(state, geometry.cells)


# ----------------------------------------------------------------------------------- open tickets


def lateness_text(seconds: float | None) -> str:
    """How late an open ticket is ("超期 3 天 4 小时") or how long it has left ("距时限 5 小时")."""
    if seconds is None or pd.isna(seconds):
        return t("grid_map.no_deadline")
    days, rest = divmod(int(abs(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        span = t("grid_map.span_days", days=days, hours=hours)
    elif hours:
        span = t("grid_map.span_hours", hours=hours)
    else:
        span = t("grid_map.span_minutes", minutes=max(rest // 60, 1))
    return t("grid_map.late_by" if seconds > 0 else "grid_map.due_in", span=span)


def render_open_tickets(frame: pd.DataFrame, total_open: int) -> None:
    """The open tickets of the picked cell as a table (urgency and status in words, lateness in days/hours)."""
    if frame.empty:
        st.info(t("grid_map.cell_no_open"))
        return
    shown = pd.DataFrame(
        {
            t("grid_map.col.overdue"): frame["overdue"],
            t("grid_map.col.ticket_no"): frame["ticket_no"],
            t("grid_map.col.category"): frame["category"],
            t("grid_map.col.urgency"): [t(f"vocab.urgency.{u}") for u in frame["urgency"]],
            t("grid_map.col.status"): [t(f"vocab.status.{s}") for s in frame["status"]],
            t("grid_map.col.received_at"): frame["received_at"],
            t("grid_map.col.due_at"): frame["due_at"],
            t("grid_map.col.lateness"): [lateness_text(s) for s in frame["seconds_late"]],
        }
    )
    st.dataframe(
        shown, hide_index=True, width="stretch",
        column_config={
            t("grid_map.col.overdue"): st.column_config.CheckboxColumn(help=t("grid_map.col.overdue_help"), width="small"),
            t("grid_map.col.received_at"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            t("grid_map.col.due_at"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            t("grid_map.col.lateness"): st.column_config.TextColumn(help=t("grid_map.col.lateness_help")),
        },
    )
    if total_open > len(frame):
        st.caption(t("grid_map.list_truncated", shown=len(frame), total=total_open))
