"""AppTest of the grid map page on the SQLite case book, and its selection handler as a pure function.

The case book has four cells, one per community (G1 春晖 and G2 花园里 in 东湖街道 S1; G3 桃源 and G4 静安里 in
西苑街道 S2). November 1–20 at NOW: tickets per cell 2, 2, 5, 0; overdue open 0, 1 (T4), 0, 0.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data_access.queries import RATE_COUNT_COLUMNS
from domain.settings import DEFAULT_SETTINGS
from helpers import APP, NOW
from ui import i18n, keys
from ui.components import map_scale as scale
from ui.components.map_layers import CELL_LAYER, MAP_STYLE, build_deck, selected_cell_id
from ui.map_geo import build_geometry

PAGE = "views/grid_map.py"




def open_map(now: dt.datetime = NOW, **params: str) -> AppTest:
    """The app at NOW with 'this month' and the given URL parameters, switched to the grid map."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[keys.NOW_OVERRIDE] = now
    at.session_state[keys.TEST_ACCOUNT] = "supervisor"  # signed in, whole district
    at.query_params["period"] = "this_month"
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(PAGE).run()


def deck(at: AppTest) -> dict:
    (chart,) = at.get("deck_gl_json_chart")
    return json.loads(chart.proto.json)


def layer(spec: dict, layer_id: str) -> dict:
    return next(each for each in spec["layers"] if each["id"] == layer_id)


def fills(spec: dict) -> dict[int, tuple[int, ...]]:
    return {row["grid_cell_id"]: tuple(row["fill"]) for row in layer(spec, CELL_LAYER)["data"]}


def with_alpha(rgb) -> tuple[int, ...]:
    return (*rgb, scale.FILL_ALPHA)


def test_map_has_one_polygon_per_cell_outlines_labels_and_the_local_style(sqlite_casebook):
    at = open_map()
    assert not at.exception
    spec = deck(at)
    cells = layer(spec, CELL_LAYER)
    assert cells["@@type"] == "PolygonLayer" and cells["pickable"] is True
    assert sorted(row["grid_cell_id"] for row in cells["data"]) == [1, 2, 3, 4]
    # G1's boundary: the 0.002° square at (116.402, 39.9) of tests/helpers.py.
    g1 = next(row for row in cells["data"] if row["grid_cell_id"] == 1)
    assert g1["polygon"] == [[[116.402, 39.9], [116.404, 39.9], [116.404, 39.902], [116.402, 39.902], [116.402, 39.9]]]
    ids = {each["id"] for each in spec["layers"]}
    assert {"community-outlines", "street-outlines", "community-labels", "street-labels"} <= ids
    assert spec["mapStyle"] == MAP_STYLE


def test_labels_carry_their_chinese_characters(sqlite_casebook):
    spec = deck(open_map())
    streets = layer(spec, "street-labels")
    assert sorted(row["text"] for row in streets["data"]) == ["东湖街道", "西苑街道"]
    assert set("东湖西苑街道") <= set(streets["characterSet"])
    # One cell per community: each street's name sits on one of its communities' cells (G1 春晖, G3 桃源),
    # and a community name under a street name is left out rather than drawn over it.
    labels = layer(spec, "community-labels")
    assert sorted(row["text"] for row in labels["data"]) == sorted(["花园里社区", "静安里社区"])
    assert set("花园里静安社区") <= set(labels["characterSet"])


def test_one_street_names_all_its_communities(sqlite_casebook):
    spec = deck(open_map(street="S2"))
    assert sorted(row["text"] for row in layer(spec, "community-labels")["data"]) == sorted(["桃源社区", "静安里社区"])
    assert "street-labels" not in {each["id"] for each in spec["layers"]}  # one street: no name to sit on a community's


def test_outlines_of_side_by_side_communities(sqlite_casebook):
    spec = deck(open_map())
    # Four squares in a row, one per community: four closed community outlines, and each street's two
    # squares merge into one 6-edge loop.
    assert len(layer(spec, "community-outlines")["data"]) == 4
    streets = layer(spec, "street-outlines")["data"]
    assert sorted(len(row["polygon"]) - 1 for row in streets) == [6, 6]


