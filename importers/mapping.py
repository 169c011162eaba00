"""How an export's columns become ticket fields: presets and mapping files share one TOML syntax.

The presets are TOML files in `presets/` (12345, nyc311, la311, open311); a mapping file for any other
export has the same keys and may start from a preset with `extends = "12345"`. docs/importing.md shows the
syntax; `load_mapping` checks it strictly (an unknown key or code is an error, not a silent default).
Column names are matched by `column_key` (case, spaces, underscores and punctuation ignored), so NYC's
portal headers ("Created Date") and API headers ("created_date") are the same column.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from typing import Mapping as TMapping

from importers import source_words
from importers.values import word_key

PRESET_DIR = Path(__file__).resolve().parent / "presets"

# Ticket fields a mapping may fill, in the order the summary lists them.
TIME_FIELDS = ("received_at", "dispatched_at", "signed_at", "contacted_at", "contact_due_at", "due_at",
               "closed_at", "callback_at")
WORD_FIELDS = ("status", "channel", "kind", "urgency", "resolution", "satisfaction")
TEXT_FIELDS = ("category", "subcategory", "topic", "lead_department", "exclude_reason")
AREA_FIELDS = ("street", "street_name", "community", "community_name", "grid", "grid_name")
FLAG_FIELDS = ("excluded", "whistle")
COORD_FIELDS = ("lat", "lon")
PERSONAL_FIELDS = ("caller_name", "caller_phone", "address", "content")
FIELDS = ("ticket_no", *TIME_FIELDS, *WORD_FIELDS, *TEXT_FIELDS, *AREA_FIELDS, *FLAG_FIELDS, *COORD_FIELDS,
          *PERSONAL_FIELDS)
REQUIRED_FIELDS = ("ticket_no", "received_at")
COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")
DEFAULT_NULL_WORDS = frozenset({"null", "none", "n/a", "nan", "#n/a"})

_TOP_KEYS = {"extends", "name", "description", "timezone", "coordinates", "encoding", "sheet", "date_order",
             "date_formats", "dispatch_on_receipt", "closed_at_only_if_closed", "due_number_unit",
             "default_category", "null_words", "columns", "constants", "values", "areas", "detect"}
_AREA_KEYS = {"district_code", "district_name", "create", "fallback_street_code", "fallback_street_name"}


def column_key(name: str) -> str:
    """How header names are compared: 'Created Date', 'created_date' and 'CreatedDate' are one key."""
    return re.sub(r"[\W_]+", "", name.strip().lstrip("\ufeff").casefold())


@dataclass(frozen=True)
class AreaOptions:
    district_code: str | None = None  # None: the database's only district, else "D01"
    district_name: str | None = None
    create: bool = True  # create streets/communities/grid cells named by rows that the database lacks
    fallback_street_code: str | None = None  # parent of communities created without a street
    fallback_street_name: str | None = None


@dataclass(frozen=True)
class Mapping:
    name: str
    columns: TMapping[str, tuple[str, ...]]  # field → candidate column names (first present wins)
    constants: TMapping[str, Any] = field(default_factory=dict)
    words: TMapping[str, TMapping[str, Any]] = field(default_factory=dict)  # field → word_key → code
    detect: tuple[str, ...] = ()  # columns whose presence identifies the format (default: the required fields')
    timezone: str | None = None  # the source's zone; None: the deployment's
    coordinates: str = "wgs84"
    encoding: str | None = None
    sheet: str | None = None
    date_order: str = "ymd"
    date_formats: tuple[str, ...] = ()
    dispatch_on_receipt: bool = False  # 311 systems route a request to an agency when it is created
    closed_at_only_if_closed: bool = False  # Open311 has only updated_datetime: it is the closing time if closed
    due_number_unit: str | None = None  # unit of a bare number in the deadline column ("小时", "天", "工作日")
    default_category: str = "未分类"
    null_words: frozenset[str] = DEFAULT_NULL_WORDS  # word_keys that mean "no value" in any column
    areas: AreaOptions = field(default_factory=AreaOptions)

    def digest(self) -> str:
        """A stable fingerprint of everything that changes what rows become (for resuming a run)."""
        payload = json.dumps(self, default=_jsonable, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    if isinstance(value, (dict, TMapping)):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def preset_names() -> list[str]:
    """The ticket presets shipped in presets/ (file stem = name; boundary presets are not listed)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml") if not p.stem.endswith("-boundaries"))


def preset_path(name: str) -> Path:
    path = PRESET_DIR / f"{name}.toml"
    if not path.is_file():
        raise ValueError(f"unknown format {name!r} (known: {', '.join(preset_names())})")
    return path


