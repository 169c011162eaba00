"""Boundaries: polygons validated, repaired or rejected with a reason; units upserted by code; tickets with
coordinates placed by point in polygon, also when the coordinates are GCJ-02."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
import shapely
from sqlalchemy import select

from data_access.engine import make_engine
from data_access.schema import Community, GridCell, Street, Ticket, UnitBoundary
from importers import ImportOptions, import_file
from importers.boundaries import BoundaryOptions, import_boundaries
from importers.crs import wgs84_to_gcj02
from importers.polygons import PolygonRejected, clean_polygon

T, G, C, S, B = (t.__table__ for t in (Ticket, GridCell, Community, Street, UnitBoundary))
NOW = dt.datetime(2026, 11, 20, 12, 0)


def _square(lon: float, lat: float, size: float = 0.01) -> dict:  # type: ignore[type-arg]
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
# A 1×1 shell with a 0.5×0.5 "hole" beside it: make_valid would make the hole extra territory (+25 %).
HOLE_OUTSIDE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]],
                                                   [[2, 0], [2.5, 0], [2.5, 0.5], [2, 0.5], [2, 0]]]}
# A hole that sticks out of its shell: the part outside would become territory.
HOLE_ACROSS = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]],
                                                  [[0.5, 0.25], [1.5, 0.25], [1.5, 0.75], [0.5, 0.75], [0.5, 0.25]]]}
# A square whose boundary runs out and back along the same line (a zero-width spike): no area changes.
SPIKE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 0.5], [1.5, 0.5], [1, 0.5], [1, 1], [0, 1], [0, 0]]]}


@pytest.mark.parametrize("geometry, outcome", [
    (_square(116.40, 39.90), "valid"),
    ({"type": "Polygon", "coordinates": [[[116.4, 39.9], [116.41, 39.9], [116.41, 39.91], [116.4, 39.91]]]},
     "repaired: 1 ring(s) not closed"),
    (BOWTIE, "repaired: Self-intersection"),
    (HOLE_OUTSIDE, "rejected: repairing it would change its area by 25.0%"),
    (HOLE_ACROSS, "rejected: repairing it would change its area by"),
    (SPIKE, "repaired: Self-intersection|Ring Self-intersection|Too few points"),
    ({"type": "Point", "coordinates": [116.4, 39.9]}, "rejected: not a polygon: Point"),
    ({"type": "Polygon", "coordinates": []}, "rejected: empty polygon"),
    ({"type": "Polygon", "coordinates": [[[500000, 4400000], [500100, 4400000], [500100, 4400100], [500000, 4400000]]]},
     "rejected: coordinates outside"),
    ({"type": "Polygon", "coordinates": [[[116.4, 39.9], [116.41, 39.91], [116.4, 39.9]]]},
     "rejected: invalid and not repairable|without area"),
    ({"type": "Polygon", "coordinates": "nonsense"}, "rejected: unreadable polygon"),
    (None, "rejected: no geometry"),
], ids=["square", "unclosed-ring", "bowtie", "hole-outside", "hole-across", "spike", "point", "empty", "projected", "degenerate", "garbage", "missing"])
def test_polygons_are_validated_repaired_or_rejected(geometry, outcome):
    if outcome.startswith("rejected"):
        with pytest.raises(PolygonRejected, match=outcome.split(": ", 1)[1]):
            clean_polygon(geometry)
        return
    clean = clean_polygon(geometry)
    assert clean.geometry.is_valid and clean.geometry.area > 0
    if outcome == "valid":
        assert clean.repaired is None
    else:
        assert clean.repaired.startswith(tuple(outcome.split(": ", 1)[1].split("|"))), clean.repaired
        before = shapely.Polygon(geometry["coordinates"][0]).area - sum(
            shapely.Polygon(h).area for h in geometry["coordinates"][1:])
        assert clean.geometry.area == pytest.approx(before if before > 0 else clean.geometry.area, rel=1e-3)


def test_gcj02_polygons_are_stored_in_wgs84():
    square = _square(116.40, 39.90)
    lon, lat = wgs84_to_gcj02([p[0] for p in square["coordinates"][0]], [p[1] for p in square["coordinates"][0]])
    shifted = {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in zip(lon, lat)]]}
    clean = clean_polygon(shifted, "gcj02")
    assert shapely.hausdorff_distance(clean.geometry, shapely.geometry.shape(square)) < 2e-6


def _collection(features: list[dict], crs: str | None = None) -> str:  # type: ignore[type-arg]
    data: dict = {"type": "FeatureCollection", "features": features}  # type: ignore[type-arg]
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(data, ensure_ascii=False)


def _feature(code: str | None, name: str, community: str, geometry) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {"type": "Feature", "geometry": geometry,
            "properties": {"网格编码": code, "网格名称": name, "社区编码": community, "街道": "东湖街道"}}


GRID_MAPPING = """
[boundaries]
code = "网格编码"
name = "网格名称"
community_code = "社区编码"
street_code = "街道"
district_code = "D01"
district_name = "示范区"
"""


@pytest.fixture
def db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def grid_file(tmp_path):
    features = [
        _feature("G1", "一网格", "C1", _square(116.40, 39.90)),
        _feature("G2", "二网格", "C1", _square(116.41, 39.90)),
        _feature("G3", "三网格", "C2", _square(116.42, 39.90)),
        _feature("G1", "重复", "C1", _square(116.50, 39.90)),
        _feature(None, "无编码", "C1", _square(116.60, 39.90)),
        _feature("G4", "点", "C2", {"type": "Point", "coordinates": [116.4, 39.9]}),
        _feature("G5", "自相交", "C2", {"type": "Polygon", "coordinates": [[[116.43, 39.90], [116.44, 39.91],
                                                                           [116.44, 39.90], [116.43, 39.91],
                                                                           [116.43, 39.90]]]}),
    ]
    path = tmp_path / "grids.geojson"
    path.write_text(_collection(features), encoding="utf-8")
    mapping = tmp_path / "grids.toml"
    mapping.write_text(GRID_MAPPING, encoding="utf-8")
    return path, mapping


def test_grid_boundaries_load_repair_and_reject_with_reasons(db, grid_file, tmp_path):
    path, mapping = grid_file
    summary = import_boundaries(db, path, BoundaryOptions(level="grid", mapping=mapping,
                                                          rejects_path=tmp_path / "r.csv"))
    assert (summary.features, summary.inserted, summary.rejected) == (7, 4, 3)
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as fh:
        rejects = [(int(r[0]), r[2]) for r in list(csv.reader(fh))[1:]]
    assert rejects == [(4, "code 'G1' already at feature 1"), (5, "no code"), (6, "not a polygon: Point")]
    assert summary.findings.counts[("polygon_repaired", summary.findings.rows()[0]["column_name"])] == 1
    with db.connect() as conn:
        cells = conn.execute(select(G.c.code, C.c.code, S.c.name).join(C, C.c.id == G.c.community_id)
                             .join(S, S.c.id == C.c.street_id).order_by(G.c.code)).all()
    assert [tuple(r) for r in cells] == [("G1", "C1", "东湖街道"), ("G2", "C1", "东湖街道"), ("G3", "C2", "东湖街道"),
                                         ("G5", "C2", "东湖街道")]
    again = import_boundaries(db, path, BoundaryOptions(level="grid", mapping=mapping, rejects_path=tmp_path / "r.csv"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


TICKETS = "工单编号,受理时间,问题分类,所属社区,经度,纬度\n"


def test_tickets_imported_before_the_boundaries_are_placed_afterwards(db, grid_file, tmp_path):
    path, mapping = grid_file
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS + "A1,2026-11-01 09:00,供暖,,116.405,39.905\n"  # in G1 → C1
                       "A2,2026-11-01 10:00,供暖,,116.425,39.905\n"  # in G3 → C2
                       "A3,2026-11-01 11:00,供暖,,117.000,39.905\n"  # nowhere
                       "A4,2026-11-01 12:00,供暖,,,\n", encoding="utf-8")  # no coordinates
    import_file(db, tickets, ImportOptions(format="12345", rejects_path=tmp_path / "t.csv", now=NOW))
    summary = import_boundaries(db, path, BoundaryOptions(level="grid", mapping=mapping, rejects_path=tmp_path / "r.csv"))
    assert summary.placed == 2
    with db.connect() as conn:
        placed = conn.execute(select(T.c.ticket_no, G.c.code, C.c.code).outerjoin(G, G.c.id == T.c.grid_cell_id)
                              .outerjoin(C, C.c.id == T.c.community_id).order_by(T.c.ticket_no)).all()
    assert [tuple(r) for r in placed] == [("A1", "G1", "C1"), ("A2", "G3", "C2"), ("A3", None, None), ("A4", None, None)]


def test_gcj02_ticket_coordinates_are_converted_then_placed(db, grid_file, tmp_path):
    path, mapping = grid_file
    import_boundaries(db, path, BoundaryOptions(level="grid", mapping=mapping, rejects_path=tmp_path / "r.csv"))
    glon, glat = wgs84_to_gcj02(116.4095, 39.9005)  # a point near G1's east edge, shifted ~500 m by GCJ-02
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS + f"A1,2026-11-01 09:00,供暖,,{float(glon):.7f},{float(glat):.7f}\n", encoding="utf-8")
    import_file(db, tickets, ImportOptions(format="12345", coordinates="gcj02", rejects_path=tmp_path / "t.csv", now=NOW))
    with db.connect() as conn:
        row = conn.execute(select(T.c.lon, T.c.lat, G.c.code).join(G, G.c.id == T.c.grid_cell_id)).one()
    assert (row.lon, row.lat) == pytest.approx((116.4095, 39.9005), abs=1e-6)
    assert row.code == "G1"  # unconverted, the point would fall in G2


def test_street_and_community_boundaries_place_tickets_without_a_grid(db, tmp_path):
    streets = tmp_path / "streets.geojson"
    streets.write_text(_collection([{"type": "Feature", "geometry": _square(116.0, 39.0, 1.0),
                                     "properties": {"code": "S9", "name": "大街道"}}]), encoding="utf-8")
    communities = tmp_path / "communities.geojson"
    communities.write_text(_collection([{"type": "Feature", "geometry": _square(116.0, 39.0, 0.5),
                                         "properties": {"code": "C9", "name": "小社区", "street": "S9"}}]),
                           encoding="utf-8")
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS + "A1,2026-11-01 09:00,供暖,,116.2,39.2\nA2,2026-11-01 09:00,供暖,,116.8,39.8\n",
                       encoding="utf-8")
    import_file(db, tickets, ImportOptions(format="12345", rejects_path=tmp_path / "t.csv", now=NOW))
    import_boundaries(db, streets, BoundaryOptions(level="street", rejects_path=tmp_path / "r.csv"))
    import_boundaries(db, communities, BoundaryOptions(level="community", parent="street", rejects_path=tmp_path / "r.csv"))
    with db.connect() as conn:
        got = conn.execute(select(T.c.ticket_no, S.c.code, C.c.code).outerjoin(S, S.c.id == T.c.street_id)
                           .outerjoin(C, C.c.id == T.c.community_id).order_by(T.c.ticket_no)).all()
        levels = conn.execute(select(B.c.level).order_by(B.c.level)).scalars().all()
    assert [tuple(r) for r in got] == [("A1", "S9", "C9"), ("A2", "S9", None)]
    assert levels == ["community", "street"]


def test_a_file_crs_member_says_gcj02(db, tmp_path):
    lon, lat = wgs84_to_gcj02([116.40, 116.41, 116.41, 116.40, 116.40], [39.90, 39.90, 39.91, 39.91, 39.90])
    geometry = {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in zip(lon, lat)]]}
    path = tmp_path / "streets.geojson"
    path.write_text(_collection([{"type": "Feature", "geometry": geometry, "properties": {"code": "S1", "name": "甲"}}],
                                crs="GCJ-02"), encoding="utf-8")
    import_boundaries(db, path, BoundaryOptions(level="street", rejects_path=tmp_path / "r.csv"))
    with db.connect() as conn:
        stored = shapely.from_geojson(conn.execute(select(B.c.boundary)).scalar_one())
    assert shapely.hausdorff_distance(stored, shapely.geometry.shape(_square(116.40, 39.90))) < 2e-6
