"""Ticket numbers already seen in this file, kept in a temporary SQLite file so memory stays bounded.

A ticket number that comes back later in the same file is a reject ("duplicate of line N"): letting the
last copy win would make the import depend on row order and break the rule that importing a file twice
changes nothing. The keys are `upsert.ticket_key` (case-folded).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile

IN_CHUNK = 500


class SeenKeys:
    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="import-seen-", suffix=".sqlite")
        os.close(handle)
        # Used by the parsing thread only, but created in the caller's: hence check_same_thread=False.
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID")

    def first_lines(self, items: list[tuple[str, int]]) -> list[int | None]:
        """For each (key, line) in order: None if the key is new (it is remembered), else its first line."""
        keys = list(dict.fromkeys(k for k, _ in items))
        earlier: dict[str, int] = {}
        for i in range(0, len(keys), IN_CHUNK):
            chunk = keys[i:i + IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            earlier.update(self._db.execute(f"SELECT key, line FROM seen WHERE key IN ({marks})", chunk).fetchall())
        out: list[int | None] = []
        fresh: list[tuple[str, int]] = []
        for key, line in items:
            first = earlier.get(key)
            out.append(first)
            if first is None:
                earlier[key] = line
                fresh.append((key, line))
        self._db.executemany("INSERT INTO seen (key, line) VALUES (?, ?)", fresh)
        return out

    def close(self) -> None:
        self._db.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
