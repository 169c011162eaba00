"""The cells of a batch of records, a column at a time: cleaned, then read as times, numbers, words, texts.

Almost every cell of a column is handled the same way, so a batch is read column by column: `map` and
comprehensions run their loops in C where a row at a time pays several Python calls per cell, and the
words that repeat on every row (status, urgency, "7天", the values that are not null words) are looked up
once, in bounded caches. The results are exactly those of reading each cell with `values.py`: a column
with anything unusual in it (a bad date, a typed Excel cell) is read cell by cell with those functions.

Every reader takes a column (a list aligned with the batch's rows; None is an empty cell) and returns the
values and, where a cell is unusable or odd, the rows concerned: `problems` (row → reason) make the row a
reject, the other row lists become findings. What a problem or finding means is `rows.py`'s business.
"""

from __future__ import annotations

import datetime as dt
from operator import itemgetter
from typing import Any

from importers.values import BadValue, DateParser, Span, TimeConverter, cell_text, parse_duration, parse_float, parse_yes_no, word_key

# Distinct source words remembered per field (status words, deadlines such as "7天", short values that are
# not null words: they repeat on every row), bounded for odd files.
WORD_CACHE = 10_000
_MISSING = object()
_BAD = object()
_INFINITE = (float("inf"), float("-inf"))
_fromisoformat = dt.datetime.fromisoformat

Column = list[Any]
Problems = dict[int, str]  # row → reason


