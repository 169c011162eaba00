"""The administrative tree and departments as an import sees them: looked up by code or name, created on
demand inside the caller's transaction, cached (a district has hundreds of units, not millions).

Matching rules (docs/importing.md): a street by code, else by name; a community by code, else by name
within the row's street, else by name if only one community has it; a grid cell by code, else by name within
the community. Streets and communities a row names but the database lacks are created when the mapping
allows it; grid cells never are (they need a polygon: `import-boundaries`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from data_access.schema import Community, Department, District, GridCell, Street
from domain import vocab

S, C, G, D, DEP = (t.__table__ for t in (Street, Community, GridCell, District, Department))
CODE_LEN = 32
NAME_LEN = 100
DEFAULT_DISTRICT = ("D01", "本区")
DEFAULT_FALLBACK_STREET = ("UNASSIGNED", "未分配街道")


class AreaSetupError(ValueError):
    """The database's districts do not say where new units belong."""


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    parent_id: int | None


def unit_code(value: str, taken: set[str], prefix: str = "") -> str:
    """A code for a unit created from a name: the name itself if it fits and is free, else prefixed, else a hash."""
    for candidate in (value, f"{prefix}-{value}" if prefix else None):
        if candidate and len(candidate) <= CODE_LEN and candidate not in taken:
            return candidate
    return "U" + hashlib.sha1(f"{prefix}/{value}".encode()).hexdigest()[:20]


