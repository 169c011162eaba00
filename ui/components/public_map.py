"""The map panel of the public screen: grid cells coloured by their published volume over the last 30 days,
withheld cells grey, street and community outlines and street names, on a dark offline background
(`static/style_dark.json`, served locally like `static/style.json`: no request leaves the server).

The deck's rows hold a polygon and a fill colour each — no number, no cell id, no tooltip, nothing to pick —
so the browser receives classes, never a count, and never a ticket.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import pandas as pd
import pydeck as pdk
import streamlit as st

from domain.units import UNIT_COUNT
from ui import map_geo
from ui.components import map_scale
from ui.components.map_layers import CompactDeck, _literal, _outline_layer, _text_layer, place_names
from ui.components.public_panels import BORDER, _esc, is_missing, render_message, render_panel_title
from ui.i18n import t
from ui.map_geo import MapGeometry

# Light grows with the count on a dark ground (ColorBrewer YlGnBu, dark blue → pale yellow).
MAP_PALETTE = ((37, 52, 148), (44, 127, 184), (65, 182, 196), (161, 218, 180), (255, 255, 204))
SUPPRESSED_FILL = (71, 85, 105, 170)  # slate grey: withheld, fewer than the minimum
CELL_ALPHA = 225
CELL_EDGE = [11, 18, 32, 255]
COMMUNITY_EDGE = [148, 163, 184, 200]
STREET_EDGE = [241, 245, 249, 235]
COMMUNITY_WIDTH = 1.5
STREET_WIDTH = 3.5
STREET_TEXT_PX = 30  # street names only: community names would be too small to read from a distance
MAP_STYLE = "/app/static/style_dark.json"
MAP_HEIGHT = 720
MAP_WIDTH_HINT_PX = 1100  # fitted to a column this wide; wider screens show a margin, never a crop


@dataclass(frozen=True)
class MapFigures:
    geometry: MapGeometry
    volumes: pd.DataFrame  # grid_cell_id, tickets (published: <NA> when suppressed)
    since: dt.date
    until: dt.date


def volume_scale(volumes: pd.Series, min_count: int) -> map_scale.ColourScale:
    """Classes of the published volumes (every one at least `min_count`); suppressed cells are grey."""
    breaks = map_scale.nice_breaks([float(v) for v in volumes.dropna()], integer=True)
    colours = tuple((*c, CELL_ALPHA) for c in map_scale.spread(MAP_PALETTE, len(breaks) + 1))
    return map_scale.ColourScale(breaks=breaks, colours=colours, zero_colour=None, missing_colour=SUPPRESSED_FILL)  # type: ignore[arg-type]


def map_cell_rows(geometry: MapGeometry, volumes: pd.DataFrame, scale: map_scale.ColourScale) -> list[dict]:
    """One row per polygon: the polygon and its fill — nothing else reaches the browser."""
    rows = []
    for cell, value in zip(volumes["grid_cell_id"], volumes["tickets"]):
        shape = geometry.cells.get(int(cell))
        if shape is None:
            continue
        fill = list(scale.colour(None if is_missing(value) else float(value)))
        rows.extend({"polygon": polygon, "fill": fill} for polygon in shape.polygons)
    return rows


def _names_layer(layer_id: str, labels: list[tuple[str, float, float]], size: int, weight: str) -> pdk.Layer:
    rows = [{"text": name, "position": [lon, lat]} for name, lon, lat in labels]
    return _text_layer(
        layer_id, rows, size, weight, get_color=[241, 245, 249, 255],
        font_settings={"sdf": True, "fontSize": 64, "buffer": 8, "radius": 16},
        outline_width=6, outline_color=[11, 18, 32, 255],
    )


def build_public_deck(figures: MapFigures, scale: map_scale.ColourScale, height: int = MAP_HEIGHT) -> pdk.Deck:
    """Cells coloured by class (suppressed grey), community and street outlines, street names; not
    pickable, no tooltip."""
    geometry = figures.geometry
    layers = [
        pdk.Layer(
            "PolygonLayer", data=map_cell_rows(geometry, figures.volumes, scale), id="cells",
            get_polygon="polygon", get_fill_color="fill", get_line_color=CELL_EDGE, get_line_width=1,
            line_width_units=_literal("pixels"), stroked=True, filled=True, pickable=False,
        ),
        _outline_layer("community-outlines", geometry.community_outlines, COMMUNITY_EDGE, COMMUNITY_WIDTH),
        _outline_layer("street-outlines", geometry.street_outlines, STREET_EDGE, STREET_WIDTH),
    ]
    lat, lon, zoom = map_geo.fit_view(geometry.box, MAP_WIDTH_HINT_PX, height) if geometry.box else (0.0, 0.0, 1.0)
    zoom = round(zoom, 2)
    streets, _ = place_names(geometry, [], zoom)
    if streets:
        layers.append(_names_layer("street-labels", streets, STREET_TEXT_PX, "bold"))
    return CompactDeck(
        layers=layers,
        initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom, pitch=0, bearing=0),
        map_style=MAP_STYLE,
        tooltip=False,
    )


def _legend(scale: map_scale.ColourScale, min_count: int) -> str:
    def swatch(colour: Sequence[int], label: str) -> str:
        r, g, b = colour[:3]
        return f'<div class="ps-row"><span class="ps-swatch" style="background:rgb({r},{g},{b})"></span><span>{_esc(label)}</span></div>'

    def rule(colour: Sequence[int], width: float, label: str) -> str:
        r, g, b = colour[:3]
        return f'<div class="ps-row"><span class="ps-rule" style="border-top:{width}px solid rgb({r},{g},{b})"></span><span>{_esc(label)}</span></div>'

    entries = [
        swatch(b.colour, map_scale.range_label(b.low, b.high, UNIT_COUNT))
        for b in reversed(scale.legend(lowest=min_count))
        if b.kind == "range"
    ]
    entries.append(swatch(SUPPRESSED_FILL, t("public.map.suppressed", n=min_count)))
    marks = rule(STREET_EDGE, STREET_WIDTH, t("public.map.street")) + rule(COMMUNITY_EDGE, COMMUNITY_WIDTH, t("public.map.community"))
    return (
        f'<div class="ps-legend"><div class="ps-label">{_esc(t("public.map.legend_title"))}</div>'
        f'{"".join(entries)}<hr style="border-color:{BORDER};margin:.8rem 0">{marks}</div>'
    )


def render_map(figures: MapFigures, min_count: int) -> None:
    render_panel_title("map", t("public.map.heading", since=f"{figures.since:%m-%d}", until=f"{figures.until:%m-%d}"))
    if not figures.geometry.cells:
        render_message(t("public.map.no_cells"))
        return
    scale = volume_scale(figures.volumes["tickets"], min_count)
    left, right = st.columns([5, 1], gap="large")
    with left:
        st.pydeck_chart(build_public_deck(figures, scale), height=MAP_HEIGHT, width="stretch", alt=t("public.map.alt"))
    with right:
        st.html(_legend(scale, min_count))
