"""`import_boundaries`: GeoJSON polygons → streets, communities or grid cells, then tickets placed in them.

    import_boundaries(engine, Path("grids.geojson"), BoundaryOptions(level="grid", mapping="la-nc-boundaries"))

Which property is which comes from a boundary mapping (a preset in presets/*-boundaries.toml, a TOML file
with a [boundaries] table, or the --code/--name/--parent flags); a value may be a property name or a
template such as "LA-{objectid}", and a list means "the first that has a value". Each polygon is validated
(polygons.py): repaired when make_valid can (a finding), rejected with a reason otherwise. Units are
upserted by code in one transaction (a boundary file is thousands of polygons, not millions); afterwards
tickets with coordinates and no unit at that level are placed by point in polygon (place_tickets.py).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from data_access.schema import Community, GridCell, Street, UnitBoundary, create_schema
from domain.clock import local_now
from domain.settings import DEFAULT_SETTINGS, Settings
from importers import runs
from importers.areas import NAME_LEN, AreaSetupError, Units
from importers.findings import FindingTally
from importers.mapping import COORDINATE_SYSTEMS, PRESET_DIR, read_toml
from importers.place_tickets import place_tickets
from importers.polygons import PolygonRejected, clean_polygon, geojson_text
from importers.readers import Record
from importers.rejects import RejectsFile, check_writable, default_rejects_path
from importers.values import BadValue, cell_text, parse_float, word_key

LEVELS = ("street", "community", "grid")
S, C, G, B = (t.__table__ for t in (Street, Community, GridCell, UnitBoundary))
_KEYS = {"code", "name", "population", "community_code", "community_name", "street_code", "street_name",
         "district_code", "district_name", "coordinates", "null_words"}
DEFAULTS = {"code": ("code", "id", "编码", "编号"), "name": ("name", "名称")}


class BoundarySetupError(ValueError):
    """The boundary import cannot start (unreadable file, bad mapping, unwritable rejects file …)."""


@dataclass(frozen=True)
class BoundaryMapping:
    props: dict[str, tuple[str, ...]]  # code, name, population, community_code … → property names/templates
    district: tuple[str | None, str | None] = (None, None)
    coordinates: str = "wgs84"
    null_words: frozenset[str] = frozenset()

    def value(self, properties: dict[str, Any], key: str) -> str | None:
        """The first candidate of `key` with a value (templates filled; null words count as no value)."""
        for spec in self.props.get(key, ()):
            if "{" in spec:
                filled = _template(spec, properties, self.null_words)
                if filled is not None:
                    return filled
                continue
            text = cell_text(properties.get(spec))
            if text is not None and word_key(text) not in self.null_words:
                return text
        return None


def _template(spec: str, properties: dict[str, Any], null_words: frozenset[str]) -> str | None:
    values = {}
    for k, v in properties.items():
        text = cell_text(v)
        if text is not None and word_key(text) not in null_words:
            values[k] = text
    try:
        return spec.format_map(values)
    except (KeyError, IndexError, ValueError):
        return None


def load_boundary_mapping(spec: str | Path | None, overrides: dict[str, str | None]) -> BoundaryMapping:
    """A preset name or TOML file ([boundaries] table), with command-line property names laid over it."""
    table: dict[str, Any] = {}
    if spec is not None:
        path = Path(spec)
        if not path.is_file():
            path = PRESET_DIR / f"{spec}.toml"
            if not path.is_file():
                raise BoundarySetupError(f"no boundary mapping file or preset {str(spec)!r}")
        try:
            data = read_toml(path)
        except ValueError as exc:
            raise BoundarySetupError(str(exc)) from None
        table = dict(data.get("boundaries", {}))
        unknown = set(table) - _KEYS
        if unknown:
            raise BoundarySetupError(f"{path.name}: [boundaries] has unknown key(s) {', '.join(sorted(unknown))}")
    for key, value in overrides.items():
        if value is not None:
            table[key] = value
    props: dict[str, tuple[str, ...]] = {k: DEFAULTS[k] for k in DEFAULTS}
    for key in _KEYS - {"district_code", "district_name", "coordinates", "null_words"}:
        if key in table:
            value = table[key]
            props[key] = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
    coordinates = table.get("coordinates", "wgs84")
    if coordinates not in COORDINATE_SYSTEMS:
        raise BoundarySetupError(f"coordinates must be one of {', '.join(COORDINATE_SYSTEMS)}")
    return BoundaryMapping(props, (table.get("district_code"), table.get("district_name")), coordinates,
                           frozenset(word_key(w) for w in table.get("null_words", ())))


@dataclass
class BoundaryOptions:
    level: str
    mapping: str | Path | None = None
    code: str | None = None  # property names given on the command line
    name: str | None = None
    parent: str | None = None  # grid: the community's code; community: the street's code
    coordinates: str | None = None
    rejects_path: Path | None = None
    place_tickets: bool = True
    now: dt.datetime | None = None


@dataclass
class BoundarySummary:
    run_id: int
    source: Path
    level: str
    features: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    placed: int = 0
    findings: FindingTally = field(default_factory=FindingTally)
    rejects_path: Path | None = None
    elapsed: float = 0.0

    def lines(self) -> list[str]:
        out = [f"{self.source.name}: {self.features:,} features = loaded {self.inserted + self.updated + self.unchanged:,} "
               f"(new {self.inserted:,}, updated {self.updated:,}, unchanged {self.unchanged:,}) "
               f"+ rejected {self.rejected:,} as {self.level} boundaries"]
        if self.rejects_path:
            out.append(f"rejects (feature number, property, reason): {self.rejects_path}")
        for row in self.findings.rows():
            out.append(f"  {row['kind']:<20} {row['count']:>6,}  features {row['example_lines']}")
        out.append(f"tickets placed by point in polygon: {self.placed:,}")
        out.append(f"done in {self.elapsed:.1f} s, run {self.run_id}")
        return out


def _features(path: Path) -> list[Any]:
    try:
        with path.open("r", encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundarySetupError(f"not a readable GeoJSON file: {exc}") from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection" and isinstance(data.get("features"), list):
        return data["features"]
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    raise BoundarySetupError("expected a GeoJSON FeatureCollection")


def _file_crs(path: Path) -> str | None:
    """GCJ-02/BD-09 when the file's (pre-RFC 7946) "crs" member says so."""
    try:
        with path.open("r", encoding="utf-8-sig") as fh:
            crs = json.load(fh).get("crs") or {}
    except (OSError, ValueError, AttributeError):
        return None
    name = str((crs.get("properties") or {}).get("name", "")).casefold().replace("-", "")
    return "gcj02" if "gcj02" in name else "bd09" if "bd09" in name else None


