"""`import_file`: stream a file through parsing, validation and the upsert, batch by batch.

Transactions (docs/importing.md "Transactions"): by default each batch of `batch_size` rows is one
transaction that also writes the run's checkpoint. A failure leaves every committed batch complete and the
failed one absent; running the same import again resumes after the checkpoint (same file bytes, same
options), and because rows are upserted even a full re-run converges to the same database. With
`transaction="single"` the whole file is one transaction: all or nothing, at the price of holding one
long transaction (on SQLite it blocks every other writer for the whole import).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from data_access import rollups
from data_access.schema import create_schema
from domain.clock import local_now
from domain.settings import DEFAULT_SETTINGS, Settings
from importers import runs
from importers.areas import AreaSetupError, Units
from importers.batch import Ready, place_rows, prepare_rows
from importers.findings import FindingTally
from importers.mapping import COORDINATE_SYSTEMS, Mapping, detect_format, load_mapping, load_preset, missing_required, plan_columns
from importers.point_in_polygon import Placer
from importers.prefetch import ParsedAhead
from importers.readers import Record, Source, UnreadableFile, open_source
from importers.rejects import RejectsFile, check_writable, default_rejects_path
from importers.rows import ParsedRow, RowParser, RowRejected
from importers.seen import SeenKeys
from importers.upsert import ticket_key, write_batch

TRANSACTIONS = ("batch", "single")
SKIP_CHUNK = 5000  # records parsed at a time while passing over what a resumed run committed
# Rows an import must write (new or updated) to refresh the planners' statistics afterwards: they go stale
# after a large load (SQLite has none until ANALYZE; the PostgreSQL server here runs without autovacuum).
ANALYZE_AFTER = 10_000
ProgressCallback = Callable[[int, int, int], None]  # (rows done, source units done, source units total)


class ImportSetupError(ValueError):
    """The import cannot start: unreadable file, unknown format, bad mapping, unwritable rejects file …"""


class ImportFailed(RuntimeError):
    """The import stopped part-way (database or disk error); `summary` says what is committed."""

    def __init__(self, message: str, summary: "ImportSummary") -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class ImportOptions:
    format: str | None = None  # a preset name; None: detected from the header (or the mapping's)
    mapping_path: Path | None = None
    source_tz: str | None = None  # zone of the source's times; default: the mapping's, else the deployment's
    coordinates: str | None = None  # wgs84 | gcj02 | bd09; default: the mapping's
    encoding: str | None = None
    rejects_path: Path | None = None
    batch_size: int = 5000
    transaction: str = "batch"
    restart: bool = False  # ignore an unfinished earlier run of the same file instead of resuming it
    now: dt.datetime | None = None  # "now" of the deployment, for the received-in-the-future finding
    caller_salt: str | None = None  # salt of ticket.caller_hash; None: no hash


@dataclass
class ImportSummary:
    run_id: int
    source: Path
    format: str
    detected: bool
    encoding: str | None
    source_tz: str
    target_tz: str
    transaction: str
    progress: runs.Progress
    findings: FindingTally
    rejects_path: Path | None
    resumed_from_line: int = 0
    elapsed: float = 0.0
    analyze_seconds: float | None = None  # how long ANALYZE took after a large import; None: not run
    status: str = "running"
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.progress.loaded + self.progress.rejected


def choose_mapping(options: ImportOptions, header: list[str] | None) -> tuple[Mapping, bool]:
    """(mapping, whether it was detected): the mapping file over the preset, the preset, or detection."""
    if options.mapping_path is not None:
        base = load_preset(options.format) if options.format else None
        return load_mapping(options.mapping_path, base), False
    if options.format is not None:
        return load_preset(options.format), False
    if header is None:
        raise ValueError("no header to detect the format from")
    return load_preset(detect_format(header)), True


def _open(path: Path, options: ImportOptions) -> tuple[Source, Mapping, bool]:
    """The source and its mapping: a named mapping first (it may name the encoding or sheet), else detected."""
    mapping: Mapping | None = None
    detected = False
    if options.mapping_path is not None or options.format is not None:
        mapping, detected = choose_mapping(options, None)
    encoding = options.encoding or (mapping.encoding if mapping else None)
    source = open_source(path, options.format, encoding, mapping.sheet if mapping else None)
    if mapping is None:
        try:
            mapping, detected = choose_mapping(options, source.header)
        except ValueError:
            source.close()
            raise
    return source, mapping, detected


def _zone(name: str, what: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportSetupError(f"unknown time zone for {what}: {name!r} (e.g. Asia/Shanghai, America/New_York)") from None
    return name


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Run:
    """The state of one import while it runs (kept out of `import_file` so each step stays short)."""

    def __init__(self, summary: ImportSummary, parser: RowParser, rejects: RejectsFile, seen: SeenKeys,
                 mapping: Mapping, settings: Settings, coordinates: str) -> None:
        self.summary, self.parser, self.rejects, self.seen = summary, parser, rejects, seen
        self.mapping, self.settings, self.coordinates = mapping, settings, coordinates
        self.columns = dict(parser.column)
        self.units: Units | None = None
        self.placer: Placer | None = None
        self.rejects_before = 0  # rejects of the run before a resume
        self.last_line = 0  # line of the last record written (committed or not), for failure messages
        # Progress and findings after the last batch written, committed or not: the next batch counts on from
        # them (with one transaction for the file, nothing is committed until the end).
        self.written: tuple[runs.Progress, FindingTally] | None = None

    def skip(self, records: Iterator[Record], count: int) -> Iterator[Record]:
        """Pass over the records a resumed run committed already, remembering their ticket numbers."""
        while count > 0:
            chunk = list(islice(records, min(count, SKIP_CHUNK)))
            if not chunk:
                break
            count -= len(chunk)
            rows = [row for row in self.parser.parse_batch(chunk) if not isinstance(row, RowRejected)]
            self.seen.first_lines([(ticket_key(row.ticket_no), row.line) for row in rows])
        return records

    def parse(self, batch: list[Record]) -> list[ParsedRow]:
        """The batch's loadable rows; the others go to the rejects file, in line order."""
        parsed: list[ParsedRow] = []
        rejected: list[tuple[Record, str, str]] = []
        for record, row in zip(batch, self.parser.parse_batch(batch)):
            if isinstance(row, RowRejected):
                rejected.append((record, row.column, row.reason))
            else:
                parsed.append(row)
        firsts = self.seen.first_lines([(ticket_key(r.ticket_no), r.line) for r in parsed])
        unique = []
        by_line = {r.line: r for r in batch}
        for row, first in zip(parsed, firsts):
            if first is None:
                unique.append(row)
            else:
                reason = f"ticket number {row.ticket_no!r} already at line {first}"
                rejected.append((by_line[row.line], self.columns["ticket_no"], reason))
        for record, column, reason in sorted(rejected, key=lambda r: r[0].line):
            self.rejects.add(record, column, reason)
        return unique

    def prepare(self, rows: list[ParsedRow]) -> list[Ready]:
        """The rows as tickets, as far as that needs no database (in the parsing thread)."""
        return prepare_rows(rows, settings=self.settings, coordinates=self.coordinates)

    def write(self, conn: Connection, batch: list[Record], rows: list[ParsedRow], ready: list[Ready],
              rejects_marks: tuple[int, int]) -> tuple[runs.Progress, FindingTally]:
        """Write one batch and its checkpoint in `conn`'s transaction; the run's progress and findings after
        it (applied by the caller once the transaction has committed). `rejects_marks` is the rejects file's
        (count, size) once the batch's rejects were written."""
        if self.units is None or self.placer is None:
            areas = self.mapping.areas
            self.units = Units(conn, create=areas.create, district=(areas.district_code, areas.district_name),
                               fallback_street=(areas.fallback_street_code, areas.fallback_street_name))
            self.placer = Placer.load(conn)
        place_rows(conn, rows, ready, units=self.units, placer=self.placer, columns=self.columns)
        counts = write_batch(conn, ready)
        self.last_line = batch[-1].line
        before, found = self.written or (self.summary.progress, self.summary.findings)
        after = runs.Progress(
            records=before.records + len(batch), line=batch[-1].line, inserted=before.inserted + counts.inserted,
            updated=before.updated + counts.updated, unchanged=before.unchanged + counts.unchanged,
            rejected=self.rejects_before + rejects_marks[0], rejects_bytes=rejects_marks[1])
        tally = FindingTally()
        tally.merge(found)
        for row in rows:
            for kind, column in row.findings:
                tally.add(kind, column, row.line)
        runs.save_checkpoint(conn, self.summary.run_id, after, tally)
        self.written = (after, tally)
        return after, tally


