"""Streaming readers: a file → its header and its records, one at a time, with where each record starts.

A `Record` is either split into values aligned with the header, or carries the `problem` that stopped it
(wrong number of fields, bytes that are not text in the file's encoding, malformed JSON …) and its raw text,
so the pipeline can reject it with its line number and go on. Nothing here stops at a bad record.

CSV encodings: a BOM decides (UTF-8, UTF-16); otherwise the first megabyte is tried as UTF-8, then GB18030
(which covers GBK and GB2312, the usual Chinese government exports). Bytes that are invalid in the chosen
encoding are kept as surrogates (`surrogateescape`) and turn only their own record into a reject.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Protocol

SNIFF_BYTES = 1 << 20  # how much of a CSV file decides its encoding
DELIMITERS = (",", "\t", ";", "|")
RAW_KEPT = 2000  # characters of an unreadable record kept in the rejects file
UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass
class Record:
    line: int  # where the record starts: physical line (CSV/JSON) or sheet row (Excel), 1-based
    values: list[Any] | None  # aligned with the header; None when the record could not be split
    problem: str | None = None  # why the record cannot be read; None when it can
    column: str = ""  # the column the problem is in, if any
    raw: str | None = None  # the raw text of an unreadable record (cut to RAW_KEPT)


class Source(Protocol):
    header: list[str]
    encoding: str | None

    def records(self) -> Iterator[Record]: ...

    def progress(self) -> tuple[int, int]:
        """(done, total) in the source's own unit (bytes or rows), for the progress bar."""
        ...

    def close(self) -> None: ...


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (no header, not a spreadsheet, not JSON …)."""


def _decoded(sample: bytes, encoding: str) -> tuple[int, int]:
    """(non-ASCII characters decoded, undecodable bytes) of a sample; a character cut at the end is fine."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
    text = decoder.decode(sample, final=False)
    bad = len(UNDECODABLE.findall(text))
    return sum(1 for ch in text if ord(ch) > 127) - bad, bad


