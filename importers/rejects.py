"""The rejects file: every row that did not load, with its line, column and reason, and the row itself.

`<input>.rejects.csv` next to the input unless `--rejects PATH` names another place; UTF-8 with a BOM so
Excel shows Chinese. The columns are `line, column, reason, raw` and then the input's own header, so a
person can fix the rows in place and import the rejects file itself (the four extra columns are ignored).
`raw` holds the text of records that could not be split into fields. Nothing is written when nothing is
rejected, and a fresh run removes the rejects file of an earlier run.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any, TextIO

from importers.readers import Record

LEAD_COLUMNS = ["line", "column", "reason", "raw"]


def default_rejects_path(source: Path) -> Path:
    return source.with_name(source.name + ".rejects.csv")


def check_writable(path: Path) -> None:
    """Fail before importing if the rejects file could not be written (a read-only folder, say)."""
    folder = path.parent
    if not folder.is_dir():
        raise PermissionError(f"the folder of the rejects file does not exist: {folder}")
    # A folder without any write bit is read-only by intent (like ../shared/datasets), even for root,
    # whom os.access always lets write.
    read_only = not stat.S_IMODE(folder.stat().st_mode) & 0o222
    if read_only or not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PermissionError(f"cannot write the rejects file {path} (read-only folder?): pass --rejects PATH")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


class RejectsFile:
    """Appends rejects; `flush()` returns the file's size (stored as the run's checkpoint)."""

    def __init__(self, path: Path, header: list[str], *, resume_bytes: int | None = None) -> None:
        self.path = path
        self.header = header
        self.count = 0
        self._fh: TextIO | None = None
        if not resume_bytes:
            path.unlink(missing_ok=True)
        elif path.exists():
            with path.open("r+b") as fh:
                fh.truncate(resume_bytes)
            self._fh = path.open("a", encoding="utf-8", errors="backslashreplace", newline="")
            self._writer = csv.writer(self._fh)

    def add(self, record: Record, column: str, reason: str) -> None:
        if self._fh is None:
            self._fh = self.path.open("w", encoding="utf-8-sig", errors="backslashreplace", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow(LEAD_COLUMNS + self.header)
        values = [_cell(v) for v in record.values] if record.values is not None else []
        self._writer.writerow([record.line, column, reason, record.raw or ""] + values)
        self.count += 1

    def flush(self) -> int:
        if self._fh is None:
            return 0
        self._fh.flush()
        return self.path.stat().st_size

    @property
    def written(self) -> bool:
        return self._fh is not None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