def import_file(engine: Engine, path: Path, options: ImportOptions | None = None,
                settings: Settings = DEFAULT_SETTINGS, progress: ProgressCallback | None = None) -> ImportSummary:
    """Import a ticket export (see the package docstring); the summary of the run.

    Raises ImportSetupError before touching the database when the file, format, mapping, zone or rejects
    path is unusable, and ImportFailed (with the summary of what is committed) when it stops part-way.
    """
    started = time.perf_counter()
    options = options or ImportOptions()
    if options.transaction not in TRANSACTIONS:
        raise ImportSetupError(f"transaction must be one of {', '.join(TRANSACTIONS)}")
    try:
        source, mapping, detected = _open(path, options)
    except (UnreadableFile, ValueError) as exc:
        raise ImportSetupError(str(exc)) from None
    with ExitStack() as stack:
        stack.callback(source.close)
        plan = plan_columns(mapping, source.header)
        missing = missing_required(mapping, plan)
        if missing:
            wanted = "; ".join(f"{f}: {' / '.join(mapping.columns[f])}" for f in missing)
            raise ImportSetupError(f"the header has no column for {wanted}")
        source_tz = _zone(options.source_tz or mapping.timezone or settings.timezone, "--tz")
        target_tz = _zone(settings.timezone, "the deployment (settings.timezone)")
        coordinates = options.coordinates or mapping.coordinates
        if coordinates not in COORDINATE_SYSTEMS:
            raise ImportSetupError(f"coordinates must be one of {', '.join(COORDINATE_SYSTEMS)}")
        rejects_path = options.rejects_path or default_rejects_path(path)
        try:
            check_writable(rejects_path)
        except PermissionError as exc:
            raise ImportSetupError(str(exc)) from None
        now = options.now or local_now(settings.timezone)
        sha = runs.file_sha256(path)
        key = runs.options_key(mapping.digest(), source_tz, target_tz, coordinates, options.transaction,
                               options.caller_salt or "")
        create_schema(engine)
        resume = None
        if options.transaction == "batch" and not options.restart:
            with engine.connect() as conn:
                resume = runs.resumable_run(conn, "tickets", sha, key)
        if resume is not None:
            run_id = int(resume["id"])
            runs.reopen_run(engine, run_id)
            with engine.connect() as conn:
                tally = runs.findings_of(conn, run_id)
            done = runs.progress_of(resume)
        else:
            run_id = runs.start_run(engine, kind="tickets", source=path, sha256=sha, fmt=mapping.name, key=key,
                                    source_tz=source_tz, transaction=options.transaction, now=now,
                                    rejects_path=rejects_path)
            tally, done = FindingTally(), runs.Progress()
        summary = ImportSummary(run_id, path, mapping.name, detected, source.encoding, source_tz, target_tz,
                                options.transaction, done, tally, None, resumed_from_line=done.line)
        if source_tz != target_tz:
            summary.notes.append(f"times converted from {source_tz} to the deployment's zone {target_tz}; "
                                 f"for a deployment in {source_tz}, set timezone = \"{source_tz}\" in the settings")
        rejects = stack.enter_context(_closing(RejectsFile(path=rejects_path, header=source.header,
                                                          resume_bytes=done.rejects_bytes if resume else None)))
        seen = stack.enter_context(_closing(SeenKeys()))
        parser = RowParser(mapping, plan, source_tz=source_tz, target_tz=target_tz, now=now,
                           caller_salt=options.caller_salt)
        state = _Run(summary, parser, rejects, seen, mapping, settings, coordinates)
        state.rejects_before = done.rejected
        try:
            with _frozen_heap():
                _run_batches(engine, state, source, options, progress, skip=done.records)
        except (SQLAlchemyError, OSError, AreaSetupError, UnreadableFile) as exc:
            summary.status = "failed"
            summary.elapsed = time.perf_counter() - started
            message = _failure_message(exc, summary, options.transaction, state.last_line)
            runs.fail_run(engine, run_id, local_now(settings.timezone), message)
            raise ImportFailed(message, summary) from exc
        except BaseException as exc:  # interrupted (Ctrl-C) or a bug: the run is marked, the error goes on
            message = _failure_message(exc, summary, options.transaction, state.last_line)
            runs.fail_run(engine, run_id, local_now(settings.timezone), message)
            raise
        summary.status = "done"
        summary.rejects_path = rejects_path if rejects.written else None
        with engine.begin() as conn:
            runs.finish_run(conn, run_id, local_now(settings.timezone), rejects_path=summary.rejects_path)
        if summary.progress.inserted + summary.progress.updated >= ANALYZE_AFTER:
            analyzing = time.perf_counter()
            rollups.analyze(engine)
            summary.analyze_seconds = time.perf_counter() - analyzing
        summary.elapsed = time.perf_counter() - started
        return summary


