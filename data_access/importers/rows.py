"""One source record → the fields of one ticket, or a reject with its column and reason.

The line between the two (docs/importing.md): a row is *rejected* when it cannot be a ticket or one of its
values is not what its column holds — no ticket number, no or an unreadable time of receipt, an unreadable
date or number, a record that could not be split into fields. Everything else *loads* and is counted as a
finding (`findings.FINDINGS`): missing coordinates, closed before received, an unknown status word,
midnight-only times, a category missing, text cut to fit.

Areas, the department and point-in-polygon placement need the database and a whole batch, so they are
left to `batch.py`; this module is pure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from data_access.importers.geo import plausible
from data_access.importers.mapping import TIME_FIELDS, ColumnPlan, Mapping
from data_access.importers.readers import Record
from data_access.importers.values import (
    BadValue,
    DateParser,
    TimeConverter,
    cell_text,
    parse_duration_until,
    parse_float,
    parse_yes_no,
    word_key,
)
from metrics import vocab

TICKET_NO_LEN = 64
LABEL_LEN = 64
# Longest free text kept: MariaDB's TEXT holds 65,535 bytes, i.e. 16,383 four-byte characters.
CONTENT_LEN = 16_000
PERSONAL_LEN = {"caller_name": 100, "caller_phone": 32, "address": 200, "content": CONTENT_LEN}
DEADLINE_FIELDS = ("contact_due_at", "due_at")
AREA_KEYS = ("street", "street_name", "community", "community_name", "grid", "grid_name")
WORD_CACHE = 10_000  # distinct source words remembered per field (status words repeat; a bound for odd files)
_MISSING = object()


class RowRejected(ValueError):
    """The record cannot be loaded: `column` (may be empty) and `reason` go to the rejects file."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class ParsedRow:
    line: int
    ticket_no: str
    fields: dict[str, Any]  # ticket columns, except the area and department ids
    personal: dict[str, Any] | None
    callback: tuple[dt.datetime, bool, str | None, str | None] | None  # (at, reached, resolution, satisfaction)
    area: dict[str, str | None]  # street, street_name, community, community_name, grid, grid_name
    department: str | None
    lat: float | None
    lon: float | None
    findings: list[tuple[str, str]] = field(default_factory=list)  # (kind, column)