def import_boundaries(engine: Engine, path: Path, options: BoundaryOptions,
                      settings: Settings = DEFAULT_SETTINGS) -> BoundarySummary:
    """Import one boundary file at one level (see the module docstring); its summary."""
    started = time.perf_counter()
    if options.level not in LEVELS:
        raise BoundarySetupError(f"level must be one of {', '.join(LEVELS)}")
    parent_key = {"grid": "community_code", "community": "street_code", "street": None}[options.level]
    overrides = {"code": options.code, "name": options.name}
    if parent_key:
        overrides[parent_key] = options.parent
    mapping = load_boundary_mapping(options.mapping, overrides)
    features = _features(path)
    system = options.coordinates or _file_crs(path) or mapping.coordinates
    rejects_path = options.rejects_path or default_rejects_path(path)
    try:
        check_writable(rejects_path)
    except PermissionError as exc:
        raise BoundarySetupError(str(exc)) from None
    now = options.now or local_now(settings.timezone)
    create_schema(engine)
    run_id = runs.start_run(engine, kind="boundaries", source=path, sha256=runs.file_sha256(path),
                            fmt=f"geojson:{options.level}", key=runs.options_key(options.level, system),
                            source_tz=None, transaction="single", now=now, rejects_path=rejects_path)
    summary = BoundarySummary(run_id, path, options.level, features=len(features))
    rejects = RejectsFile(rejects_path, ["code", "name"])
    try:
        with engine.begin() as conn:
            _write_features(conn, features, mapping, options.level, system, summary, rejects)
            progress = runs.Progress(records=len(features), line=len(features), inserted=summary.inserted,
                                     updated=summary.updated, unchanged=summary.unchanged,
                                     rejected=summary.rejected, rejects_bytes=rejects.flush())
            runs.save_checkpoint(conn, run_id, progress, summary.findings)
            runs.finish_run(conn, run_id, local_now(settings.timezone),
                            rejects_path=rejects_path if rejects.written else None)
    except (SQLAlchemyError, OSError, AreaSetupError) as exc:
        runs.fail_run(engine, run_id, local_now(settings.timezone), f"nothing was written: {exc}")
        raise
    finally:
        rejects.close()
    summary.rejects_path = rejects_path if rejects.written else None
    if options.place_tickets:
        summary.placed = place_tickets(engine, options.level)
    summary.elapsed = time.perf_counter() - started
    return summary


