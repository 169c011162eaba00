"""JSON exports: a top-level array of objects (Open311 requests.json, Socrata API), or JSON Lines.

The array is parsed one element at a time from a sliding buffer (bounded memory). A malformed element is
rejected with the line it starts on and reading resumes after the next line break (or "},"); an element
that is not an object is rejected. A top-level object that wraps the list ({"requests": [...]}) is read whole.
The header is the keys of the first HEADER_SAMPLE records, in order of appearance.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any, Iterator

from importers.readers import RAW_KEPT, UNDECODABLE, Record, UnreadableFile

CHUNK_CHARS = 1 << 20
MAX_ELEMENT_CHARS = 16 << 20  # an element this long without parsing is malformed, not unfinished
HEADER_SAMPLE = 1000
# After a malformed element, reading resumes after the next line break or the next "},": one element a
# line (the usual layout) or objects one after the other on a single line.
_RESYNC = re.compile(r"\n|\}\s*,")
_DECODER = json.JSONDecoder()


class JsonSource:
    encoding = "utf-8"

    def __init__(self, path: Path) -> None:
        self._file = path.open("r", encoding="utf-8-sig", errors="surrogateescape")
        self.total = path.stat().st_size
        self._buf = ""
        self._pos = 0
        self._line = 1
        self._eof = False
        self._fill()
        self._skip_space()
        head = self._buf[self._pos:self._pos + 1]
        if head == "[":
            self._advance(1)
            elements = self._array_elements()
        elif head == "{":
            elements = self._objects()
        else:
            self._file.close()
            raise UnreadableFile("not JSON: expected an array of objects or JSON Lines")
        sample: list[tuple[int, Any, str | None, str | None]] = []
        for item in elements:
            sample.append(item)
            if len(sample) >= HEADER_SAMPLE:
                break
        keys: dict[str, None] = {}
        for _, obj, _, _ in sample:
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(str(k) for k in obj))
        if not keys:
            self._file.close()
            raise UnreadableFile("no JSON object with any field among the first records")
        self.header = list(keys)
        self._sample = sample
        self._rest = elements

    # --- buffer -------------------------------------------------------------------------------------
    def _fill(self) -> bool:
        chunk = self._file.read(CHUNK_CHARS)
        if not chunk:
            self._eof = True
            return False
        self._buf = self._buf[self._pos:] + chunk
        self._pos = 0
        return True

    def _advance(self, n: int) -> None:
        self._line += self._buf.count("\n", self._pos, self._pos + n)
        self._pos += n

    def _skip_space(self, also: str = "") -> None:
        while True:
            while self._pos < len(self._buf) and (self._buf[self._pos].isspace() or self._buf[self._pos] in also):
                self._advance(1)
            if self._pos < len(self._buf) or not self._fill():
                return

    # --- elements: (line, value, problem, raw) ------------------------------------------------------
    def _decode_next(self) -> tuple[int, Any, str | None, str | None]:
        line = self._line
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if not self._eof and len(self._buf) - self._pos < MAX_ELEMENT_CHARS and self._fill():
                    continue
                return self._skip_malformed(line, exc)
            raw = None if isinstance(value, dict) else self._buf[self._pos:end][:RAW_KEPT]
            self._advance(end - self._pos)
            return line, value, None if isinstance(value, dict) else "not a JSON object", raw

    def _skip_malformed(self, line: int, exc: json.JSONDecodeError) -> tuple[int, Any, str | None, str | None]:
        match = _RESYNC.search(self._buf, self._pos + 1)
        end = match.end() if match else len(self._buf)
        raw = self._buf[self._pos:end]
        self._advance(end - self._pos)
        return line, None, f"malformed JSON ({exc.msg})", raw[:RAW_KEPT]

    def _array_elements(self) -> Iterator[tuple[int, Any, str | None, str | None]]:
        while True:
            self._skip_space(also=",")
            if self._pos >= len(self._buf) or self._buf[self._pos] == "]":
                return
            yield self._decode_next()

    def _objects(self) -> Iterator[tuple[int, Any, str | None, str | None]]:
        first = self._decode_next()
        self._skip_space()
        single = self._pos >= len(self._buf)
        if single and isinstance(first[1], dict):
            lists = [v for v in first[1].values() if isinstance(v, list) and v and isinstance(v[0], dict)]
            if lists:  # {"requests": [...]}: the wrapped list (read whole)
                for obj in lists[0]:
                    ok = isinstance(obj, dict)
                    yield first[0], obj, None if ok else "not a JSON object", None if ok else json.dumps(obj)
                return
        yield first
        while True:  # JSON Lines
            self._skip_space()
            if self._pos >= len(self._buf):
                return
            yield self._decode_next()

    def records(self) -> Iterator[Record]:
        for line, obj, problem, raw in itertools.chain(self._sample, self._rest):
            if problem is not None:
                yield Record(line, None, problem, raw=raw)
                continue
            values = [_cell(obj.get(k)) for k in self.header]
            yield _checked_values(Record(line, values), self.header)

    def progress(self) -> tuple[int, int]:
        return min(self._file.tell(), self.total), self.total

    def close(self) -> None:
        self._file.close()


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _checked_values(record: Record, header: list[str]) -> Record:
    """The record, or a problem if a text value holds undecodable bytes or a NUL."""
    for name, value in zip(header, record.values or []):
        if isinstance(value, str):
            if UNDECODABLE.search(value):
                record.problem, record.column = "bytes that are not valid utf-8 text", name
                return record
            if "\x00" in value:
                record.problem, record.column = "a NUL character", name
                return record
    return record