def test_cells_are_coloured_by_volume(sqlite_casebook):
    # Volumes 2, 2, 5, 0: breaks (5,) -> classes 0 | 1–4 | ≥ 5 with the lightest and darkest blue.
    spec = deck(open_map())
    assert fills(spec) == {1: with_alpha(scale.BLUES[0]), 2: with_alpha(scale.BLUES[0]), 3: with_alpha(scale.BLUES[4]),
                           4: with_alpha(scale.ZERO_COLOUR)}


def test_measure_switch_recolours_the_cells(sqlite_casebook):
    at = open_map()
    at.segmented_control(key=keys.GRID_MAP_MEASURE).set_value("overdue_open").run()
    assert not at.exception
    # Only G2 has an overdue ticket (T4): one class, the middle red; the others are zero.
    zero = with_alpha(scale.ZERO_COLOUR)
    assert fills(deck(at)) == {1: zero, 2: with_alpha(scale.REDS[2]), 3: zero, 4: zero}


def test_satisfaction_with_too_few_callbacks_is_grey(sqlite_casebook):
    at = open_map()
    at.segmented_control(key=keys.GRID_MAP_MEASURE).set_value("satisfaction_rate").run()
    # No cell has the 5 answered callbacks needed (public_min_count): all grey, and the tooltip says why.
    spec = deck(at)
    assert set(fills(spec).values()) == {with_alpha(scale.MISSING_COLOUR)}
    g1 = layer(spec, CELL_LAYER)["data"][0]
    assert g1["satisfaction"] == g1["value"] == "回访过少（2 条）"


def test_one_community_names_its_cells(sqlite_casebook):
    spec = deck(open_map(street="S1", community="C1b"))
    assert [row["grid_cell_id"] for row in layer(spec, CELL_LAYER)["data"]] == [2]
    assert [row["text"] for row in layer(spec, "community-labels")["data"]] == ["网格2"]


def test_street_filter_limits_the_cells(sqlite_casebook):
    spec = deck(open_map(street="S2"))
    assert sorted(row["grid_cell_id"] for row in layer(spec, CELL_LAYER)["data"]) == [3, 4]
    assert sorted(len(row["polygon"]) - 1 for row in layer(spec, "street-outlines")["data"]) == [6]


def test_overdue_cells_get_a_badge_unless_switched_off(sqlite_casebook):
    at = open_map()
    badges = layer(deck(at), "overdue-badges")["data"]
    assert [row["text"] for row in badges] == ["1"]  # G2: T4
    at.toggle(key=keys.GRID_MAP_OVERDUE_MARKS).set_value(False).run()
    assert "overdue-badges" not in {each["id"] for each in deck(at)["layers"]}


def test_tooltip_and_legend(sqlite_casebook):
    at = open_map()
    (chart,) = at.get("deck_gl_json_chart")
    tooltip = json.loads(chart.proto.tooltip)["html"]
    assert "{name}" in tooltip and "{tickets}" in tooltip and "万人诉求比" in tooltip
    legend = " ".join(m.value for m in at.markdown)
    assert "1–4" in legend and "≥ 5" in legend and "街道边界" in legend


def test_in_english(sqlite_casebook, monkeypatch):
    # English through the language lookup rather than ?lang=en: on the run after switch_page, AppTest
    # formats the sidebar's selectbox values with their format_func *outside* the session (so in Chinese)
    # and then cannot find them among the English options.
    monkeypatch.setattr(i18n, "current_language", lambda: "en")
    at = open_map()
    assert not at.exception
    assert at.title[0].value == "Grid map"
    assert "Tickets per 10,000 residents" in json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)["html"]


def test_empty_period_explains_itself(sqlite_casebook):
    at = open_map(now=dt.datetime(2026, 6, 15, 9, 0))  # June 2026: no tickets in the case book
    assert not at.exception
    assert not at.get("deck_gl_json_chart")
    assert "没有工单" in at.info[0].value


