"""Source records → the fields of tickets, or rejects with their column and reason.

The line between the two (docs/importing.md): a row is *rejected* when it cannot be a ticket or one of its
values is not what its column holds — no ticket number, no or an unreadable time of receipt, an unreadable
date or number, a record that could not be split into fields. Everything else *loads* and is counted as a
finding (`findings.FINDINGS`): missing coordinates, closed before received, an unknown status word,
midnight-only times, a category missing, text cut to fit.

A batch is parsed at once: `cells.py` reads it a column at a time (that is where the time goes), and the
rules below combine the columns, mostly a column at a time too, into rows. A row with several problems is
rejected for the first in this order: the ticket number, the time columns in `TIME_FIELDS` order, a missing
time of receipt, the deadlines, the latitude, the longitude. A row's findings come in no particular order
(they are counted per kind and column).

Areas, the department and point-in-polygon placement need the database and a whole batch, so they are
left to `batch.py`; this module is pure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from domain import vocab
from importers.cells import CellReader, Column, Problems
from importers.crs import plausible
from importers.mapping import TIME_FIELDS, ColumnPlan, Mapping
from importers.readers import Record
from importers.values import DateParser, TimeConverter

TICKET_NO_LEN = 64
LABEL_LEN = 64
# Longest free text kept: MariaDB's TEXT holds 65,535 bytes, i.e. 16,383 four-byte characters.
CONTENT_LEN = 16_000
PERSONAL_LEN = {"caller_name": 100, "caller_phone": 32, "address": 200, "content": CONTENT_LEN}
DEADLINE_FIELDS = ("contact_due_at", "due_at")
AREA_KEYS = ("street", "street_name", "community", "community_name", "grid", "grid_name")


class RowRejected(ValueError):
    """The record cannot be loaded: `column` (may be empty) and `reason` go to the rejects file."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass(slots=True)
class ParsedRow:
    line: int
    ticket_no: str
    fields: dict[str, Any]  # ticket columns, except the area and department ids
    personal: dict[str, Any] | None
    callback: tuple[dt.datetime, bool, str | None, str | None] | None  # (at, reached, resolution, satisfaction)
    area: tuple[str | None, ...]  # the names or codes of AREA_KEYS, in that order
    department: str | None
    lat: float | None
    lon: float | None
    findings: list[tuple[str, str]] = field(default_factory=list)  # (kind, column)


class _Batch:
    """One batch while it is parsed: its columns, each row's first problem and its findings so far."""

    def __init__(self, parser: RowParser, records: list[Record]) -> None:
        self.parser = parser
        self.count = len(records)
        self.cells, self.clean = parser.reader.split([r.values for r in records])  # type: ignore[misc]
        self.blank: Column = [None] * self.count  # the column of a field the file does not have (read only)
        self.problems: list[tuple[str, str] | None] = [None] * self.count
        self.findings: list[list[tuple[str, str]]] = [[] for _ in range(self.count)]

    def column(self, fld: str) -> Column:
        return self.cells.get(fld, self.blank)

    def problem(self, k: int, column: str, reason: str) -> None:
        if self.problems[k] is None:
            self.problems[k] = (column, reason)

    def reject(self, problems: Problems, fld: str) -> None:
        for k, reason in problems.items():
            self.problem(k, self.parser.column[fld], reason)

    def note(self, rows: list[int], kind: str, fld: str) -> None:
        column = self.parser.column.get(fld, fld)
        for k in rows:
            self.findings[k].append((kind, column))

    def text(self, fld: str, limit: int | None = None) -> Column:
        if fld not in self.cells:
            return self.blank
        texts, cut = self.parser.reader.texts(self.cells[fld], limit, clean=fld in self.clean)
        self.note(cut, "truncated_text", fld)
        return texts

    def word(self, fld: str) -> Column:
        if fld not in self.cells:
            return self.blank
        codes, unknown = self.parser.reader.words(fld, self.cells[fld])
        self.note(unknown, "unknown_word", fld)
        return codes

    def flag(self, fld: str) -> Column:
        if fld not in self.cells:
            return self.blank
        flags, unknown = self.parser.reader.flags(self.cells[fld])
        self.note(unknown, "unknown_word", fld)
        return flags


