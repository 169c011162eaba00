"""Excel (.xlsx) exports, streamed with openpyxl's read-only mode; a record's line is its sheet row."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterator
from xml.etree.ElementTree import ParseError

from importers.readers import RAW_KEPT, Record, UnreadableFile


class ExcelSource:
    """The first sheet (or the mapping's `sheet`); the header is the first row with any value."""

    encoding = None
    damage: str | None = None  # set when the worksheet turned out to be damaged part-way (see _numbered_rows)

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        from openpyxl import load_workbook

        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise UnreadableFile(f"not an .xlsx workbook: {exc}") from None
        if sheet is not None and sheet not in self._book.sheetnames:
            self._book.close()
            raise UnreadableFile(f"no sheet {sheet!r} (sheets: {', '.join(self._book.sheetnames)})")
        self._sheet = self._book[sheet] if sheet else self._book.worksheets[0]
        self.total = self._sheet.max_row or 0
        self._done = 0
        self._rows = self._numbered_rows()
        for number, values in self._rows:
            if any(v is not None and str(v).strip() for v in values):
                self.header = [str(v).strip() if v is not None else "" for v in values]
                while self.header and not self.header[-1]:
                    self.header.pop()
                break
        else:
            self._book.close()
            raise UnreadableFile("the sheet is empty (no header row)")

    def _numbered_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The sheet's rows with their numbers. The sheet is streamed: a damaged worksheet (broken XML, a bad
        compressed block) shows only when the reading reaches the damage: before the header that is an
        UnreadableFile; after it the rows end there and `damage` says where, so that the rows before it load
        and the import then fails with that message (pipeline)."""
        rows = self._sheet.iter_rows()
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError) as exc:
                detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self.damage = f"the worksheet is damaged after sheet row {self._done}: {detail}"
                if not hasattr(self, "header"):
                    raise UnreadableFile(self.damage) from None
                return  # the rows before the damage are imported; the pipeline then reports `damage`
            cells = [c for c in row if hasattr(c, "row")]
            if not cells:
                continue  # an empty row in read-only mode has no coordinates
            self._done = cells[0].row
            yield cells[0].row, tuple(c.value for c in row)

    def records(self) -> Iterator[Record]:
        width = len(self.header)
        for number, values in self._rows:
            row = list(values)
            if not any(v is not None and str(v).strip() for v in row):
                continue
            extra = [v for v in row[width:] if v is not None and str(v).strip()]
            if extra:
                raw = "\t".join("" if v is None else str(v) for v in row)[:RAW_KEPT]
                yield Record(number, None, f"values beyond the last header column ({len(row)} > {width})", raw=raw)
                continue
            row = (row + [None] * width)[:width]
            yield Record(number, row)

    def progress(self) -> tuple[int, int]:
        return self._done, self.total

    def close(self) -> None:
        self._book.close()