def _write_features(conn: Connection, features: list[Any], mapping: BoundaryMapping, level: str, system: str,
                    summary: BoundarySummary, rejects: RejectsFile) -> None:
    units = Units(conn, create=True, district=mapping.district)
    seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        props = props if isinstance(props, dict) else {}
        code = mapping.value(props, "code")
        name = mapping.value(props, "name")
        record = Record(number, [code, name])
        if code is None:
            rejects.add(record, "/".join(mapping.props["code"]), "no code")
            continue
        if len(code) > 32:
            rejects.add(record, "/".join(mapping.props["code"]), "code longer than 32 characters")
            continue
        if code in seen:
            rejects.add(record, "/".join(mapping.props["code"]), f"code {code!r} already at feature {seen[code]}")
            continue
        try:
            clean = clean_polygon(feature.get("geometry") if isinstance(feature, dict) else None, system)
            population = parse_float(mapping.value(props, "population"))
        except (PolygonRejected, BadValue) as exc:
            rejects.add(record, "geometry", str(exc))
            continue
        seen[code] = number
        if clean.repaired:
            summary.findings.add("polygon_repaired", clean.repaired[:100], number)
        if clean.simplified:
            summary.findings.add("polygon_simplified", f"tolerance {clean.simplified:g}°", number)
        if name is None:
            summary.findings.add("missing_name", "/".join(mapping.props["name"]), number)
        unit = dict(code=code, name=(name or code)[:NAME_LEN],
                    population=int(population) if population is not None else None)
        try:
            outcome = _upsert_unit(conn, units, level, unit, clean.geometry, mapping, props)
        except PolygonRejected as exc:
            rejects.add(record, "", str(exc))
            continue
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    summary.rejected = rejects.count


def _upsert_unit(conn: Connection, units: Units, level: str, unit: dict[str, Any], geometry: Any,
                 mapping: BoundaryMapping, props: dict[str, Any]) -> str:
    """Insert or update one unit and its boundary; "inserted", "updated" or "unchanged"."""
    boundary = geojson_text(geometry)
    centroid = geometry.centroid
    shape_values = dict(boundary=boundary, centroid_lat=round(centroid.y, 7), centroid_lon=round(centroid.x, 7))
    street_code = mapping.value(props, "street_code")
    street_id = units.street(conn, street_code, mapping.value(props, "street_name")) if street_code else None
    if level == "grid":
        community_code = mapping.value(props, "community_code")
        if community_code is None:
            raise PolygonRejected(f"no community ({'/'.join(mapping.props.get('community_code', ('community_code',)))})")
        community_id = units.community(conn, community_code, mapping.value(props, "community_name"), street_id)
        return _upsert(conn, G, unit["code"], {**unit, **shape_values, "community_id": community_id})
    if level == "community":
        parent = street_id if street_id is not None else units.fallback_street(conn)
        existing = units.communities.get(unit["code"])
        values = {**unit, "street_id": existing.parent_id if existing and street_id is None else parent}
        outcome = _upsert(conn, C, unit["code"], values)
    else:
        outcome = _upsert(conn, S, unit["code"], {**unit, "district_id": units.district_id(conn)})
    table = C if level == "community" else S
    unit_id = conn.execute(select(table.c.id).where(table.c.code == unit["code"])).scalar_one()
    boundary_outcome = _upsert_boundary(conn, level, int(unit_id), shape_values)
    return outcome if outcome != "unchanged" else boundary_outcome


def _upsert(conn: Connection, table, code: str, values: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    old = conn.execute(select(table).where(table.c.code == code)).mappings().first()
    if old is None:
        conn.execute(insert(table).values(**values))
        return "inserted"
    changed = {k: v for k, v in values.items() if k in old and not _same(old[k], v)}
    if not changed:
        return "unchanged"
    conn.execute(update(table).where(table.c.id == old["id"]).values(**changed))
    return "updated"


def _upsert_boundary(conn: Connection, level: str, unit_id: int, shape_values: dict[str, Any]) -> str:
    old = conn.execute(select(B).where(B.c.level == level, B.c.unit_id == unit_id)).mappings().first()
    if old is None:
        conn.execute(insert(B).values(level=level, unit_id=unit_id, **shape_values))
        return "inserted"
    if all(_same(old[k], v) for k, v in shape_values.items()):
        return "unchanged"
    conn.execute(update(B).where(B.c.id == old["id"]).values(**shape_values))
    return "updated"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) <= 1e-5
    return a == b