ROW = {"grid_cell_id": 3, "name": "网格3", "fill": [1, 2, 3, 210], "polygon": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}


@pytest.mark.parametrize(
    "state, shown, expected",
    [
        ({"selection": {"indices": {CELL_LAYER: [2]}, "objects": {CELL_LAYER: [ROW]}}}, None, 3),
        ({"selection": {"indices": {CELL_LAYER: [2]}, "objects": {CELL_LAYER: [ROW]}}}, [1, 2, 3, 4], 3),
        ({"selection": {"indices": {CELL_LAYER: [2]}, "objects": {CELL_LAYER: [ROW]}}}, [1, 2], None),
        ({"selection": {"indices": {}, "objects": {}}}, None, None),
        ({"selection": {"indices": {"street-outlines": [0]}, "objects": {"street-outlines": [{"path": []}]}}}, None, None),
        ({"selection": {"indices": {CELL_LAYER: [0]}, "objects": {CELL_LAYER: [{"name": "x"}]}}}, None, None),
        ({}, None, None),
        (None, None, None),
    ],
    ids=["picked", "picked-and-shown", "no-longer-shown", "nothing", "other-layer", "row-without-id", "no-selection", "no-state"],
)
def test_selected_cell_id(state, shown, expected):
    assert selected_cell_id(state, shown) == expected


def test_names_and_outlines_keep_their_colour_when_a_cell_is_picked(sqlite_casebook):
    # Streamlit fades unpicked objects of any layer whose colour accessor is set (getColor of text and
    # paths, getFillColor of polygons): the names must use the default colour and the outlines must be
    # unfilled polygons, or the whole map greys out around the picked cell.
    spec = deck(open_map())
    for layer_id in ("community-labels", "street-labels", "overdue-badges"):
        assert "getColor" not in layer(spec, layer_id)
    for layer_id in ("community-outlines", "street-outlines"):
        outline = layer(spec, layer_id)
        assert outline["@@type"] == "PolygonLayer" and outline["filled"] is False and "getFillColor" not in outline


def test_the_picked_cell_is_outlined():
    # build_deck on its own (AppTest cannot inject a chart's selection): G2 picked gets an outline layer.
    values = pd.DataFrame([_cell_values(1, 3, 0), _cell_values(2, 1, 1)])
    geometry = build_geometry(pd.DataFrame([_boundary(1, 0.0), _boundary(2, 0.002)]))
    scale_ = scale.measure_scale("tickets", values["tickets"])
    spec = json.loads(build_deck(values, geometry, "tickets", scale_, DEFAULT_SETTINGS, height=400, picked=2).to_json())
    (ring,) = [row["polygon"] for row in layer(spec, "picked-cell")["data"]]
    assert ring == geometry.cells[2].polygons[0][0]
    unpicked = json.loads(build_deck(values, geometry, "tickets", scale_, DEFAULT_SETTINGS, height=400).to_json())
    assert "picked-cell" not in {each["id"] for each in unpicked["layers"]}


def _cell_values(cell: int, tickets: int, overdue: int) -> dict:
    counts = {c: 0 for c in RATE_COUNT_COLUMNS} | {"tickets": tickets, "open": overdue, "open_overdue": overdue}
    return {"grid_cell_id": cell, "name": f"网格{cell}", "community_name": "春晖社区", "street_name": "东湖街道",
            "population": 1000, **counts, "tickets_per_10k": tickets * 10.0, "satisfaction_rate": float("nan")}


def _boundary(cell: int, dx: float) -> dict:
    ring = [[116.4 + dx, 39.9], [116.402 + dx, 39.9], [116.402 + dx, 39.902], [116.4 + dx, 39.902], [116.4 + dx, 39.9]]
    return {"grid_cell_id": cell, "community_id": 1, "community_name": "春晖社区", "street_id": 1,
            "street_name": "东湖街道", "boundary": json.dumps({"type": "Polygon", "coordinates": [ring]})}
