"""The `import_run` / `import_finding` rows of an import: start, checkpoint, finish, fail, resume.

The checkpoint is written in the same transaction as the batch it follows, so after a failure the run row
says exactly which source records are in the database (`checkpoint_records`) and how long the rejects file
was then (`rejects_bytes`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, insert, select, update

from data_access.schema import ImportFinding, ImportRun
from importers.findings import FindingTally

R = ImportRun.__table__
F = ImportFinding.__table__
MESSAGE_LEN = 500


@dataclass
class Progress:
    """What a run has done so far (cumulative, also across a resume)."""

    records: int = 0  # source records consumed (loaded + rejected)
    line: int = 0  # line of the last consumed record
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_bytes: int = 0

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def options_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def resumable_run(conn: Connection, kind: str, sha256: str, key: str) -> dict | None:  # type: ignore[type-arg]
    """The latest unfinished batch-mode run of the same file and options that committed something."""
    row = conn.execute(
        select(R)
        .where(R.c.kind == kind, R.c.source_sha256 == sha256, R.c.options_key == key,
               R.c.status.in_(("running", "failed")), R.c.transaction_mode == "batch", R.c.checkpoint_records > 0)
        .order_by(R.c.id.desc())
        .limit(1)
    ).mappings().first()
    return dict(row) if row else None


def progress_of(run: dict) -> Progress:  # type: ignore[type-arg]
    return Progress(records=run["checkpoint_records"], line=run["checkpoint_line"], inserted=run["rows_inserted"],
                    updated=run["rows_updated"], unchanged=run["rows_unchanged"], rejected=run["rows_rejected"],
                    rejects_bytes=run["rejects_bytes"])


def findings_of(conn: Connection, run_id: int) -> FindingTally:
    rows = conn.execute(select(F.c.kind, F.c.column_name, F.c.count, F.c.example_lines).where(F.c.run_id == run_id))
    return FindingTally.from_rows([dict(r) for r in rows.mappings()])


def start_run(engine: Engine, *, kind: str, source: Path, sha256: str, fmt: str, key: str, source_tz: str | None,
              transaction: str, now: dt.datetime, rejects_path: Path | None) -> int:
    with engine.begin() as conn:
        result = conn.execute(insert(R).values(
            kind=kind, started_at=now, source_name=source.name[:255], source_sha256=sha256, format=fmt[:64],
            options_key=key, source_tz=source_tz, transaction_mode=transaction, status="running", rows_read=0,
            rows_inserted=0, rows_updated=0, rows_unchanged=0, rows_rejected=0, findings=0, checkpoint_records=0,
            checkpoint_line=0, rejects_bytes=0, rejects_path=str(rejects_path)[:500] if rejects_path else None))
        return int(result.inserted_primary_key[0])


def reopen_run(engine: Engine, run_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(R).where(R.c.id == run_id).values(status="running", message=None, finished_at=None))


def save_checkpoint(conn: Connection, run_id: int, progress: Progress, tally: FindingTally) -> None:
    """Counts, checkpoint and findings of the run, in the caller's (the batch's) transaction."""
    conn.execute(update(R).where(R.c.id == run_id).values(
        rows_read=progress.loaded + progress.rejected, rows_inserted=progress.inserted,
        rows_updated=progress.updated, rows_unchanged=progress.unchanged, rows_rejected=progress.rejected,
        findings=tally.total(), checkpoint_records=progress.records, checkpoint_line=progress.line,
        rejects_bytes=progress.rejects_bytes))
    conn.execute(delete(F).where(F.c.run_id == run_id))
    rows = tally.rows()
    if rows:
        conn.execute(insert(F), [{"run_id": run_id, **row} for row in rows])


def finish_run(conn: Connection, run_id: int, now: dt.datetime, *, rejects_path: Path | None) -> None:
    conn.execute(update(R).where(R.c.id == run_id).values(
        status="done", finished_at=now, rejects_path=str(rejects_path)[:500] if rejects_path else None))


def fail_run(engine: Engine, run_id: int, now: dt.datetime, message: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(R).where(R.c.id == run_id).values(status="failed", finished_at=now,
                                                              message=message[:MESSAGE_LEN]))