def detect_encoding(sample: bytes) -> str:
    """The encoding of a CSV file from its first bytes (see the module docstring).

    The header decides when it has Chinese in it (a Chinese export's header always has). Otherwise a few
    corrupt bytes must not flip a UTF-8 file to GB18030 (which accepts most byte pairs): UTF-8 wins while
    its valid non-ASCII characters outnumber its bad bytes ten to one.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    header = sample.split(b"\n", 1)[0]
    if not header.isascii():
        for encoding in ("utf-8", "gb18030"):
            ok, bad = _decoded(header, encoding)
            if bad == 0:
                return encoding
    utf8_ok, utf8_bad = _decoded(sample, "utf-8")
    if utf8_bad == 0 or utf8_ok > 10 * utf8_bad:
        return "utf-8"
    _gb_ok, gb_bad = _decoded(sample, "gb18030")
    return "gb18030" if gb_bad < utf8_bad else "utf-8"  # a tie (no evidence either way): UTF-8


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _LineFeed:
    """The lines the csv reader parses: the file's, after any pushed back; records what it hands out.

    An iterator class rather than a generator, because lines pushed back after the file ended must
    still be read (a generator that has returned never yields again).
    """

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._pushed: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> "_LineFeed":
        return self

    def __next__(self) -> str:
        line = self._pushed.popleft() if self._pushed else self._text.readline()
        if not line:
            raise StopIteration
        self.taken.append(line)
        return line

    def push_back(self, lines: list[str]) -> None:
        self._pushed.extendleft(reversed(lines))

    def take(self) -> list[str]:
        taken, self.taken = self.taken, []
        return taken


class CsvSource:
    """A delimited text file, read line by line (see the module docstring)."""

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self._binary: BinaryIO = path.open("rb")
        self.total = path.stat().st_size
        sample = self._binary.read(SNIFF_BYTES)
        self._binary.seek(0)
        self.encoding = encoding or detect_encoding(sample)
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            self._binary.close()
            raise UnreadableFile(f"unknown encoding {self.encoding!r}") from None
        self._text = io.TextIOWrapper(self._binary, encoding=self.encoding, errors="surrogateescape", newline="")
        self._feed = _LineFeed(self._text)
        self._line = 0  # physical lines consumed so far
        first = self._first_line()
        self.delimiter = _delimiter(first)
        self._feed.push_back([first])
        self._line -= 1
        self._reader = csv.reader(self._feed, delimiter=self.delimiter)
        self.header = self._read_header()

    def _first_line(self) -> str:
        for line in self._text:
            self._line += 1
            if line.strip():
                return line
        raise UnreadableFile("the file is empty (no header line)")

    def _read_header(self) -> list[str]:
        try:
            fields = next(self._reader)
        except csv.Error as exc:
            raise UnreadableFile(f"the header line cannot be read: {exc}") from None
        self._line += len(self._feed.take())
        if UNDECODABLE.search("".join(fields)):
            raise UnreadableFile(f"the header is not valid {self.encoding}; name the encoding with --encoding")
        return [f.strip().lstrip("\ufeff") for f in fields]

    def records(self) -> Iterator[Record]:
        width = len(self.header)
        while True:
            start = self._line + 1
            try:
                fields = next(self._reader)
                failure = None
            except StopIteration:
                return
            except csv.Error as exc:
                fields, failure = None, f"unreadable CSV: {exc}"
            lines = self._feed.take()
            if len(lines) > 1 and (fields is None or len(fields) != width or _ends_in_open_quote(fields, lines)
                                   or self._swallowed(lines[1:], width)):
                # A record over several lines with the wrong shape, running into the end of the file, or
                # whose later lines are whole records themselves, is an unbalanced quote that swallowed the
                # lines after it: the first line is
                # judged on its own and the others are read again, so the good rows after it survive.
                self._feed.push_back(lines[1:])
                self._line += 1
                record = self._alone(start, lines[0], width)
                if record is not None:
                    yield record
                continue
            self._line += len(lines)
            if fields is None:
                yield Record(start, None, failure, raw="".join(lines)[:RAW_KEPT])
            elif len(fields) == width and fields[-1].endswith(("\n", "\r")) and _ends_in_open_quote(fields, lines):
                problem = "a quoted field that never closes (is the file cut off?)"
                yield Record(start, None, problem, raw="".join(lines)[:RAW_KEPT])
            elif len(fields) == width:
                record = Record(start, fields)
                text = lines[0] if len(lines) == 1 else "".join(lines)
                yield record if _clean(text) else _checked(record, self.header, self.encoding, lines)
            elif not any(f.strip() for f in fields):
                continue  # a blank line, or one of only delimiters: not a row
            else:
                problem = f"{len(fields)} fields where the header has {width}"
                yield Record(start, None, problem, raw="".join(lines)[:RAW_KEPT])

    def _swallowed(self, lines: list[str], width: int) -> bool:
        for line in lines:
            try:
                if len(next(csv.reader([line], delimiter=self.delimiter), [])) == width:
                    return True
            except csv.Error:
                continue
        return False

    def _alone(self, line_no: int, line: str, width: int) -> Record | None:
        """One physical line read as a record of its own (None if blank)."""
        if not line.strip():
            return None
        try:
            fields = next(csv.reader([line], delimiter=self.delimiter))
        except csv.Error as exc:
            return Record(line_no, None, f"unreadable CSV: {exc}", raw=line[:RAW_KEPT])
        if len(fields) == width and _ends_in_open_quote(fields, [line]):
            return Record(line_no, None, "a quoted field that never closes", raw=line[:RAW_KEPT])
        if len(fields) == width:
            return _checked(Record(line_no, fields), self.header, self.encoding, [line])
        problem = f"{len(fields)} fields where the header has {width} (unbalanced quote?)"
        return Record(line_no, None, problem, raw=line[:RAW_KEPT])

    def progress(self) -> tuple[int, int]:
        return self._binary.tell(), self.total

    def close(self) -> None:
        self._text.close()


def _ends_in_open_quote(fields: list[str], lines: list[str]) -> bool:
    """Whether the csv module ran into the end of the file inside a quoted field: the last field then
    keeps the line break, and the text does not end with the closing quote."""
    last = fields[-1] if fields else ""
    return last.endswith(("\n", "\r")) and not lines[-1].rstrip("\r\n").endswith('"')


def _clean(text: str) -> bool:
    """Whether text has neither undecodable bytes nor a NUL: the usual case, told without a regex scan
    (UTF-8 encoding fails exactly on the surrogates that `surrogateescape` decoding leaves)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _checked(record: Record, header: list[str], encoding: str | None, lines: list[str]) -> Record:
    """The record, or a problem if its text holds undecodable bytes or a NUL (which no database stores)."""
    text = "".join(lines)
    bad_bytes = UNDECODABLE.search(text) is not None
    if not bad_bytes and "\x00" not in text:
        return record
    values = record.values or []
    for name, value in zip(header, values):
        if isinstance(value, str) and bad_bytes and UNDECODABLE.search(value):
            record.problem, record.column = f"bytes that are not valid {encoding} text", name
            return record
        if isinstance(value, str) and "\x00" in value:
            record.problem, record.column = "a NUL character", name
            return record
    record.problem = f"bytes that are not valid {encoding} text" if bad_bytes else "a NUL character"
    return record


def open_source(path: Path, fmt_hint: str | None = None, encoding: str | None = None,
                sheet: str | None = None) -> Source:
    """The reader for a file, chosen by its extension (.xlsx/.xlsm → Excel, .json/.jsonl/.geojson → JSON,
    anything else → delimited text)."""
    if not path.is_file():
        raise UnreadableFile(f"no such file: {path}")
    suffix = path.suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        from importers.excel_reader import ExcelSource

        return ExcelSource(path, sheet)
    if suffix in (".xls",):
        raise UnreadableFile("old .xls workbooks are not read: save the sheet as .xlsx or CSV")
    if suffix in (".json", ".jsonl", ".ndjson") or fmt_hint == "open311":
        from importers.json_reader import JsonSource

        return JsonSource(path)
    return CsvSource(path, encoding)
