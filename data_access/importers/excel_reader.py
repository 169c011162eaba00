"""Excel (.xlsx) exports, streamed with openpyxl's read-only mode; a record's line is its sheet row."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Iterator

from data_access.importers.readers import RAW_KEPT, Record, UnreadableFile


class ExcelSource:
    """The first sheet (or the mapping's `sheet`); the header is the first row with any value."""

    encoding = None

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
        for row in self._sheet.iter_rows():
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