def load_preset(name: str) -> Mapping:
    return load_mapping(preset_path(name))


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ValueError(f"cannot read mapping file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"mapping file {path} is not valid TOML: {exc}") from None


def load_mapping(path: Path, base: Mapping | None = None) -> Mapping:
    """A mapping from a TOML file, laid over `base` or over the preset it `extends`."""
    data = read_toml(path)
    where = path.name
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if "extends" in data:
        base = load_preset(str(data["extends"]))
    return mapping_from_dict(data, where, base)


def _as_names(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where}: expected a column name or a list of them, not {value!r}")


def mapping_from_dict(data: TMapping[str, Any], where: str, base: Mapping | None = None) -> Mapping:
    """Check a parsed mapping table and build the Mapping (see the module docstring)."""
    columns = dict(base.columns) if base else {}
    for fld, names in data.get("columns", {}).items():
        if fld not in FIELDS:
            raise ValueError(f"{where}: [columns] has unknown field {fld!r} (fields: {', '.join(FIELDS)})")
        columns[fld] = _as_names(names, f"{where}: columns.{fld}")
    constants = dict(base.constants) if base else {}
    for fld, value in data.get("constants", {}).items():
        if fld not in FIELDS:
            raise ValueError(f"{where}: [constants] has unknown field {fld!r}")
        if fld in source_words.CODES and fld != "status" and value not in source_words.CODES[fld]:
            raise ValueError(f"{where}: constants.{fld} = {value!r} is not a {fld} code")
        constants[fld] = value
    words = {f: {**source_words.BUILTIN_WORDS[f], **(base.words.get(f, {}) if base else {})} for f in WORD_FIELDS}
    for fld, table in data.get("values", {}).items():
        if fld not in WORD_FIELDS:
            raise ValueError(f"{where}: [values] has unknown field {fld!r} (one of {', '.join(WORD_FIELDS)})")
        words[fld].update(source_words.checked_words(fld, table, f"{where}: values.{fld}"))
    areas_raw = data.get("areas", {})
    unknown_areas = set(areas_raw) - _AREA_KEYS
    if unknown_areas:
        raise ValueError(f"{where}: [areas] has unknown key(s) {', '.join(sorted(unknown_areas))}")
    areas = replace(base.areas if base else AreaOptions(), **areas_raw)
    options = {k: data[k] for k in ("timezone", "coordinates", "encoding", "sheet", "date_order",
                                    "dispatch_on_receipt", "closed_at_only_if_closed", "due_number_unit",
                                    "default_category") if k in data}
    if "date_formats" in data:
        options["date_formats"] = tuple(data["date_formats"])
    if "null_words" in data:
        options["null_words"] = DEFAULT_NULL_WORDS | {word_key(w) for w in data["null_words"]}
    if "detect" in data:
        options["detect"] = _as_names(data["detect"], f"{where}: detect")
    if options.get("coordinates", "wgs84") not in COORDINATE_SYSTEMS:
        raise ValueError(f"{where}: coordinates must be one of {', '.join(COORDINATE_SYSTEMS)}")
    if options.get("date_order", "ymd") not in ("ymd", "mdy"):
        raise ValueError(f"{where}: date_order must be 'ymd' or 'mdy'")
    name = str(data.get("name") or (base.name if base else where))
    mapping = Mapping(name=name, columns=columns, constants=constants, words=words, areas=areas)
    if base is not None:
        mapping = replace(base, columns=columns, constants=constants, words=words, areas=areas, name=name)
    mapping = replace(mapping, **options)
    missing = [f for f in REQUIRED_FIELDS if f not in mapping.columns]
    if missing:
        raise ValueError(f"{where}: [columns] must name the column of {', '.join(missing)}")
    return mapping


@dataclass(frozen=True)
class ColumnPlan:
    """Where each field is in one file: field → index into the record's values (header resolved once)."""

    header: tuple[str, ...]
    index: TMapping[str, int]
    column: TMapping[str, str]  # field → the header name actually used (for reject/finding messages)


def plan_columns(mapping: Mapping, header: list[str]) -> ColumnPlan:
    """Resolve the mapping's column names against a header; the first candidate present wins."""
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(column_key(name), i)
    index: dict[str, int] = {}
    column: dict[str, str] = {}
    for fld, names in mapping.columns.items():
        for name in names:
            pos = positions.get(column_key(name))
            if pos is not None:
                index[fld], column[fld] = pos, header[pos]
                break
    return ColumnPlan(tuple(header), index, column)


def missing_required(mapping: Mapping, plan: ColumnPlan) -> list[str]:
    """Required fields with no column in the header (and no constant)."""
    return [f for f in REQUIRED_FIELDS if f not in plan.index and f not in mapping.constants]


def match_score(mapping: Mapping, header: list[str]) -> int:
    """How well a header fits a mapping: 0 when a detection column is missing, else the fields found."""
    keys = {column_key(h) for h in header}
    detect = mapping.detect or tuple(n for f in REQUIRED_FIELDS for n in mapping.columns[f][:1])
    if not all(column_key(name) in keys for name in detect):
        return 0
    plan = plan_columns(mapping, header)
    if missing_required(mapping, plan):
        return 0
    return len(plan.index)



def detect_format(header: list[str]) -> str:
    """The preset whose columns the header has (most fields found wins); ValueError if none or a tie."""
    scores = {name: match_score(load_preset(name), header) for name in preset_names()}
    best = max(scores.values(), default=0)
    winners = [name for name, score in scores.items() if score == best and score > 0]
    if not winners:
        shown = ", ".join(header[:12]) + (" …" if len(header) > 12 else "")
        raise ValueError(f"no preset matches the header ({shown}): pass --format or --mapping MAP.toml")
    if len(winners) > 1:
        raise ValueError(f"the header fits several presets ({', '.join(winners)}): pass --format")
    return winners[0]
