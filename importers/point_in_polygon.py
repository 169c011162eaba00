"""Point in polygon: which grid cell, community or street a coordinate falls in (shapely STRtree, vectorised).

A point on a shared edge belongs to the polygon with the lowest id, so placement is deterministic.
Polygons are read once per import from `grid_cell.boundary` and `unit_boundary` (GeoJSON, WGS-84).
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import Connection, select

from data_access.schema import GridCell, UnitBoundary

G = GridCell.__table__
B = UnitBoundary.__table__


class _Layer:
    def __init__(self, ids: list[int], geometries: list) -> None:  # type: ignore[type-arg]
        order = np.argsort(np.asarray(ids, dtype=np.int64), kind="stable")
        self.ids = np.asarray(ids, dtype=np.int64)[order]
        self.tree = shapely.STRtree([geometries[i] for i in order])

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The id of the polygon each point falls in, or -1 (points with NaN coordinates get -1)."""
        found = np.full(len(lon), -1, dtype=np.int64)
        valid = ~(np.isnan(lon) | np.isnan(lat))
        if not valid.any() or len(self.ids) == 0:
            return found
        where = np.nonzero(valid)[0]
        points = shapely.points(lon[where], lat[where])
        hits = self.tree.query(points, predicate="intersects")
        if hits.shape[1]:
            point_i, poly_i = hits
            # Lowest polygon index first for each point, then keep each point's first hit.
            order = np.lexsort((poly_i, point_i))
            point_i, poly_i = point_i[order], poly_i[order]
            first = np.ones(len(point_i), dtype=bool)
            first[1:] = point_i[1:] != point_i[:-1]
            found[where[point_i[first]]] = self.ids[poly_i[first]]
        return found


class Placer:
    """The polygons of one database by level; `locate(level, lon, lat)` → ids (or -1)."""

    def __init__(self, layers: dict[str, _Layer]) -> None:
        self.layers = layers

    @classmethod
    def load(cls, conn: Connection) -> "Placer":
        layers: dict[str, _Layer] = {}
        cells = conn.execute(select(G.c.id, G.c.boundary)).all()
        if cells:
            layers["grid_cell"] = _Layer([r.id for r in cells], [_geometry(r.boundary) for r in cells])
        for level in ("community", "street"):
            rows = conn.execute(select(B.c.unit_id, B.c.boundary).where(B.c.level == level)).all()
            if rows:
                layers[level] = _Layer([r.unit_id for r in rows], [_geometry(r.boundary) for r in rows])
        return cls(layers)

    def has(self, level: str) -> bool:
        return level in self.layers

    def locate(self, level: str, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        layer = self.layers.get(level)
        if layer is None:
            return np.full(len(lon), -1, dtype=np.int64)
        return layer.locate(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def _geometry(text: str):  # type: ignore[no-untyped-def]
    """The polygon of a stored boundary; an unreadable one places nothing (import-boundaries validates)."""
    try:
        geometry = shapely.from_geojson(text) if text else shapely.Polygon()
    except (shapely.errors.GEOSException, ValueError):
        geometry = shapely.Polygon()
    shapely.prepare(geometry)
    return geometry