class RowParser:
    """Parses the records of one file (its ColumnPlan) with one mapping, source zone and `now`."""

    def __init__(self, mapping: Mapping, plan: ColumnPlan, *, source_tz: str, target_tz: str,
                 now: dt.datetime, caller_salt: str | None = None) -> None:
        self.mapping = mapping
        self.index = dict(plan.index)
        self.slots = tuple(self.index.items())
        self.column = {f: plan.column.get(f, f) for f in mapping.columns}
        self.dates = DateParser(mapping.date_order, mapping.date_formats)
        self.convert = TimeConverter(source_tz, target_tz)
        self.now = now
        self.caller_salt = caller_salt
        self.null_words = mapping.null_words
        # Only short values can be null words: longer ones skip the (comparatively slow) word_key.
        self.null_len = max((len(w) for w in mapping.null_words), default=0) + 4
        self.constants = dict(mapping.constants)
        self.has_coordinates = "lat" in self.index and "lon" in self.index
        self.time_fields = [f for f in TIME_FIELDS if f in self.index and f not in DEADLINE_FIELDS]
        self.word_cache: dict[str, dict[str, Any]] = {f: {} for f in mapping.words}

    def _cells(self, values: list[Any]) -> dict[str, Any]:
        """field → its cell (stripped; empty cells and null words left out), over the mapping's constants."""
        cells = dict(self.constants)
        null_len, null_words = self.null_len, self.null_words
        for fld, i in self.slots:
            value = values[i]
            if value is None:
                continue
            if type(value) is str:
                value = value.strip()
                if not value or (len(value) <= null_len and word_key(value) in null_words):
                    continue
            cells[fld] = value
        return cells

    def _text(self, cells: dict[str, Any], fld: str, limit: int, findings: list) -> str | None:
        text = cell_text(cells.get(fld))
        if text is not None and len(text) > limit:
            findings.append(("truncated_text", self.column.get(fld, fld)))
            text = text[:limit]
        return text

    def _word(self, cells: dict[str, Any], fld: str, findings: list) -> Any:
        raw = cells.get(fld)
        if raw is None:
            return None
        cache = self.word_cache[fld]
        found = cache.get(raw, _MISSING) if isinstance(raw, str) else _MISSING
        if found is _MISSING:
            found = self.mapping.words[fld].get(word_key(str(raw)))
            if isinstance(raw, str) and len(cache) < WORD_CACHE:
                cache[raw] = found
        if found is None:
            findings.append(("unknown_word", self.column.get(fld, fld)))
        return found

    def _stamp(self, cells: dict[str, Any], fld: str, findings: list) -> dt.datetime | None:
        raw = cells.get(fld)
        if raw is None:
            return None
        try:
            at, midnight_only = self.dates(raw)
        except BadValue as exc:
            raise RowRejected(self.column[fld], str(exc)) from None
        if midnight_only:
            findings.append(("midnight_only", self.column[fld]))
        return self.convert(at)

    def _deadline(self, cells: dict[str, Any], fld: str, received: dt.datetime) -> dt.datetime | None:
        raw = cells.get(fld)
        if raw is None:
            return None
        try:
            at, midnight_only = self.dates(raw)
        except BadValue:
            try:  # 办理时限 written as a span: "7天", "24小时", "15个工作日"
                return parse_duration_until(raw, received, self.mapping.due_number_unit)
            except BadValue as exc:
                raise RowRejected(self.column[fld], str(exc)) from None
        # A deadline without a time of day means "by the end of that day".
        return self.convert(at.replace(hour=23, minute=59, second=59) if midnight_only else at)

    # --- the row ------------------------------------------------------------------------------------
    def parse(self, record: Record) -> ParsedRow:
        if record.values is None or record.problem is not None:
            raise RowRejected(record.column, record.problem or "unreadable record")
        c = self._cells(record.values)
        findings: list[tuple[str, str]] = []
        ticket_no = cell_text(c.get("ticket_no"))
        if ticket_no is None:
            raise RowRejected(self.column["ticket_no"], "no ticket number")
        if len(ticket_no) > TICKET_NO_LEN:
            raise RowRejected(self.column["ticket_no"], f"ticket number longer than {TICKET_NO_LEN} characters")
        times = {f: self._stamp(c, f, findings) for f in self.time_fields}
        received = times.get("received_at")
        if received is None:
            raise RowRejected(self.column["received_at"], "no time of receipt")
        for fld in DEADLINE_FIELDS:
            if fld in self.index:
                times[fld] = self._deadline(c, fld, received)
        fields: dict[str, Any] = {"ticket_no": ticket_no, **times}
        self._status(c, fields, findings)
        self._words_and_texts(c, fields, findings)
        self._consistency(fields, findings)
        lat, lon = self._coordinates(c, findings)
        get = c.get
        return ParsedRow(
            line=record.line,
            ticket_no=ticket_no,
            fields=fields,
            personal=self._personal(c, fields, findings),
            callback=self._callback(c, fields, findings),
            area={f: cell_text(get(f)) for f in AREA_KEYS},
            department=self._text(c, "lead_department", 100, findings),
            lat=lat,
            lon=lon,
            findings=findings,
        )

    def _status(self, cells: dict[str, Any], fields: dict[str, Any], findings: list) -> None:
        word = self._word(cells, "status", findings)
        if self.mapping.dispatch_on_receipt and fields.get("dispatched_at") is None:
            fields["dispatched_at"] = fields["received_at"]
        if self.mapping.closed_at_only_if_closed and (word is None or word.status != vocab.STATUS_CLOSED):
            fields["closed_at"] = None
        status = word.status if word is not None else None
        if status is None:
            status = (vocab.STATUS_CLOSED if fields.get("closed_at") else vocab.STATUS_SIGNED if fields.get("signed_at")
                      else vocab.STATUS_DISPATCHED if fields.get("dispatched_at") else vocab.STATUS_RECEIVED)
        fields["status"] = status
        excluded = self._flag(cells, "excluded", findings)
        reason = self._text(cells, "exclude_reason", LABEL_LEN, findings)
        if word is not None and word.exclude:
            excluded, reason = True, reason or word.exclude
        fields["excluded"] = bool(excluded or (excluded is None and reason))
        fields["exclude_reason"] = reason if fields["excluded"] else None

    def _flag(self, cells: dict[str, Any], fld: str, findings: list) -> bool | None:
        try:
            return parse_yes_no(cells.get(fld))
        except BadValue:
            findings.append(("unknown_word", self.column.get(fld, fld)))
            return None

    def _words_and_texts(self, cells: dict[str, Any], fields: dict[str, Any], findings: list) -> None:
        for fld in ("channel", "kind", "urgency"):
            code = self._word(cells, fld, findings) or self.constants.get(fld)
            if code is not None:
                fields[fld] = code
        fields["whistle"] = bool(self._flag(cells, "whistle", findings))
        category = self._text(cells, "category", LABEL_LEN, findings)
        if category is None:
            findings.append(("missing_category", self.column.get("category", "category")))
            category = self.mapping.default_category[:LABEL_LEN]
        fields["category"] = category
        fields["subcategory"] = self._text(cells, "subcategory", LABEL_LEN, findings)
        fields["topic"] = self._text(cells, "topic", LABEL_LEN, findings)

    def _consistency(self, fields: dict[str, Any], findings: list) -> None:
        received, closed = fields["received_at"], fields.get("closed_at")
        closed_col = self.column.get("closed_at", "closed_at")
        if fields["status"] == vocab.STATUS_CLOSED and closed is None:
            findings.append(("closed_without_time", self.column.get("status", "status")))
        if fields["status"] != vocab.STATUS_CLOSED and closed is not None:
            findings.append(("closing_time_on_open_ticket", closed_col))
        if closed is not None and closed < received:
            findings.append(("closed_before_received", closed_col))
        due = fields.get("due_at")
        if due is not None and due < received:
            findings.append(("due_before_received", self.column.get("due_at", "due_at")))
        if received > self.now:
            findings.append(("received_in_future", self.column["received_at"]))

    def _coordinates(self, cells: dict[str, Any], findings: list) -> tuple[float | None, float | None]:
        if not self.has_coordinates:
            return None, None
        try:
            lat = parse_float(cells.get("lat"))
        except BadValue as exc:
            raise RowRejected(self.column["lat"], str(exc)) from None
        try:
            lon = parse_float(cells.get("lon"))
        except BadValue as exc:
            raise RowRejected(self.column["lon"], str(exc)) from None
        where = f"{self.column['lat']}/{self.column['lon']}"
        if lat is None or lon is None:
            findings.append(("missing_coordinates", where))
            return None, None
        if not plausible(lon, lat):
            findings.append(("coordinates_out_of_range", where))
            return None, None
        return lat, lon

    def _personal(self, cells: dict[str, Any], fields: dict[str, Any], findings: list) -> dict[str, Any] | None:
        personal = {f: self._text(cells, f, limit, findings) for f, limit in PERSONAL_LEN.items()}
        phone = personal["caller_phone"]
        fields["caller_hash"] = (hashlib.sha256((self.caller_salt + phone).encode()).hexdigest()
                                 if phone and self.caller_salt else None)
        return personal if any(value is not None for value in personal.values()) else None

    def _callback(self, cells: dict[str, Any], fields: dict[str, Any], findings: list):  # type: ignore[no-untyped-def]
        at = fields.pop("callback_at", None)
        resolution = self._word(cells, "resolution", findings)
        satisfaction = self._word(cells, "satisfaction", findings)
        fields["callback_at"] = fields["resolution"] = fields["satisfaction"] = None
        if resolution is not None and satisfaction is not None:
            if at is None:
                findings.append(("incomplete_callback", self.column.get("callback_at", "callback_at")))
                at = fields.get("closed_at") or fields["received_at"]
            fields.update(callback_at=at, resolution=resolution, satisfaction=satisfaction)
            return (at, True, resolution, satisfaction)
        if resolution is not None or satisfaction is not None:
            missing = "satisfaction" if resolution is not None else "resolution"
            findings.append(("incomplete_callback", self.column.get(missing, missing)))
            return None
        if at is not None:
            findings.append(("callback_not_reached", self.column.get("callback_at", "callback_at")))
            return (at, False, None, None)
        return None