class Units:
    """Cached streets, communities, grid cells and departments of one database (see the module docstring)."""

    def __init__(self, conn: Connection, *, create: bool, district: tuple[str | None, str | None] = (None, None),
                 fallback_street: tuple[str | None, str | None] = (None, None)) -> None:
        self.create = create
        self.created = 0  # units created so far: a change says cached resolutions may be stale
        self._district_spec = district
        self._fallback_spec = fallback_street
        self._district_id: int | None = None
        self.streets = {r.code: Unit(r.id, r.code, r.name, r.district_id) for r in conn.execute(
            select(S.c.id, S.c.code, S.c.name, S.c.district_id))}
        self.communities = {r.code: Unit(r.id, r.code, r.name, r.street_id) for r in conn.execute(
            select(C.c.id, C.c.code, C.c.name, C.c.street_id))}
        self.cells = {r.code: Unit(r.id, r.code, r.name, r.community_id) for r in conn.execute(
            select(G.c.id, G.c.code, G.c.name, G.c.community_id))}
        self.departments = {r.name: r.id for r in conn.execute(select(DEP.c.id, DEP.c.name))}
        self._reindex()

    def _reindex(self) -> None:
        self.street_by_name = {u.name: u for u in self.streets.values()}
        self.street_of = {u.id: u.parent_id for u in self.communities.values()}
        self.community_of = {u.id: u.parent_id for u in self.cells.values()}
        self.community_by_name: dict[tuple[int | None, str], list[Unit]] = {}
        for u in self.communities.values():
            self.community_by_name.setdefault((u.parent_id, u.name), []).append(u)
            self.community_by_name.setdefault((None, u.name), []).append(u)
        self.cell_by_name = {(u.parent_id, u.name): u for u in self.cells.values()}

    def _new(self, conn: Connection, table, values: dict) -> int:  # type: ignore[no-untyped-def]
        self.created += 1
        return _insert(conn, table, values)

    # --- district -----------------------------------------------------------------------------------
    def district_id(self, conn: Connection) -> int:
        """The district new streets go into (see AreaOptions): named, the only one, or a new default."""
        if self._district_id is not None:
            return self._district_id
        code, name = self._district_spec
        rows = conn.execute(select(D.c.id, D.c.code)).all()
        if code is not None:
            found = [r.id for r in rows if r.code == code]
        elif len(rows) > 1:
            raise AreaSetupError(f"the database has {len(rows)} districts: name one with [areas] district_code")
        else:
            found = [r.id for r in rows]
            code, name = DEFAULT_DISTRICT if not rows else (code, name)
        if found:
            self._district_id = int(found[0])
        else:
            self._district_id = self._new(conn, D, dict(code=code, name=(name or code)[:NAME_LEN]))
        return self._district_id

    # --- streets ------------------------------------------------------------------------------------
    def street(self, conn: Connection, value: str, name: str | None = None) -> int | None:
        """The street a row names (code or name), created if allowed; None if unknown."""
        found = self.streets.get(value) or self.street_by_name.get(value)
        if found is not None:
            return found.id
        if not self.create:
            return None
        shown = (name or value)[:NAME_LEN]
        code = value if len(value) <= CODE_LEN and value not in self.streets else unit_code(shown, set(self.streets))
        unit = Unit(self._new(conn, S, dict(code=code, name=shown, district_id=self.district_id(conn))), code, shown,
                    self.district_id(conn))
        self.streets[code] = unit
        self.street_by_name.setdefault(shown, unit)
        return unit.id

    def fallback_street(self, conn: Connection) -> int:
        code, name = self._fallback_spec
        code, name = (code, name or code) if code else DEFAULT_FALLBACK_STREET
        found = self.streets.get(code)
        if found is not None:
            return found.id
        unit = Unit(self._new(conn, S, dict(code=code, name=name, district_id=self.district_id(conn))), code, name,
                    self.district_id(conn))
        self.streets[code] = unit
        self.street_by_name.setdefault(name, unit)
        return unit.id

    # --- communities --------------------------------------------------------------------------------
    def community(self, conn: Connection, value: str, name: str | None, street_id: int | None) -> int | None:
        """The community a row names; created (under its street, else the fallback street) if allowed.

        `value` is a code when the row also gives a `name` (LA: NC and NCName), else a name or a code
        (12345: 所属社区; NYC: "12 MANHATTAN"). With a street known, a name in that street wins, and a code
        of another street's community counts only when it is a code for sure (the same name can be a
        community in two streets: 幸福社区).
        """
        by_code = self.communities.get(value)
        if street_id is not None:
            in_street = self.community_by_name.get((street_id, value))
            if in_street:
                return in_street[0].id
            if by_code is not None and (by_code.parent_id == street_id or name is not None):
                return by_code.id
        elif by_code is not None:
            return by_code.id
        else:
            by_name = self.community_by_name.get((None, value), [])
            if len(by_name) > 1:
                return None  # the same name in several streets and no street to choose by
            if by_name:
                return by_name[0].id
        if not self.create:
            return None
        parent = street_id if street_id is not None else self.fallback_street(conn)
        shown = (name or value)[:NAME_LEN]
        parent_code = next((u.code for u in self.streets.values() if u.id == parent), "")
        code = unit_code(value, set(self.communities), parent_code)
        unit = Unit(self._new(conn, C, dict(code=code, name=shown, street_id=parent)), code, shown, parent)
        self.communities[code] = unit
        self.street_of[unit.id] = parent
        for key in {(parent, shown), (None, shown), (parent, value)}:
            self.community_by_name.setdefault(key, []).append(unit)
        return unit.id

    # --- grid cells ---------------------------------------------------------------------------------
    def cell(self, value: str, community_id: int | None) -> int | None:
        found = self.cells.get(value) or self.cell_by_name.get((community_id, value))
        return found.id if found is not None else None

    # --- departments --------------------------------------------------------------------------------
    def department(self, conn: Connection, name: str) -> int:
        """The department of that name, created if new (街道 names are the street's own office)."""
        name = name[:NAME_LEN]
        found = self.departments.get(name)
        if found is not None:
            return found
        is_street = name in self.street_by_name or name.endswith(("街道办事处", "街道", "乡政府", "镇政府"))
        kind = vocab.DEPARTMENT_STREET if is_street else vocab.DEPARTMENT_AGENCY
        self.departments[name] = self._new(conn, DEP, dict(name=name, kind=kind))
        return self.departments[name]


def _insert(conn: Connection, table, values: dict) -> int:  # type: ignore[no-untyped-def]
    return int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])
