"""A batch of parsed rows → complete ticket rows: coordinates to WGS-84, deadlines, areas, department.

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

from data_access.writes import prepare_ticket
from domain.settings import Settings
from importers.areas import Units
from importers.crs import to_wgs84
from importers.point_in_polygon import Placer
from importers.rows import ParsedRow


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
    """(street_id, community_id, grid_cell_id) per row, with the area findings added to each row.

    A batch names a few hundred places over and over: each distinct one is resolved once, until a unit is
    created (which can change how a name resolves)."""
    cells = _located(placer, "grid_cell", rows)
    communities_at = _located(placer, "community", rows)
    streets_at = _located(placer, "street", rows)
    has_cells = placer.has("grid_cell")
    known: dict[tuple, tuple] = {}  # type: ignore[type-arg]
    created = units.created
    out = []
    for row, cell_at, community_at, street_at in zip(rows, cells, communities_at, streets_at):
        key = (*row.area[:5], cell_at, community_at, street_at, row.lat is not None)
        if units.created != created:
            known.clear()
            created = units.created
        found = known.get(key)
        if found is None:
            found = _resolve(conn, key, units, has_cells, columns)
            if units.created == created:
                known[key] = found
        ids, findings = found
        row.findings.extend(findings)
        out.append(ids)
    return out


def _resolve(conn: Connection, key: tuple, units: Units, has_cells: bool,  # type: ignore[type-arg]
             columns: dict[str, str]) -> tuple[tuple[int | None, int | None, int | None], tuple[tuple[str, str], ...]]:
    """The area ids and findings of a row's names and location: `key` is (street, street_name, community,
    community_name, grid, the grid cell, community and street the point falls in, whether it has one)."""
    street, street_name, community, community_name, grid, cell_at, community_at, street_at, has_lat = key
    findings = []
    street_id = units.street(conn, street, street_name) if street else None
    if street and street_id is None:
        findings.append(("unknown_unit", columns.get("street", "street")))
    community_id = None
    if community:
        community_id = units.community(conn, community, community_name, street_id)
        if community_id is None:
            findings.append(("unknown_unit", columns.get("community", "community")))
    grid_id = units.cell(grid, community_id) if grid else None
    if grid and grid_id is None:
        findings.append(("unknown_unit", columns.get("grid", "grid")))
    if grid_id is None and cell_at is not None:
        if community_id is not None and units.community_of.get(cell_at) != community_id:
            findings.append(("grid_outside_community", columns.get("lat", "lat")))
        else:
            grid_id = cell_at
    elif grid_id is None and has_lat and has_cells:
        findings.append(("outside_grid", columns.get("lat", "lat")))
    if community_id is None and grid_id is not None:
        community_id = units.community_of.get(grid_id)
    if community_id is None and community_at is not None:
        community_id = community_at
    if community_id is not None:
        own_street = units.street_of.get(community_id)
        if street_id is not None and own_street != street_id:
            findings.append(("street_mismatch", columns.get("street", "street")))
        street_id = own_street
    if street_id is None and street_at is not None:
        street_id = street_at
    if street_id is None and community_id is None and grid_id is None:
        findings.append(("no_area", columns.get("street", "street")))
    return (street_id, community_id, grid_id), tuple(findings)


def prepare_rows(rows: list[ParsedRow], *, settings: Settings, coordinates: str) -> list[Ready]:
    """The half of readying a batch that needs no database, so the parsing thread runs it: coordinates to
    WGS-84 and complete ticket rows (defaults, deadlines derived by prepare_ticket unless given). The area
    and department ids are left empty for `place_rows`: prepare_ticket does not read them."""
    convert_coordinates(rows, coordinates)
    return [Ready(row.line, prepare_ticket({**row.fields, "lat": row.lat, "lon": row.lon}, settings), row.personal,
                  row.callback) for row in rows]


def place_rows(conn: Connection, rows: list[ParsedRow], ready: list[Ready], *, units: Units, placer: Placer,
               columns: dict[str, str]) -> None:
    """The other half, in the batch's transaction (units a row names may be created): each ticket's area and
    department ids, and the area findings added to its row."""
    areas = resolve_areas(conn, rows, units, placer, columns)
    department = units.department
    for row, r, (street_id, community_id, grid_id) in zip(rows, ready, areas):
        ticket = r.ticket
        ticket["street_id"], ticket["community_id"], ticket["grid_cell_id"] = street_id, community_id, grid_id
        ticket["lead_department_id"] = department(conn, row.department) if row.department else None