def _run_batches(engine: Engine, state: _Run, source: Source, options: ImportOptions,
                 progress: ProgressCallback | None, *, skip: int) -> None:
    records = state.skip(source.records(), skip) if skip else source.records()
    summary = state.summary

    def parsed(batch: list[Record]) -> tuple[list[Record], list[ParsedRow], list[Ready], tuple[int, int]]:
        rows = state.parse(batch)
        return batch, rows, state.prepare(rows), (state.rejects.count, state.rejects.flush())

    with ParsedAhead(_batches(records, options.batch_size), parsed) as ahead:
        if options.transaction == "single":
            pending = None
            with engine.begin() as conn:
                for batch, rows, ready, marks in ahead:
                    pending = state.write(conn, batch, rows, ready, marks)
                    _report(progress, pending[0], source)
                _check_whole(source)  # a file that turned out damaged part-way: nothing is committed
            if pending is not None:  # committed: the whole file is in
                summary.progress, summary.findings = pending
            return
        for batch, rows, ready, marks in ahead:
            with engine.begin() as conn:
                after = state.write(conn, batch, rows, ready, marks)
            summary.progress, summary.findings = after  # only once the batch has committed
            _report(progress, after[0], source)
        _check_whole(source)  # the rows before a damaged part are in; the run fails with where it stopped