class RowParser:
    """Parses the records of one file (its ColumnPlan) with one mapping, source zone and `now`."""

    def __init__(self, mapping: Mapping, plan: ColumnPlan, *, source_tz: str, target_tz: str,
                 now: dt.datetime, caller_salt: str | None = None) -> None:
        self.mapping = mapping
        self.index = dict(plan.index)
        self.column = {f: plan.column.get(f, f) for f in mapping.columns}
        self.now = now
        self.caller_salt = caller_salt
        self.constants = dict(mapping.constants)
        self.reader = CellReader(self.index, self.constants, mapping.null_words, dict(mapping.words),
                                 DateParser(mapping.date_order, mapping.date_formats),
                                 TimeConverter(source_tz, target_tz), source_tz == target_tz,
                                 mapping.due_number_unit)
        self.has_coordinates = "lat" in self.index and "lon" in self.index
        self.time_fields = [f for f in TIME_FIELDS if f in self.index and f not in DEADLINE_FIELDS]

    def parse(self, record: Record) -> ParsedRow:
        """One record's row; RowRejected if it cannot load."""
        row = self.parse_batch([record])[0]
        if isinstance(row, RowRejected):
            raise row
        return row

    def parse_batch(self, records: list[Record]) -> list[ParsedRow | RowRejected]:
        """Each record's row, or the reject it is, in the records' order."""
        readable = [r for r in records if r.values is not None and r.problem is None]
        rows = self._rows(_Batch(self, readable), readable)
        if len(readable) == len(records):
            return rows
        out: list[ParsedRow | RowRejected] = []
        parsed = iter(rows)
        for record in records:
            if record.values is None or record.problem is not None:
                out.append(RowRejected(record.column, record.problem or "unreadable record"))
            else:
                out.append(next(parsed))
        return out

    # --- the columns ------------------------------------------------------------------------------------
    def _times(self, b: _Batch) -> tuple[Column, dict[str, Column]]:
        """(ticket numbers, time column → times); problems in the order rows are rejected for them."""
        numbers = b.text("ticket_no")
        for k, number in enumerate(numbers):
            if number is None:
                b.problem(k, self.column["ticket_no"], "no ticket number")
            elif len(number) > TICKET_NO_LEN:
                b.problem(k, self.column["ticket_no"], f"ticket number longer than {TICKET_NO_LEN} characters")
        times: dict[str, Column] = {}
        for fld in self.time_fields:
            times[fld], midnight, problems = self.reader.stamps(b.column(fld))
            b.reject(problems, fld)
            b.note(midnight, "midnight_only", fld)
        received = times.get("received_at", b.blank)
        for k, at in enumerate(received):
            if at is None:
                b.problem(k, self.column["received_at"], "no time of receipt")
        for fld in DEADLINE_FIELDS:
            if fld in self.index:
                times[fld], problems = self.reader.deadlines(b.column(fld), received)
                b.reject(problems, fld)
        return numbers, times

    def _coordinates(self, b: _Batch) -> tuple[Column, Column]:
        if not self.has_coordinates:
            return b.blank, b.blank
        lats, problems = self.reader.numbers(b.column("lat"))
        b.reject(problems, "lat")
        lons, problems = self.reader.numbers(b.column("lon"))
        b.reject(problems, "lon")
        return lats, lons

    # --- the rows ---------------------------------------------------------------------------------------
    def _rows(self, b: _Batch, records: list[Record]) -> list[ParsedRow | RowRejected]:
        numbers, times = self._times(b)
        lats, lons = self._coordinates(b)
        columns: dict[str, Column] = {"ticket_no": numbers, **times}  # ticket field → its column
        self._status(b, columns)
        self._labels(b, columns)
        self._consistency(b, columns)
        positions = self._positions(b, lats, lons)
        personal = self._personal(b, columns)
        callbacks = self._callbacks(b, columns)
        areas = list(zip(*(b.text(fld) for fld in AREA_KEYS)))
        departments = b.text("lead_department", 100)
        # Rows become dicts in one C loop; channel, kind and urgency are set only where known (else the
        # ticket's defaults apply), so a column with gaps is filled in afterwards.
        gaps = []
        for fld, codes in self._words(b):
            if None not in codes:
                columns[fld] = codes
            elif any(code is not None for code in codes):
                gaps.append((fld, codes))
        keys = tuple(columns)
        fields = [dict(zip(keys, values)) for values in zip(*columns.values())]
        for fld, codes in gaps:
            for row, code in zip(fields, codes):
                if code is not None:
                    row[fld] = code
        out: list[ParsedRow | RowRejected] = []
        for k, record in enumerate(records):
            problem = b.problems[k]
            if problem is not None:
                out.append(RowRejected(*problem))
                continue
            lat, lon = positions[k]
            out.append(ParsedRow(record.line, numbers[k], fields[k], personal[k], callbacks[k], areas[k],
                                 departments[k], lat, lon, b.findings[k]))
        return out

    def _words(self, b: _Batch) -> list[tuple[str, Column]]:
        out = []
        for fld in ("channel", "kind", "urgency"):
            codes, constant = b.word(fld), self.constants.get(fld)
            out.append((fld, codes if constant is None else [code or constant for code in codes]))
        return out

    def _status(self, b: _Batch, columns: dict[str, Column]) -> None:
        """status, excluded and exclude_reason; 311 rules on dispatched_at and closed_at."""
        words = b.word("status")
        received = columns.get("received_at", b.blank)
        if self.mapping.dispatch_on_receipt:
            columns["dispatched_at"] = [at if d is None else d for d, at in zip(columns.get("dispatched_at", b.blank), received)]
        if self.mapping.closed_at_only_if_closed:
            columns["closed_at"] = [at if w is not None and w.status == vocab.STATUS_CLOSED else None
                                    for at, w in zip(columns.get("closed_at", b.blank), words)]
        closed, signed, dispatched = (columns.get(f, b.blank) for f in ("closed_at", "signed_at", "dispatched_at"))
        columns["status"] = [
            w.status if w is not None and w.status is not None
            else vocab.STATUS_CLOSED if c else vocab.STATUS_SIGNED if s else vocab.STATUS_DISPATCHED if d
            else vocab.STATUS_RECEIVED
            for w, c, s, d in zip(words, closed, signed, dispatched)
        ]
        excluded, reasons = b.flag("excluded"), b.text("exclude_reason", LABEL_LEN)
        if any(w is not None and w.exclude for w in words):  # a status word that excludes (剔单) with its reason
            excluded = [True if w is not None and w.exclude else e for w, e in zip(words, excluded)]
            reasons = [(r or w.exclude) if w is not None and w.exclude else r for w, r in zip(words, reasons)]
        flags = [bool(e or (e is None and r)) for e, r in zip(excluded, reasons)]
        columns["excluded"] = flags
        columns["exclude_reason"] = [r if flag else None for flag, r in zip(flags, reasons)]

    def _labels(self, b: _Batch, columns: dict[str, Column]) -> None:
        columns["whistle"] = [bool(flag) for flag in b.flag("whistle")]
        category = b.text("category", LABEL_LEN)
        missing = [k for k, c in enumerate(category) if c is None]
        if missing:
            b.note(missing, "missing_category", "category")
            default = self.mapping.default_category[:LABEL_LEN]
            category = [default if c is None else c for c in category]
        columns["category"] = category
        columns["subcategory"] = b.text("subcategory", LABEL_LEN)
        columns["topic"] = b.text("topic", LABEL_LEN)

    def _consistency(self, b: _Batch, columns: dict[str, Column]) -> None:
        # Rejected rows are in the columns too (their findings are dropped): hence the None checks.
        received, status = columns.get("received_at", b.blank), columns["status"]
        closed, due = columns.get("closed_at", b.blank), columns.get("due_at", b.blank)
        closing = list(zip(status, closed))
        b.note([k for k, (s, c) in enumerate(closing) if s == vocab.STATUS_CLOSED and c is None],
               "closed_without_time", "status")
        b.note([k for k, (s, c) in enumerate(closing) if s != vocab.STATUS_CLOSED and c is not None],
               "closing_time_on_open_ticket", "closed_at")
        b.note([k for k, (c, r) in enumerate(zip(closed, received)) if c is not None and r is not None and c < r],
               "closed_before_received", "closed_at")
        b.note([k for k, (d, r) in enumerate(zip(due, received)) if d is not None and r is not None and d < r],
               "due_before_received", "due_at")
        now = self.now
        b.note([k for k, r in enumerate(received) if r is not None and r > now], "received_in_future", "received_at")

    def _positions(self, b: _Batch, lats: Column, lons: Column) -> list[tuple[float | None, float | None]]:
        nowhere = (None, None)
        if not self.has_coordinates:
            return [nowhere] * b.count
        where = f"{self.column['lat']}/{self.column['lon']}"
        out: list[tuple[float | None, float | None]] = []
        for findings, lat, lon in zip(b.findings, lats, lons):
            if lat is None or lon is None:
                findings.append(("missing_coordinates", where))
                out.append(nowhere)
            elif not plausible(lon, lat):
                findings.append(("coordinates_out_of_range", where))
                out.append(nowhere)
            else:
                out.append((lat, lon))
        return out

    def _personal(self, b: _Batch, columns: dict[str, Column]) -> list[dict[str, Any] | None]:
        """Each row's personal data (None if it has none); the caller_hash column."""
        texts = [b.text(fld, limit) for fld, limit in PERSONAL_LEN.items()]
        salt = self.caller_salt
        columns["caller_hash"] = ([hashlib.sha256((salt + phone).encode()).hexdigest() if phone else None
                                   for phone in texts[1]] if salt else b.blank)
        nothing = (None,) * len(PERSONAL_LEN)
        return [dict(zip(PERSONAL_LEN, values)) if values != nothing else None for values in zip(*texts)]

    def _callbacks(self, b: _Batch, columns: dict[str, Column]) -> list[tuple | None]:  # type: ignore[type-arg]
        """Each row's callback attempt (None if none); the counted callback_at/resolution/satisfaction."""
        times = columns.pop("callback_at", b.blank)
        resolutions, satisfactions = b.word("resolution"), b.word("satisfaction")
        closed, received = columns.get("closed_at", b.blank), columns.get("received_at", b.blank)
        callbacks: list[tuple | None] = []  # type: ignore[type-arg]
        no_time, no_resolution, no_satisfaction, not_reached = [], [], [], []
        for k, (at, resolution, satisfaction) in enumerate(zip(times, resolutions, satisfactions)):
            if resolution is not None and satisfaction is not None:
                if at is None:
                    no_time.append(k)
                    at = closed[k] or received[k]
                callbacks.append((at, True, resolution, satisfaction))
            elif resolution is not None or satisfaction is not None:
                (no_satisfaction if resolution is not None else no_resolution).append(k)
                callbacks.append(None)
            elif at is not None:
                not_reached.append(k)
                callbacks.append((at, False, None, None))
            else:
                callbacks.append(None)
        b.note(no_time, "incomplete_callback", "callback_at")
        b.note(no_resolution, "incomplete_callback", "resolution")
        b.note(no_satisfaction, "incomplete_callback", "satisfaction")
        b.note(not_reached, "callback_not_reached", "callback_at")
        answered = [c if c is not None and c[1] else None for c in callbacks]
        columns["callback_at"] = [c and c[0] for c in answered]
        columns["resolution"] = [c and c[2] for c in answered]
        columns["satisfaction"] = [c and c[3] for c in answered]
        return callbacks
