"""ui.map_geo and ui.components.map_scale: hand-worked geometry, outlines, label points, decluttering, measures
and colour scales."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from domain.settings import DEFAULT_SETTINGS
from domain.units import UNIT_COUNT, UNIT_PER_10K, UNIT_RATE
from metrics.rates import COUNT_COLUMNS
from ui import map_geo
from ui.components import map_scale


def square(x: float, y: float, size: float = 1.0) -> list[list[float]]:
    """A closed counter-clockwise square ring with its lower-left corner at (x, y)."""
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def edges(paths) -> set[frozenset[tuple[float, float]]]:
    """The undirected edges of some paths."""
    return {frozenset((tuple(a), tuple(b))) for p in paths for a, b in zip(p, p[1:])}


def flat(points) -> list[float]:
    return [v for p in points for v in p]


def edge(a, b) -> frozenset[tuple[float, float]]:
    return frozenset((tuple(map(float, a)), tuple(map(float, b))))


# ---------------------------------------------------------------------------------------- GeoJSON


@pytest.mark.parametrize(
    "geometry, expected",
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}, [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]),
        ({"type": "Polygon", "coordinates": [[[0, 0, 9], [1, 0, 9], [1, 1, 9], [0, 0, 9]]]}, [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]),
        (
            {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]},
            [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]]]],
        ),
        (
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
            [[[[0, 0], [1, 0], [1, 1], [0, 0]]]],
        ),
        (
            {"type": "Polygon", "coordinates": [square(0, 0, 4), square(1, 1)]},
            [[square(0, 0, 4), square(1, 1)]],
        ),
    ],
    ids=["polygon", "open-ring-closed", "z-dropped", "multipolygon", "feature", "hole-kept"],
)
def test_polygons_from_geojson(geometry, expected):
    assert map_geo.polygons_from_geojson(json.dumps(geometry)) == expected


@pytest.mark.parametrize(
    "text",
    ['{"type": "Point", "coordinates": [0, 0]}', "not json", "null", '{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}'],
    ids=["point", "malformed", "null", "linestring"],
)
def test_polygons_from_geojson_refuses_other_geometries(text):
    with pytest.raises(ValueError):
        map_geo.polygons_from_geojson(text)


# --------------------------------------------------------------------------------- plane geometry

L_SHAPE = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]


@pytest.mark.parametrize(
    "ring, expected",
    [
        (square(0, 0), (1.0, 0.5, 0.5)),
        (list(reversed(square(0, 0))), (1.0, 0.5, 0.5)),  # clockwise: same area, same centroid
        ([[0, 0], [3, 0], [0, 3]], (4.5, 1.0, 1.0)),  # open triangle: centroid = mean of vertices
        (L_SHAPE, (3.0, 2.5 / 3, 2.5 / 3)),  # 2×1 block (centroid 1, 0.5) + 1×1 block (0.5, 1.5)
        ([[0, 0], [2, 0], [0, 0]], (0.0, 1.0, 0.0)),  # degenerate: mean of the distinct vertices
    ],
    ids=["square", "clockwise", "triangle", "l-shape", "degenerate"],
)
def test_ring_area_centroid(ring, expected):
    assert map_geo.ring_area_centroid(ring) == pytest.approx(expected)


@pytest.mark.parametrize(
    "point, ring, inside",
    [((0.5, 0.5), square(0, 0), True), ((1.5, 0.5), square(0, 0), False), ((1.5, 1.5), L_SHAPE, False), ((0.5, 1.5), L_SHAPE, True)],
    ids=["in-square", "right-of-square", "l-notch", "l-arm"],
)
def test_point_in_ring(point, ring, inside):
    assert map_geo.point_in_ring(point, ring) is inside


def test_bounds():
    assert map_geo.bounds([square(0, 0), square(3, -2)]) == (0.0, -2.0, 4.0, 1.0)
    assert map_geo.bounds([]) is None


# The whole Web-Mercator world (lat ±85.0511°) is 512 px wide and high at zoom 0.
WORLD_LAT = math.degrees(math.atan(math.sinh(math.pi)))


@pytest.mark.parametrize(
    "box, width, height, padding, expected",
    [
        ((-180, -WORLD_LAT, 180, WORLD_LAT), 512, 512, 0, (0.0, 0.0, 0.0)),
        # 360/512° of longitude is 1/512 of the world: 512 px show it at zoom log2(512) = 9.
        ((0, 0, 360 / 512, 0.0001), 512, 512, 0, (0.00005, 360 / 1024, 9.0)),
        ((0, 0, 360 / 512, 0.0001), 560, 512, 24, (0.00005, 360 / 1024, 9.0)),  # 24 px padding each side
        ((0, 0, 360 / 512, 0.0001), 1024, 512, 0, (0.00005, 360 / 1024, 10.0)),  # twice as wide: one zoom more
        ((10, 20, 10, 20), 800, 560, 24, (20.0, 10.0, map_geo.MAX_ZOOM)),  # a single point: the closest zoom
    ],
    ids=["world", "zoom-9", "padding", "wider", "point"],
)
def test_fit_view(box, width, height, padding, expected):
    assert map_geo.fit_view(box, width, height, padding) == pytest.approx(expected, abs=1e-6)


def test_fit_view_takes_the_tighter_axis():
    # Tall box: 1/512 of the world's width but much more of its height, so the height decides.
    lat, lon, zoom = map_geo.fit_view((0, 0, 360 / 512, 10), 512, 512, 0)
    assert zoom < 9 and zoom == pytest.approx(math.log2(512 / (512 * (map_geo._mercator_y(0) - map_geo._mercator_y(10)))))


# --------------------------------------------------------------------------------------- outlines


def test_outline_of_one_square_is_its_ring():
    (path,) = map_geo.outline_paths([square(0, 0)])
    assert path[0] == path[-1] and edges([path]) == edges([square(0, 0)])


def test_outline_of_two_neighbours_drops_the_shared_edge():
    paths = map_geo.outline_paths([square(0, 0), list(reversed(square(1, 0)))])  # opposite orientations
    assert len(paths) == 1 and paths[0][0] == paths[0][-1]
    assert edges(paths) == {
        edge((0, 0), (1, 0)), edge((1, 0), (2, 0)), edge((2, 0), (2, 1)),
        edge((2, 1), (1, 1)), edge((1, 1), (0, 1)), edge((0, 1), (0, 0)),
    }


def test_outline_matches_vertices_within_a_centimetre():
    shifted = [[x + 1e-9, y - 1e-9] for x, y in square(1, 0)]
    assert edge((1, 0), (1, 1)) not in edges(map_geo.outline_paths([square(0, 0), shifted]))


def test_outline_of_cells_touching_at_a_corner_keeps_every_edge():
    assert len(edges(map_geo.outline_paths([square(0, 0), square(1, 1)]))) == 8


def test_outline_of_a_ring_of_cells_has_an_outer_and_an_inner_loop():
    cells = [square(x, y) for x in range(3) for y in range(3) if (x, y) != (1, 1)]
    paths = map_geo.outline_paths(cells)
    assert sorted(len(p) - 1 for p in paths) == [4, 12]  # inner 1×1 hole, outer 3×3 boundary
    assert all(p[0] == p[-1] for p in paths)


def test_group_outlines():
    rings = {"a": [square(0, 0)], "b": [square(1, 0)], "c": [square(2, 0)]}
    outlines = map_geo.group_outlines(rings, {"a": "g1", "b": "g1", "c": "g2"})
    assert len(edges(outlines["g1"])) == 6 and edges(outlines["g2"]) == edges([square(2, 0)])


# ----------------------------------------------------------------------------------- label points


def _cell(ring):
    area, x, y = map_geo.ring_area_centroid(ring)
    return (area, x, y, ring)


def test_label_point_is_the_area_weighted_mean():
    # 2×2 square (area 4, centroid 1,1) and 1×1 square (area 1, centroid 2.5,0.5): ((4+2.5)/5, (4+0.5)/5).
    assert map_geo.label_point([_cell(square(0, 0, 2)), _cell(square(2, 0))]) == pytest.approx((1.3, 0.9))


def test_label_point_outside_the_group_moves_to_the_nearest_cell():
    # A U: the weighted mean (1.5, 9.5/7) lies in the notch; the bottom cell's centroid (1.5, 0.5) is nearest.
    u_shape = [[[0, 0], [1, 0], [1, 3], [0, 3], [0, 0]], square(1, 0), [[2, 0], [3, 0], [3, 3], [2, 3], [2, 0]]]
    assert map_geo.label_point([_cell(r) for r in u_shape]) == pytest.approx((1.5, 0.5))


@pytest.mark.parametrize(
    "cell, community, expected",
    [("前进社区第1网格", "前进社区", "第1网格"), ("前进社区-3", "前进社区", "3"), ("东区一格", "前进社区", "东区一格"),
     ("前进社区", "前进社区", "前进社区"), ("网格1", "", "网格1")],
    ids=["prefix", "separator", "no-prefix", "only-the-prefix", "no-community"],
)
def test_short_cell_name(cell, community, expected):
    assert map_geo.short_cell_name(cell, community) == expected


def test_badge_point_sits_towards_the_north_east_corner():
    assert map_geo.badge_point(square(0, 0, 2), (1.0, 1.0), share=0.5) == pytest.approx((1.5, 1.5))


@pytest.mark.parametrize(
    "candidates, centre, avoid, expected",
    [
        ([(0, 0), (1, 0), (5, 0)], (0, 0), [], (0, 0)),  # nothing to avoid: the most central
        ([(0, 0), (1, 0), (5, 0)], (0, 0), [(0.1, 0)], (1, 0)),  # inner half (0,0),(1,0): (1,0) is clearer
        ([(0, 0), (1, 0), (5, 0)], (0, 0), [(1.1, 0)], (0, 0)),
        ([(0, 0)], (3, 3), [(0, 0)], (0, 0)),  # a single candidate
        ([(-1, 0), (1, 0)], (0, 0), [(0, 0)], (-1, 0)),  # a full tie: the first candidate
    ],
    ids=["no-avoid", "away-from-name", "other-side", "single", "tie"],
)
def test_clear_point(candidates, centre, avoid, expected):
    assert map_geo.clear_point(candidates, centre, avoid) == expected


def test_to_pixels():
    # At zoom 0 the world is 512 px: (0°, 0°) is its middle; at zoom 1 everything doubles.
    assert map_geo.to_pixels(0, 0, 0) == pytest.approx((256, 256))
    assert map_geo.to_pixels(-180, 0, 1) == pytest.approx((0, 512))


def test_text_box_counts_full_width_characters():
    # Two CJK characters and one digit at 10 px: 10 + 10 + 6 wide plus 2 px padding each side; 12 + 4 high.
    x0, y0, x1, y1 = map_geo.text_box("社区1", 0, 0, 10, 0)
    assert (x1 - x0, y1 - y0) == pytest.approx((30, 16)) and (x0 + x1) / 2 == pytest.approx(256)


@pytest.mark.parametrize(
    "fixed, options, expected",
    [
        ([], [[(0, 0, 10, 10)], [(5, 5, 15, 15)], [(10, 0, 20, 10)]], [0, None, 0]),  # touching edges do not overlap
        ([(0, 0, 10, 10)], [[(5, 5, 15, 15)], [(20, 20, 30, 30)]], [None, 0]),  # fixed boxes win
        ([(0, 0, 10, 10)], [[(5, 5, 15, 15), (5, 20, 15, 30)]], [1]),  # the first spot is taken: the next one
        ([], [[(0, 0, 10, 10)], [(5, 5, 15, 15), (0, 0, 10, 10), (12, 0, 20, 8)]], [0, 2]),
        ([], [], []),
    ],
    ids=["greedy-in-order", "fixed-boxes-win", "second-spot", "skips-taken-spots", "nothing"],
)
def test_place_labels(fixed, options, expected):
    assert map_geo.place_labels(fixed, options) == expected


def test_inner_half():
    assert map_geo.inner_half([(3, 0), (1, 0), (2, 0), (0, 0)], (0, 0)) == [(0, 0), (1, 0)]
    assert map_geo.inner_half([(3, 0)], (0, 0)) == [(3, 0)]


# --------------------------------------------------------------------------------------- measures


def _counts(**values) -> dict:
    return {**{c: 0 for c in COUNT_COLUMNS}, **values}


def test_cell_measures():
    frame = pd.DataFrame(
        [
            _counts(tickets=10, callbacks_answered=5, satisfied=4, unsatisfied=1, open_overdue=2) | {"population": 2000},
            _counts(tickets=3, callbacks_answered=4, satisfied=4) | {"population": 0},
        ]
    )
    out = map_scale.cell_measures(frame, DEFAULT_SETTINGS)  # public_min_count = 5 answered callbacks
    assert list(out["tickets_per_10k"].fillna(-1)) == [50.0, -1]  # 10 / 2000 × 10,000; no population
    assert list(out["satisfaction_rate"].fillna(-1)) == [0.8, -1]  # 4 / 5; only 4 callbacks: too few
    assert list(out["overdue_open"]) == [2, 0]


# ----------------------------------------------------------------------------------- colour scale


@pytest.mark.parametrize(
    "value, integer, expected",
    [(3, True, 3), (8, True, 8), (10, True, 10), (1.5, True, 2), (2.2, True, 3), (16, True, 20), (24, True, 25),
     (101, True, 150), (330, False, 350), (380, False, 400), (0.3, False, 0.3), (0.42, False, 0.45), (7, False, 7),
     (2.2, False, 2.5), (0, True, 0)],
    ids=["3", "8", "10", "1.5-int", "2.2-int", "16", "24", "101", "330", "380", "0.3", "0.42", "7-float",
         "2.2-float", "0"],
)
def test_nice_ceil(value, integer, expected):
    assert map_scale.nice_ceil(value, integer) == pytest.approx(expected)


@pytest.mark.parametrize(
    "values, integer, expected",
    [
        (range(1, 41), True, (8, 20, 25, 35)),  # quantiles 8, 16, 24, 32 -> 8, 20, 25, 35
        ([1, 1, 1, 2, 3], True, (2,)),  # 1 would leave the lowest class empty
        ([0, 0, 0, 1, 1, 1, 2, 3, None, float("nan")], True, (2,)),  # zeros and missing values ignored
        ([5] * 10, True, ()),  # one value: one class
        ([0, 0], True, ()),
        ([], True, ()),
        ([0.4, 1.2, 3.3, 7.7, 12.0], False, (1.5, 3.5, 8)),  # 0.4 would leave the lowest class empty
        ([310, 330, 360, 380, 400, 420, 450, 480, 500, 530], False, (350, 400, 450, 500)),  # close together
    ],
    ids=["1-to-40", "mostly-ones", "zeros-and-missing", "constant", "all-zero", "empty", "floats", "close-together"],
)
def test_nice_breaks(values, integer, expected):
    assert map_scale.nice_breaks(values, integer=integer) == pytest.approx(expected)


@pytest.mark.parametrize(
    "classes, expected",
    [(5, [0, 1, 2, 3, 4]), (4, [0, 1, 3, 4]), (3, [0, 2, 4]), (2, [0, 4]), (1, [2])],
    ids=["5", "4", "3", "2", "1"],
)
def test_spread(classes, expected):
    assert map_scale.spread([0, 1, 2, 3, 4], classes) == expected


A, B, C, Z = (1, 1, 1, 255), (2, 2, 2, 255), (3, 3, 3, 255), (0, 0, 0, 255)
SCALE = map_scale.ColourScale(breaks=(2, 5), colours=(A, B, C), zero_colour=Z)


@pytest.mark.parametrize(
    "value, expected",
    [(0, Z), (1, A), (2, B), (4.9, B), (5, C), (500, C), (float("nan"), SCALE.missing_colour), (None, SCALE.missing_colour)],
    ids=["zero", "below-first-break", "on-break", "below-second", "on-second", "far-above", "nan", "none"],
)
def test_colour_scale_colour(value, expected):
    assert SCALE.colour(value) == expected


def test_colour_scale_without_zero_class_puts_zero_in_the_lowest_class():
    assert map_scale.ColourScale(breaks=(2,), colours=(A, B)).colour(0) == A


@pytest.mark.parametrize("breaks, colours", [((2, 5), (A, B)), ((5, 2), (A, B, C))], ids=["colour-count", "decreasing"])
def test_colour_scale_refuses_bad_definitions(breaks, colours):
    with pytest.raises(ValueError):
        map_scale.ColourScale(breaks=breaks, colours=colours)


def test_colour_scale_legend():
    assert SCALE.legend(lowest=1) == [
        map_scale.LegendBin("zero", 0, 0, Z),
        map_scale.LegendBin("range", 1, 2, A),
        map_scale.LegendBin("range", 2, 5, B),
        map_scale.LegendBin("range", 5, None, C),
        map_scale.LegendBin("missing", None, None, SCALE.missing_colour),
    ]


def test_measure_scale_for_counts_has_a_zero_class_and_spread_colours():
    scale = map_scale.measure_scale("tickets", [0, 1, 1, 1, 2, 3])
    assert scale.breaks == (2,) and scale.zero_colour is not None  # classes 0 | 1 | ≥ 2
    assert scale.colours == tuple((*map_scale.BLUES[i], map_scale.FILL_ALPHA) for i in (0, 4))


def test_measure_scale_for_satisfaction_uses_fixed_steps():
    scale = map_scale.measure_scale("satisfaction_rate", [0.5, 0.99])
    assert scale.breaks == map_scale.SATISFACTION_BREAKS and scale.zero_colour is None
    assert scale.colours == tuple((*c, map_scale.FILL_ALPHA) for c in map_scale.RDYLGN)


@pytest.mark.parametrize(
    "low, high, unit, expected",
    [
        (1, 5, UNIT_COUNT, "1–4"),
        (5, 6, UNIT_COUNT, "5"),
        (1000, 2000, UNIT_COUNT, "1,000–1,999"),
        (25, None, UNIT_COUNT, "≥ 25"),
        (None, 10, UNIT_PER_10K, "< 10"),
        (10, 25, UNIT_PER_10K, "10–25"),
        (2.5, 5, UNIT_PER_10K, "2.5–5"),
        (None, 0.8, UNIT_RATE, "< 80%"),
        (0.8, 0.85, UNIT_RATE, "80–85%"),
        (0.95, None, UNIT_RATE, "≥ 95%"),
    ],
    ids=["count-range", "count-single", "count-thousands", "count-open", "per10k-below", "per10k-range",
         "per10k-decimal", "rate-below", "rate-range", "rate-above"],
)
def test_range_label(low, high, unit, expected):
    assert map_scale.range_label(low, high, unit) == expected


# ----------------------------------------------------------------------------------- map geometry


def _boundary_rows() -> pd.DataFrame:
    # Community A (cells 1–3, an L of unit squares) and B (cell 4) in street S; cell 5 has a broken boundary.
    shapes = {1: square(0, 0), 2: square(1, 0), 3: square(0, 1), 4: square(2, 0)}
    rows = [
        dict(grid_cell_id=cell, community_id=1 if cell < 4 else 2, community_name="A社区" if cell < 4 else "B社区",
             street_id=7, street_name="S街道", boundary=json.dumps({"type": "Polygon", "coordinates": [ring]}))
        for cell, ring in shapes.items()
    ]
    rows.append(dict(grid_cell_id=5, community_id=2, community_name="B社区", street_id=7, street_name="S街道", boundary="oops"))
    return pd.DataFrame(rows)


def test_build_geometry_cells_and_unreadable_boundaries():
    g = map_geo.build_geometry(_boundary_rows())
    assert sorted(g.cells) == [1, 2, 3, 4] and g.unreadable == (5,)
    assert g.cells[1].centroid == pytest.approx((0.5, 0.5))
    assert g.cells[1].badge == pytest.approx((0.5 + 0.55 * 0.5, 0.5 + 0.55 * 0.5))
    assert g.box == (0.0, 0.0, 3.0, 2.0)


def test_build_geometry_outlines():
    g = map_geo.build_geometry(_boundary_rows())
    # The L of three squares has 8 edges and B's square 4; the edge they share is drawn for both.
    assert sum(len(p) - 1 for p in g.community_outlines) == 8 + 4
    assert len(edges(g.street_outlines)) == 10  # three squares in a row with one on top of the first


def test_build_geometry_community_spots():
    g = map_geo.build_geometry(_boundary_rows())
    a, b = g.community_spots
    assert (a.name, b.name) == ("A社区", "B社区")
    # A's label point is the weighted mean (2.5/3, 2.5/3); then the nearer half of its three cells, nearest
    # first ((1.5, 0.5) and (0.5, 1.5) tie but for the cos(lat) shrink of longitude).
    assert flat(a.candidates) == pytest.approx([2.5 / 3, 2.5 / 3, 0.5, 0.5, 1.5, 0.5])
    assert flat(b.candidates) == pytest.approx([2.5, 0.5, 2.5, 0.5])


def test_build_geometry_street_spots():
    (street,) = map_geo.build_geometry(_boundary_rows()).street_spots
    assert street.name == "S街道" and street.centre == pytest.approx((1.25, 0.75))
    assert flat(sorted(street.candidates)) == pytest.approx([0.5, 0.5, 0.5, 1.5, 1.5, 0.5, 2.5, 0.5])


def test_build_geometry_lists_communities_largest_first():
    rows = _boundary_rows()
    rows.loc[rows["grid_cell_id"] == 4, ["community_id", "community_name"]] = (0, "B社区")  # B sorts first by id
    assert [spot.name for spot in map_geo.build_geometry(rows).community_spots] == ["A社区", "B社区"]
