"""Geometry of the grid map, in pure Python (no GIS library, no streamlit).

* GeoJSON boundary text -> polygons as lists of rings of [lon, lat] (what pydeck's PolygonLayer draws);
* shoelace area and centroid of a ring, point-in-ring, bounds, and the Web-Mercator view that fits bounds;
* outlines of groups of cells (a community, a street): the edges of the group's cells that no other cell of
  the same group shares, chained into paths — cells that tile the ground share their edges exactly;
* label points (area-weighted mean of the cells' centroids, moved onto the nearest cell when it falls
  outside the group; a street's name on the cell clearest of its communities' names), a badge point in a
  corner of each cell, and decluttering: which names fit on screen at the map's zoom without overlapping.

The colours and the measures are in ui.components.map_scale.

Coordinates are degrees (lon, lat); areas and centroids are planar in degrees, which is exact enough for
placing labels inside cells a few hundred metres wide.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence

import pandas as pd

Point = tuple[float, float]  # (lon, lat)
Ring = list[list[float]]  # [[lon, lat], ...], closed (first point repeated last)
Polygon = list[Ring]  # outer ring, then holes
# Vertices closer than 1e-7 degrees (~1 cm) are the same point when edges are matched.
VERTEX_DIGITS = 7


# ----------------------------------------------------------------------------------------- GeoJSON


def polygons_from_geojson(text: str) -> list[Polygon]:
    """The polygons of a GeoJSON geometry (Polygon or MultiPolygon, bare or in a Feature), rings closed.

    Raises ValueError for other geometry types or malformed text.
    """
    try:
        geometry = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"boundary is not GeoJSON: {exc}") from None
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Polygon":
        parts = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        parts = geometry["coordinates"]
    else:
        raise ValueError(f"boundary is not a Polygon or MultiPolygon: {kind}")
    return [[_closed([[float(x), float(y)] for x, y, *_ in ring]) for ring in part] for part in parts if part]


def _closed(ring: Ring) -> Ring:
    return ring if ring and ring[0] == ring[-1] else [*ring, ring[0]]


# ----------------------------------------------------------------------------------- plane geometry


def ring_area_centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    """(area, lon, lat): the absolute shoelace area and the area centroid of a ring (closed or open).

    A degenerate ring (zero area) has the mean of its distinct vertices as centroid.
    """
    pts = _open(ring)
    twice_area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        cross = x0 * y1 - x1 * y0
        twice_area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if twice_area == 0:
        n = len(pts)
        return 0.0, sum(p[0] for p in pts) / n, sum(p[1] for p in pts) / n
    return abs(twice_area) / 2, cx / (3 * twice_area), cy / (3 * twice_area)


def _open(ring: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    pts = [(float(p[0]), float(p[1])) for p in ring]
    return pts[:-1] if len(pts) > 1 and pts[0] == pts[-1] else pts


def point_in_ring(point: Point, ring: Sequence[Sequence[float]]) -> bool:
    """Whether a point lies inside a ring (even-odd ray casting; points on an edge may go either way)."""
    x, y = point
    inside = False
    pts = _open(ring)
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def bounds(rings: Iterable[Sequence[Sequence[float]]]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) over every vertex, or None when there is none."""
    xs: list[float] = []
    ys: list[float] = []
    for ring in rings:
        xs.extend(float(p[0]) for p in ring)
        ys.extend(float(p[1]) for p in ring)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


TILE_PX = 512  # deck.gl's world is 512 px wide at zoom 0
MAX_ZOOM = 17.0