def _check_whole(source: Source) -> None:
    """Raise UnreadableFile when the source's records ended early at damage in the file (an .xlsx worksheet
    with broken XML part-way) rather than at its end."""
    damage = getattr(source, "damage", None)
    if damage:
        raise UnreadableFile(damage)


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Leave the objects that exist before the batches (modules, the engine, the caches) out of garbage
    collection while they run. Every batch promotes tens of thousands of objects to the oldest generation,
    which sets off a full collection every batch or two, and each would walk all of those again: 10–20 % of
    an import's CPU time, measured. Garbage is still collected; only those survivors are skipped."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _report(progress: ProgressCallback | None, done: runs.Progress, source: Source) -> None:
    if progress is not None:
        units_done, units_total = source.progress()
        progress(done.loaded + done.rejected, units_done, units_total)


def _failure_message(exc: BaseException, summary: ImportSummary, transaction: str, last_line: int) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    if transaction == "single":
        return f"stopped at line {last_line}: {reason}; nothing was written (all-or-nothing)"
    committed = summary.progress.line
    if isinstance(exc, UnreadableFile):
        return (f"stopped: {reason}; batches up to line {committed} are in the database; export the file again "
                f"and import it (the rows already in are not duplicated)")
    return (f"stopped after line {max(last_line, committed)}: {reason}; batches up to line {committed} are in the "
            f"database; run the same import again to resume")


class _closing:
    """Context manager closing anything with close() (RejectsFile, SeenKeys)."""

    def __init__(self, thing):  # type: ignore[no-untyped-def]
        self.thing = thing

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self.thing

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        self.thing.close()
