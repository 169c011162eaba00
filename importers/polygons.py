"""One GeoJSON feature's geometry → a valid WGS-84 (Multi)Polygon, repaired, or a reason to reject it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import shape

from importers.crs import to_wgs84

POLYGONAL = ("Polygon", "MultiPolygon")
GRID_SIZE = 1e-6  # degrees (~0.1 m): coordinates are snapped to this grid, which keeps the text short
# Boundaries are stored as GeoJSON text; MariaDB's TEXT holds 65,535 bytes. The same limit on every
# database keeps the stored polygons identical everywhere; a bigger polygon is simplified until it fits.
MAX_GEOJSON_BYTES = 65_535
# A repair may move area around a self-touching or doubled vertex, but not invent or drop territory: one that
# changes the area the rings describe (shells minus holes) by more than this share is a reject.
REPAIR_AREA_TOLERANCE = 0.001


class PolygonRejected(ValueError):
    """The geometry cannot be a unit's boundary; the message is the reason."""


@dataclass(frozen=True)
class CleanPolygon:
    geometry: Any  # shapely Polygon or MultiPolygon, valid, counter-clockwise shells (RFC 7946)
    repaired: str | None  # what was wrong, if it was repaired
    simplified: float = 0.0  # the simplification tolerance (degrees) it took to fit, 0 if none


def _polygonal_part(geometry: Any) -> Any:
    """The polygons of a make_valid result (which may mix in lines and points)."""
    if geometry.geom_type in POLYGONAL:
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if g.geom_type in POLYGONAL]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def clean_polygon(geometry: Any, system: str = "wgs84") -> CleanPolygon:
    """Validate one feature geometry (see the module docstring); PolygonRejected with the reason if unusable."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise PolygonRejected("no geometry")
    kind = geometry.get("type")
    if kind not in POLYGONAL:
        raise PolygonRejected(f"not a polygon: {kind}")
    unclosed = _unclosed_rings(geometry.get("coordinates"), kind)
    try:
        shaped = shape(geometry)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, GEOSException, ShapelyError) as exc:
        raise PolygonRejected(f"unreadable polygon: {exc}") from None
    if shaped.is_empty:
        raise PolygonRejected("empty polygon")
    coords = shapely.get_coordinates(shaped)
    if not np.isfinite(coords).all():
        raise PolygonRejected("coordinates that are not numbers")
    lon_min, lat_min, lon_max, lat_max = shaped.bounds
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        raise PolygonRejected("coordinates outside −180..180 / −90..90 (a projected CRS? convert to WGS-84 lon/lat)")
    if system != "wgs84":
        shaped = shapely.transform(shaped, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], system)))
    repairs = [f"{unclosed} ring(s) not closed (closed with their first point)"] if unclosed else []
    if not shaped.is_valid:
        reason = shapely.is_valid_reason(shaped)
        intended = _intended_area(shaped)
        shaped = _polygonal_part(shapely.make_valid(shaped))
        if shaped.is_empty or not shaped.is_valid:
            raise PolygonRejected(f"invalid and not repairable: {reason}")
        change = abs(shaped.area - intended) / intended if intended > 0 else float("inf")
        if change > REPAIR_AREA_TOLERANCE:
            raise PolygonRejected(f"invalid ({reason}); repairing it would change its area by "
                                  f"{'an unknown share' if change == float('inf') else f'{change:.1%}'}")
        repairs.append(reason)
    repaired = "; ".join(repairs) or None
    if shaped.area <= 0:
        raise PolygonRejected("polygon without area")
    shaped = _polygonal_part(shapely.set_precision(shaped, GRID_SIZE))
    if shaped.is_empty:
        raise PolygonRejected(f"polygon smaller than the {GRID_SIZE}° grid")
    fitted, tolerance = _fitted(shaped)
    return CleanPolygon(shapely.orient_polygons(fitted, exterior_cw=False), repaired, tolerance)


def _unclosed_rings(coordinates: Any, kind: str) -> int:
    """How many rings of a GeoJSON (Multi)Polygon do not end at their first position (RFC 7946 requires it;
    shapely closes them silently)."""
    polygons = coordinates if kind == "MultiPolygon" else [coordinates]
    count = 0
    for rings in polygons if isinstance(polygons, list) else []:
        for ring in rings if isinstance(rings, list) else []:
            if isinstance(ring, list) and len(ring) > 1 and ring[0] != ring[-1]:
                count += 1
    return count


def _intended_area(geometry: Any) -> float:
    """The area an invalid polygon's rings describe: the union of its shells minus the union of its holes,
    each ring made valid on its own. A hole outside its shell takes nothing away (make_valid would add it as
    territory); a bow-tie shell keeps both lobes (as make_valid does)."""
    polygons = list(geometry.geoms) if geometry.geom_type == "MultiPolygon" else [geometry]

    def region(rings: list[Any]) -> Any:
        parts = [_polygonal_part(shapely.make_valid(shapely.Polygon(r))) for r in rings]
        return shapely.union_all(parts) if parts else shapely.Polygon()

    shells = region([p.exterior for p in polygons])
    holes = region([ring for p in polygons for ring in p.interiors])
    return float(shapely.difference(shells, holes).area)


def geojson_text(geometry: Any) -> str:
    return shapely.to_geojson(geometry)


def _fitted(geometry: Any) -> tuple[Any, float]:
    """The geometry, simplified (doubling the tolerance from GRID_SIZE) until its GeoJSON fits the column."""
    tolerance = 0.0
    while len(geojson_text(geometry).encode()) > MAX_GEOJSON_BYTES:
        tolerance = tolerance * 2 or GRID_SIZE * 2
        geometry = _polygonal_part(shapely.simplify(geometry, tolerance, preserve_topology=True))
    return geometry, tolerance