def _mercator_y(lat: float) -> float:
    """Web-Mercator y in [0, 1] (0 at the top)."""
    phi = math.radians(lat)
    return (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2


def _mercator_lat(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def fit_view(box: tuple[float, float, float, float], width_px: int, height_px: int, padding_px: int = 40) -> tuple[float, float, float]:
    """(lat, lon, zoom) of the Web-Mercator view that shows the box whole in a map of the given size."""
    min_lon, min_lat, max_lon, max_lat = box
    x0, x1 = (min_lon + 180) / 360, (max_lon + 180) / 360
    y0, y1 = _mercator_y(max_lat), _mercator_y(min_lat)
    usable_w = max(width_px - 2 * padding_px, 1)
    usable_h = max(height_px - 2 * padding_px, 1)
    zooms = [MAX_ZOOM]
    if x1 > x0:
        zooms.append(math.log2(usable_w / (TILE_PX * (x1 - x0))))
    if y1 > y0:
        zooms.append(math.log2(usable_h / (TILE_PX * (y1 - y0))))
    return _mercator_lat((y0 + y1) / 2), (min_lon + max_lon) / 2, min(zooms)


# ------------------------------------------------------------------------------------------ outlines


def _vertex(p: Sequence[float]) -> Point:
    return (round(float(p[0]), VERTEX_DIGITS), round(float(p[1]), VERTEX_DIGITS))


def outline_paths(rings: Iterable[Sequence[Sequence[float]]]) -> list[list[list[float]]]:
    """The outline of a group of rings: edges that only one ring of the group has, chained into paths.

    Two cells that share an edge cancel it, so what is left is the group's outer boundary (and the edges
    of its holes). An edge is matched by its two end points (rounded to VERTEX_DIGITS) in either
    direction. Closed outlines come back as closed paths (first point repeated last).
    """
    count: dict[frozenset[Point], int] = {}
    order: list[tuple[Point, Point]] = []
    for ring in rings:
        pts = [_vertex(p) for p in _open(ring)]
        for a, b in zip(pts, pts[1:] + pts[:1]):
            if a == b:
                continue
            key = frozenset((a, b))
            if key not in count:
                order.append((a, b))
            count[key] = count.get(key, 0) + 1
    edges = [(a, b) for a, b in order if count[frozenset((a, b))] % 2 == 1]
    return _chain(edges)


def _chain(edges: list[tuple[Point, Point]]) -> list[list[list[float]]]:
    """Join edges that meet end to end into as few paths as possible, in a stable order."""
    at: dict[Point, list[int]] = {}
    for i, (a, b) in enumerate(edges):
        at.setdefault(a, []).append(i)
        at.setdefault(b, []).append(i)
    used = [False] * len(edges)
    # Start open paths at their dead ends first (odd degree), then walk the closed loops.
    starts = [p for p, ids in at.items() if len(ids) % 2 == 1] + [a for a, _ in edges]
    paths: list[list[list[float]]] = []
    for start in starts:
        point = start
        path = [point]
        while True:
            nxt = next((i for i in at[point] if not used[i]), None)
            if nxt is None:
                break
            used[nxt] = True
            a, b = edges[nxt]
            point = b if a == point else a
            path.append(point)
        if len(path) > 1:
            paths.append([[x, y] for x, y in path])
    return paths


def group_outlines(rings_by_cell: Mapping[Hashable, Sequence[Ring]], group_of_cell: Mapping[Hashable, Hashable]) -> dict[Hashable, list[list[list[float]]]]:
    """Outline paths per group: `rings_by_cell` maps a cell to its rings, `group_of_cell` a cell to its group."""
    members: dict[Hashable, list[Ring]] = {}
    for cell, rings in rings_by_cell.items():
        members.setdefault(group_of_cell[cell], []).extend(rings)
    return {group: outline_paths(rings) for group, rings in members.items()}


# ------------------------------------------------------------------------------------- label points


def label_point(cells: Sequence[tuple[float, float, float, Sequence[Sequence[float]]]]) -> Point:
    """Where to write a group's name: the area-weighted mean of its cells' centroids, or — when that point
    falls outside every cell (an L- or U-shaped group) — the centroid of the cell nearest to it.

    `cells` holds (area, lon, lat, outer ring) per cell.
    """
    total = sum(area for area, *_ in cells)
    if total > 0:
        lon = sum(area * x for area, x, _, _ in cells) / total
        lat = sum(area * y for area, _, y, _ in cells) / total
    else:
        lon = sum(x for _, x, _, _ in cells) / len(cells)
        lat = sum(y for _, _, y, _ in cells) / len(cells)
    if any(point_in_ring((lon, lat), ring) for *_, ring in cells):
        return lon, lat
    nearest = min(cells, key=lambda c: (c[1] - lon) ** 2 + (c[2] - lat) ** 2)
    return nearest[1], nearest[2]


def short_cell_name(cell: str, community: str) -> str:
    """A cell's name without its community's name in front ("前进社区第1网格" in 前进社区 -> "第1网格")."""
    rest = cell[len(community):].strip(" ·-_—") if community and cell.startswith(community) else ""
    return rest or cell


def badge_point(ring: Sequence[Sequence[float]], centroid: Point, share: float = 0.55) -> Point:
    """A point `share` of the way from the centroid to the ring's north-east-most vertex: inside a convex
    cell and clear of a name written at the centroid."""
    corner = max(_open(ring), key=lambda p: p[0] + p[1])
    return centroid[0] + share * (corner[0] - centroid[0]), centroid[1] + share * (corner[1] - centroid[1])


def _distance(centre_lat: float):  # type: ignore[no-untyped-def]
    """A distance on the plane that shrinks longitude by cos(latitude): proportional to metres and pixels."""
    k = math.cos(math.radians(centre_lat))
    return lambda a, b: math.hypot((a[0] - b[0]) * k, a[1] - b[1])


def inner_half(points: Sequence[Point], centre: Point) -> list[Point]:
    """The nearest half of the points to `centre` (at least one), nearest first."""
    dist = _distance(centre[1])
    ranked = sorted(points, key=lambda p: dist(p, centre))
    return ranked[: max(1, (len(ranked) + 1) // 2)]


def clear_point(candidates: Sequence[Point], centre: Point, avoid: Sequence[Point]) -> Point:
    """Of the candidates in the inner half, the one farthest from every point to avoid — where a street's
    name is least likely to sit on a community's name or an overdue badge."""
    dist = _distance(centre[1])
    inner = inner_half(candidates, centre)
    if not avoid:
        return inner[0]
    return max(inner, key=lambda c: (min(dist(c, a) for a in avoid), -dist(c, centre)))


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in screen pixels of the world at a zoom
CJK_START = 0x2E80  # code points from here on are full-width (as wide as the font size)


def to_pixels(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Web-Mercator world pixel coordinates of a point at a zoom (y grows southwards)."""
    world = TILE_PX * 2**zoom
    return (lon + 180) / 360 * world, _mercator_y(lat) * world


def text_box(text: str, lon: float, lat: float, size_px: float, zoom: float, pad_px: float = 2.0) -> Box:
    """The screen box of a centred label: full-width characters are `size_px` wide, others 0.6 of it."""
    width = sum(size_px if ord(ch) >= CJK_START else 0.6 * size_px for ch in text) + 2 * pad_px
    height = 1.2 * size_px + 2 * pad_px
    x, y = to_pixels(lon, lat, zoom)
    return x - width / 2, y - height / 2, x + width / 2, y + height / 2


def circle_box(lon: float, lat: float, radius_px: float, zoom: float) -> Box:
    x, y = to_pixels(lon, lat, zoom)
    return x - radius_px, y - radius_px, x + radius_px, y + radius_px


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(fixed: Sequence[Box], options: Sequence[Sequence[Box]]) -> list[int | None]:
    """For each label in order, the index of the first of its candidate boxes that overlaps neither a fixed
    box nor a label placed before it; None when none fits (the label is left out)."""
    taken: list[Box] = list(fixed)
    chosen: list[int | None] = []
    for boxes in options:
        index = next((i for i, box in enumerate(boxes) if not any(_overlap(box, other) for other in taken)), None)
        chosen.append(index)
        if index is not None:
            taken.append(boxes[index])
    return chosen


# ------------------------------------------------------------------------------------ map geometry


@dataclass(frozen=True)
class CellShape:
    polygons: list[Polygon]
    centroid: Point  # area centroid of the largest part
    badge: Point  # where the overdue badge goes (see badge_point)


@dataclass(frozen=True)
class LabelSpot:
    """Where a unit's name may go: its label point first, then other points inside it, best first."""

    name: str
    centre: Point
    candidates: list[Point]


@dataclass(frozen=True)
class MapGeometry:
    """Everything drawn from the cells' boundaries alone (independent of the period and the measure)."""

    cells: dict[int, CellShape]
    community_outlines: list[list[list[float]]]
    street_outlines: list[list[list[float]]]
    community_spots: list[LabelSpot]  # largest community first; label point, then its inner cells
    street_spots: list[LabelSpot]  # label point, then every cell centroid of the street
    box: tuple[float, float, float, float] | None
    unreadable: tuple[int, ...]  # cells whose boundary is not a GeoJSON polygon (left off the map)


def build_geometry(frame: pd.DataFrame) -> MapGeometry:
    """The map geometry of cells given as rows of grid_cell_id, community_id, community_name, street_id,
    street_name and boundary (GeoJSON text)."""
    cells: dict[int, CellShape] = {}
    outer: dict[int, list[Ring]] = {}
    measured: dict[int, tuple[float, float, float, Ring]] = {}
    unreadable: list[int] = []
    for row in frame.itertuples(index=False):
        cell = int(row.grid_cell_id)
        try:
            polygons = polygons_from_geojson(row.boundary)
        except ValueError:
            unreadable.append(cell)
            continue
        parts = [(ring_area_centroid(p[0]), p[0]) for p in polygons]
        (area, lon, lat), ring = max(parts, key=lambda part: part[0][0])
        cells[cell] = CellShape(polygons, (lon, lat), badge_point(ring, (lon, lat)))
        outer[cell] = [p[0] for p in polygons]
        measured[cell] = (sum(a for (a, _, _), _ in parts), lon, lat, ring)
    rows = frame[frame["grid_cell_id"].astype(int).isin(list(cells))]
    outlines: dict[str, list[list[list[float]]]] = {}
    for level in ("community", "street"):
        group = {int(c): int(g) for c, g in zip(rows["grid_cell_id"], rows[f"{level}_id"])}
        outlines[level] = [path for paths in group_outlines(outer, group).values() for path in paths]
    spots: dict[str, list[tuple[float, LabelSpot]]] = {}
    for level in ("community", "street"):
        spots[level] = []
        for (_, name), members in rows.groupby([f"{level}_id", f"{level}_name"], sort=True):
            member_cells = [measured[int(c)] for c in members["grid_cell_id"]]
            centre = label_point(member_cells)
            centroids = [(lon, lat) for _, lon, lat, _ in member_cells]
            # A community's name may move to one of its inner cells to make room; a street's name picks
            # among all its cells (clear_point keeps to the inner half).
            candidates = [centre, *inner_half(centroids, centre)] if level == "community" else centroids
            spots[level].append((sum(a for a, *_ in member_cells), LabelSpot(str(name), centre, candidates)))
    return MapGeometry(
        cells=cells,
        community_outlines=outlines["community"],
        street_outlines=outlines["street"],
        # Largest community first, so the names that get placed first are the big ones.
        community_spots=[spot for _, spot in sorted(spots["community"], key=lambda item: -item[0])],
        street_spots=[spot for _, spot in spots["street"]],
        box=bounds(ring for rings in outer.values() for ring in rings),
        unreadable=tuple(unreadable),
    )