class CellReader:
    """Reads the cells of one file's batches (its column positions, null words, date order, zones).

    `positions` maps each field the file has to its index in a record's values; `constants` fill fields
    whose cell is empty or missing.
    """

    def __init__(self, positions: dict[str, int], constants: dict[str, Any], null_words: frozenset[str],
                 words: dict[str, Any], dates: DateParser, convert: TimeConverter, same_zone: bool,
                 due_number_unit: str | None) -> None:
        self.getters = [(fld, itemgetter(i)) for fld, i in positions.items()]
        self.constants = constants
        self.null_words = null_words
        # Only short values can be null words: longer ones skip the (comparatively slow) word_key.
        self.null_len = max((len(w) for w in null_words), default=0) + 4
        self.vocabulary = words
        self.parse_date = dates.parse
        self.convert = convert
        self.same_zone = same_zone
        self.due_number_unit = due_number_unit
        self.not_null: set[str] = set()  # short values known not to be null words
        self.word_cache: dict[str, dict[Any, Any]] = {f: {} for f in words}
        self.flag_cache: dict[str, Any] = {}
        self.spans: dict[str, Span] = {}  # deadline texts that are spans ("7天"), never dates

    # --- splitting and cleaning -----------------------------------------------------------------------
    def split(self, records: list[list[Any]]) -> tuple[dict[str, Column], set[str]]:
        """(field → its column, the fields whose cells are all clean text). A column holds the stripped
        cells, None for empty ones and null words, else the mapping's constant for the field."""
        count = len(records)
        cells: dict[str, Column] = {}
        clean: set[str] = set()
        for fld, getter in self.getters:
            column = list(map(getter, records))
            try:  # text (CSV, mostly JSON): stripped in C
                stripped = list(map(str.strip, column))
            except TypeError:  # Excel and JSON cells may be numbers, dates, None
                cells[fld] = [self._cell(v) for v in column]
                continue
            null_len, not_null, is_null = self.null_len, self.not_null, self._null
            cells[fld] = [v if v and (len(v) > null_len or v in not_null or not is_null(v)) else None for v in stripped]
            clean.add(fld)
        for fld, value in self.constants.items():  # a constant is taken as written (not stripped)
            column = cells.get(fld)
            cells[fld] = [value] * count if column is None else [value if v is None else v for v in column]
            clean.discard(fld)
        return cells, clean

    def _cell(self, value: Any) -> Any:
        if type(value) is str:
            value = value.strip()
            if not value or (len(value) <= self.null_len and self._null(value)):
                return None
        return value

    def _null(self, value: str) -> bool:
        """Whether a short value is a null word (the values that are not are remembered: word_key is slow)."""
        if word_key(value) in self.null_words:
            return True
        if len(self.not_null) < WORD_CACHE:
            self.not_null.add(value)
        return False

    # --- readers ----------------------------------------------------------------------------------------
    def texts(self, column: Column, limit: int | None = None, clean: bool = False) -> tuple[Column, list[int]]:
        """(texts, rows cut to `limit`). A `clean` column (see `split`) is text already; other cells go
        through `cell_text`. The column itself may be returned: do not change it."""
        texts = column if clean else [None if v is None else cell_text(v) for v in column]
        if limit is None or max(map(len, filter(None, texts)), default=0) <= limit:
            return texts, []
        if texts is column:
            texts = list(column)
        long = [k for k, text in enumerate(texts) if text is not None and len(text) > limit]
        for k in long:
            texts[k] = texts[k][:limit]
        return texts, long

    def stamps(self, column: Column) -> tuple[Column, list[int], Problems]:
        """(times in the deployment's zone, midnight-only rows, problems): `DateParser` and `TimeConverter`."""
        try:  # ISO text, the usual case: fromisoformat in one comprehension
            times = [None if v is None else _fromisoformat(v) for v in column]
        except (TypeError, ValueError):
            return self._stamps_one_by_one(column)
        midnight = [k for k, (at, v) in enumerate(zip(times, column))
                    if at is not None and (len(v) <= 10 or not (at.hour or at.minute or at.second))]
        same_zone = self.same_zone
        for k in [k for k, at in enumerate(times) if at is not None and (at.microsecond or not same_zone or at.tzinfo)]:
            times[k] = self._zoned(times[k].replace(microsecond=0))
        return times, midnight, {}

    def _stamps_one_by_one(self, column: Column) -> tuple[Column, list[int], Problems]:
        times: Column = []
        midnight: list[int] = []
        problems: Problems = {}
        for k, value in enumerate(column):
            if value is None:
                times.append(None)
                continue
            try:
                at, midnight_only = self.parse_date(value)
            except BadValue as exc:
                problems[k] = str(exc)
                times.append(None)
                continue
            if midnight_only:
                midnight.append(k)
            times.append(self._zoned(at))
        return times, midnight, problems

    def _zoned(self, at: dt.datetime) -> dt.datetime:
        return at if self.same_zone and at.tzinfo is None else self.convert(at)

    def deadlines(self, column: Column, received: Column) -> tuple[Column, Problems]:
        """(deadlines, problems): a date (without a time of day: the end of that day) or a span from receipt
        ("7天", "24小时", "15个工作日"); rows without a receipt time are left out (they are rejects)."""
        out: Column = []
        problems: Problems = {}
        for k, (value, at) in enumerate(zip(column, received)):
            if value is None or at is None:
                out.append(None)
                continue
            span = self.spans.get(value) if isinstance(value, str) else None
            if span is None:
                try:
                    due, midnight_only = self.parse_date(value)
                except BadValue:
                    try:
                        span = parse_duration(value, self.due_number_unit)
                    except BadValue as exc:
                        problems[k] = str(exc)
                        out.append(None)
                        continue
                    if isinstance(value, str) and len(self.spans) < WORD_CACHE:
                        self.spans[value] = span  # the same text is never a date: skip the attempt next time
                else:
                    out.append(self._zoned(due.replace(hour=23, minute=59, second=59) if midnight_only else due))
                    continue
            out.append(span.after(at))
        return out, problems

    def words(self, fld: str, column: Column) -> tuple[Column, list[int]]:
        """(codes, rows whose word the vocabulary does not know)."""
        cache, lookup = self.word_cache[fld], self._word
        codes = [None if v is None
                 else c if isinstance(v, str) and (c := cache.get(v, _MISSING)) is not _MISSING else lookup(fld, v)
                 for v in column]
        return codes, [k for k, (v, code) in enumerate(zip(column, codes)) if v is not None and code is None]

    def _word(self, fld: str, value: Any) -> Any:
        found = self.vocabulary[fld].get(word_key(str(value)))
        cache = self.word_cache[fld]
        if isinstance(value, str) and len(cache) < WORD_CACHE:
            cache[value] = found
        return found

    def flags(self, column: Column) -> tuple[Column, list[int]]:
        """(yes/no as True/False/None, rows with a word that is neither: None for them)."""
        read = [None if v is None else self._flag(v) for v in column]
        bad = [k for k, flag in enumerate(read) if flag is _BAD]
        for k in bad:
            read[k] = None
        return read, bad

    def _flag(self, value: Any) -> Any:
        found = self.flag_cache.get(value, _MISSING) if isinstance(value, str) else _MISSING
        if found is _MISSING:
            try:
                found = parse_yes_no(value)
            except BadValue:
                found = _BAD
            if isinstance(value, str) and len(self.flag_cache) < WORD_CACHE:
                self.flag_cache[value] = found
        return found

    def numbers(self, column: Column) -> tuple[Column, Problems]:
        """(floats, problems): `parse_float`."""
        if all(type(v) is str for v in column if v is not None):
            try:
                read = [None if v is None else float(v) for v in column]
            except ValueError:
                pass
            else:
                if not any(x is not None and (x != x or x in _INFINITE) for x in read):
                    return read, {}
        out: Column = []
        problems: Problems = {}
        for k, value in enumerate(column):
            try:
                out.append(parse_float(value))
            except BadValue as exc:
                problems[k] = str(exc)
                out.append(None)
        return out, problems
