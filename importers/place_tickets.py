"""Tickets already in the database that have coordinates but no unit at a level: placed by point in polygon.

Run after `import-boundaries`. Only empty levels are filled, and only where the result agrees with what
the ticket already says: a ticket whose community is set is placed in a grid cell of that community only;
a street that is set is never changed. Keyset pages of PAGE tickets, one transaction each (placement only
fills empty columns, so re-running it is harmless).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, bindparam, select, update

from data_access import rollups
from data_access.schema import Community, GridCell, Ticket
from importers.point_in_polygon import Placer

T = Ticket.__table__
PAGE = 20_000
_COLUMN = {"grid": T.c.grid_cell_id, "community": T.c.community_id, "street": T.c.street_id}
_LAYER = {"grid": "grid_cell", "community": "community", "street": "street"}


def place_tickets(engine: Engine, level: str) -> int:
    """How many tickets got a unit at `level` (grid, community or street)."""
    with engine.connect() as conn:
        placer = Placer.load(conn)
        community_of = dict(conn.execute(select(GridCell.__table__.c.id, GridCell.__table__.c.community_id)).all())
        street_of = dict(conn.execute(select(Community.__table__.c.id, Community.__table__.c.street_id)).all())
    if not placer.has(_LAYER[level]):
        return 0
    empty = _COLUMN[level]
    placed, last_id = 0, 0
    while True:
        with engine.begin() as conn:
            page = conn.execute(
                select(T.c.id, T.c.lat, T.c.lon, T.c.street_id, T.c.community_id, T.c.grid_cell_id)
                .where(T.c.id > last_id, empty.is_(None), T.c.lat.is_not(None), T.c.lon.is_not(None))
                .order_by(T.c.id).limit(PAGE)
            ).all()
            if not page:
                return placed
            last_id = page[-1].id
            found = placer.locate(_LAYER[level], np.array([r.lon for r in page], dtype=float),
                                  np.array([r.lat for r in page], dtype=float)).tolist()
            changes = [c for r, unit in zip(page, found) if unit >= 0
                       for c in [_change(level, r, unit, community_of, street_of)] if c is not None]
            if changes:
                conn.execute(update(T).where(T.c.id == bindparam("_id")).values(
                    grid_cell_id=bindparam("_grid"), community_id=bindparam("_community"),
                    street_id=bindparam("_street")), changes)
                rollups.mark_tickets(conn, [c["_id"] for c in changes])
            placed += len(changes)


def _change(level: str, row, unit: int, community_of: dict, street_of: dict) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    """The new (grid, community, street) of one ticket, or None when the polygon disagrees with the ticket."""
    grid, community, street = row.grid_cell_id, row.community_id, row.street_id
    if level == "grid":
        grid, cell_community = unit, community_of.get(unit)
        if community is not None and community != cell_community:
            return None
        community = cell_community
    elif level == "community":
        community = unit
    if level != "street":
        own_street = street_of.get(community)
        if street is not None and street != own_street:
            return None
        street = own_street
    else:
        street = unit
    return {"_id": row.id, "_grid": grid, "_community": community, "_street": street}
