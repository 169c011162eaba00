"""A batch of parsed rows → complete ticket rows: coordinates to WGS-84, areas, department, deadlines.

Area resolution per row (docs/importing.md "Areas"):
1. the grid cell the row names; else, with coordinates, the cell they fall in — unless the row names a
   community and the cell belongs to another one (finding `grid_outside_community`);
2. the community the row names; else the grid cell's; else the community polygon the point falls in;
3. the street is the community's (a different street on the row is the finding `street_mismatch`); else the
   street the row names; else the street polygon the point falls in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection

from data_access.importers.areas import Units
from data_access.importers.geo import to_wgs84
from data_access.importers.placement import Placer
from data_access.importers.rows import ParsedRow
from data_access.writes import prepare_ticket
from metrics.settings import Settings


@dataclass
class Ready:
    """One row ready to write."""

    line: int
    ticket: dict[str, Any]  # a full ticket row (prepare_ticket), without id
    personal: dict[str, Any] | None
    callback: tuple | None  # type: ignore[type-arg]


def convert_coordinates(rows: list[ParsedRow], system: str) -> None:
    """GCJ-02/BD-09 → WGS-84 in place, for the whole batch at once."""
    if system == "wgs84":
        return
    have = [r for r in rows if r.lat is not None]
    if not have:
        return
    lon, lat = to_wgs84([r.lon for r in have], [r.lat for r in have], system)
    for row, x, y in zip(have, lon.tolist(), lat.tolist()):
        row.lon, row.lat = round(x, 7), round(y, 7)


def _located(placer: Placer, level: str, rows: list[ParsedRow]) -> list[int | None]:
    if not placer.has(level):
        return [None] * len(rows)
    lon = np.array([np.nan if r.lon is None else r.lon for r in rows])
    lat = np.array([np.nan if r.lat is None else r.lat for r in rows])
    return [None if i < 0 else int(i) for i in placer.locate(level, lon, lat).tolist()]


def resolve_areas(conn: Connection, rows: list[ParsedRow], units: Units, placer: Placer,
                  columns: dict[str, str]) -> list[tuple[int | None, int | None, int | None]]:
    """(street_id, community_id, grid_cell_id) per row, with the area findings added to each row."""
    cells = _located(placer, "grid_cell", rows)
    communities_at = _located(placer, "community", rows)
    streets_at = _located(placer, "street", rows)
    out = []
    for row, cell_at, community_at, street_at in zip(rows, cells, communities_at, streets_at):
        a = row.area
        street_id = units.street(conn, a["street"], a["street_name"]) if a["street"] else None
        if a["street"] and street_id is None:
            row.findings.append(("unknown_unit", columns.get("street", "street")))
        community_id = None
        if a["community"]:
            community_id = units.community(conn, a["community"], a["community_name"], street_id)
            if community_id is None:
                row.findings.append(("unknown_unit", columns.get("community", "community")))
        grid_id = units.cell(a["grid"], community_id) if a["grid"] else None
        if a["grid"] and grid_id is None:
            row.findings.append(("unknown_unit", columns.get("grid", "grid")))
        if grid_id is None and cell_at is not None:
            if community_id is not None and units.community_of.get(cell_at) != community_id:
                row.findings.append(("grid_outside_community", columns.get("lat", "lat")))
            else:
                grid_id = cell_at
        elif grid_id is None and row.lat is not None and placer.has("grid_cell"):
            row.findings.append(("outside_grid", columns.get("lat", "lat")))
        if community_id is None and grid_id is not None:
            community_id = units.community_of.get(grid_id)
        if community_id is None and community_at is not None:
            community_id = community_at
        if community_id is not None:
            own_street = units.street_of.get(community_id)
            if street_id is not None and own_street != street_id:
                row.findings.append(("street_mismatch", columns.get("street", "street")))
            street_id = own_street
        if street_id is None and street_at is not None:
            street_id = street_at
        if street_id is None and community_id is None and grid_id is None:
            row.findings.append(("no_area", columns.get("street", "street")))
        out.append((street_id, community_id, grid_id))
    return out


def ready_rows(conn: Connection, rows: list[ParsedRow], *, units: Units, placer: Placer, settings: Settings,
               coordinates: str, columns: dict[str, str]) -> list[Ready]:
    """The batch's rows as complete ticket rows (deadlines derived by prepare_ticket unless given)."""
    convert_coordinates(rows, coordinates)
    areas = resolve_areas(conn, rows, units, placer, columns)
    ready = []
    for row, (street_id, community_id, grid_id) in zip(rows, areas):
        department_id = units.department(conn, row.department) if row.department else None
        ticket = prepare_ticket({**row.fields, "street_id": street_id, "community_id": community_id,
                                 "grid_cell_id": grid_id, "lat": row.lat, "lon": row.lon,
                                 "lead_department_id": department_id}, settings)
        ready.append(Ready(row.line, ticket, row.personal, row.callback))
    return ready
