"""Transactions and idempotency on SQLite, PostgreSQL and MariaDB: an import that fails half-way leaves
whole batches only and resumes to the same database a clean import gives; all-or-nothing leaves the
database as it was; importing a file twice changes nothing, and a changed row is updated."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from data_access.schema import Callback, ImportRun, Ticket, TicketPersonal, create_schema, drop_schema
from helpers import write_casebook
from importers import ImportFailed, ImportOptions, import_file, pipeline

T, P, CB, R = (t.__table__ for t in (Ticket, TicketPersonal, Callback, ImportRun))
NOW = dt.datetime(2026, 11, 20, 12, 0)
HEADER = "工单编号,受理时间,问题分类,紧急程度,办结时间,所属街道,所属社区,回访时间,是否解决,满意度,联系电话\n"
BATCH = 5


def _export(rows: int = 23) -> str:
    """A 12345 export of `rows` rows; every seventh row has an unreadable time of receipt."""
    lines = [HEADER]
    for i in range(rows):
        received = f"2026-11-{1 + i % 28:02d} 09:00" if i % 7 != 6 else "not a time"
        closed = f"2026-11-{1 + i % 28:02d} 17:00"
        lines.append(f"G{i:03d},{received},供暖,一般,{closed},东湖街道,春晖社区,{closed},已解决,满意,1380000{i:04d}\n")
    return "".join(lines)


def _snapshot(engine) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    """Tickets, personal rows and callbacks keyed by ticket number (ids left out: sequences may skip)."""
    columns = [c for c in T.columns if c.name not in ("id", "street_id", "community_id", "lead_department_id")]
    with engine.connect() as conn:
        tickets = conn.execute(select(*columns).order_by(T.c.ticket_no)).all()
        personal = conn.execute(select(T.c.ticket_no, P.c.caller_phone).join(P, P.c.ticket_id == T.c.id)
                                .order_by(T.c.ticket_no)).all()
        callbacks = conn.execute(select(T.c.ticket_no, CB.c.at, CB.c.reached, CB.c.resolution)
                                 .join(CB, CB.c.ticket_id == T.c.id).order_by(T.c.ticket_no)).all()
    return tickets, personal, callbacks


@pytest.fixture(scope="module")
def server(engine):
    yield engine
    write_casebook(engine)


@pytest.fixture
def empty(server):
    drop_schema(server)
    create_schema(server)
    return server


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(_export(), encoding="utf-8")
    return path


def _fail_on_batch(monkeypatch, number: int) -> None:
    """Make the `number`-th batch's write fail the way a dropped connection does."""
    real = pipeline.write_batch
    calls = {"n": 0}

    def failing(conn, rows):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == number:
            real(conn, rows)  # the batch is half written when the connection goes
            raise OperationalError("INSERT INTO ticket ...", {}, ConnectionError("server closed the connection"))
        return real(conn, rows)

    monkeypatch.setattr(pipeline, "write_batch", failing)


def _options(tmp_path, **kw) -> ImportOptions:  # type: ignore[no-untyped-def]
    return ImportOptions(format="12345", rejects_path=tmp_path / "rejects.csv", batch_size=BATCH, now=NOW, **kw)


def test_a_failed_batch_leaves_only_whole_batches_and_a_checkpoint(empty, export, tmp_path, monkeypatch):
    _fail_on_batch(monkeypatch, 3)
    with pytest.raises(ImportFailed, match="run the same import again to resume") as failure:
        import_file(empty, export, _options(tmp_path))
    with empty.connect() as conn:
        numbers = conn.execute(select(T.c.ticket_no).order_by(T.c.ticket_no)).scalars().all()
        run = conn.execute(select(R)).mappings().one()
    # Two batches of five rows committed: rows 0–9, of which row 6 was rejected.
    assert numbers == [f"G{i:03d}" for i in range(10) if i != 6]
    assert (run["status"], run["checkpoint_records"], run["checkpoint_line"]) == ("failed", 10, 11)
    assert failure.value.summary.progress.loaded == 9


def test_running_again_resumes_and_ends_where_a_clean_import_does(empty, export, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        _fail_on_batch(patch, 3)
        with pytest.raises(ImportFailed):
            import_file(empty, export, _options(tmp_path))
    resumed = import_file(empty, export, _options(tmp_path))
    assert resumed.resumed_from_line == 11
    assert (resumed.rows, resumed.progress.loaded, resumed.progress.rejected) == (23, 20, 3)
    rejects_after_resume = (tmp_path / "rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    after_resume = _snapshot(empty)

    drop_schema(empty)
    create_schema(empty)
    clean = import_file(empty, export, _options(tmp_path, restart=True))
    assert (clean.rows, clean.progress.loaded, clean.progress.rejected) == (23, 20, 3)
    assert after_resume == _snapshot(empty)
    assert rejects_after_resume == (tmp_path / "rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in rejects_after_resume[1:]] == ["8", "15", "22"]


def test_all_or_nothing_leaves_the_database_as_it_was(empty, export, tmp_path, monkeypatch):
    first = tmp_path / "first.csv"
    first.write_text(HEADER + "OLD1,2026-10-01 09:00,供暖,一般,,东湖街道,春晖社区,,,,\n", encoding="utf-8")
    import_file(empty, first, _options(tmp_path))
    before = _snapshot(empty)
    _fail_on_batch(monkeypatch, 4)
    with pytest.raises(ImportFailed, match="nothing was written"):
        import_file(empty, export, _options(tmp_path, transaction="single"))
    assert _snapshot(empty) == before
    with empty.connect() as conn:
        statuses = conn.execute(select(R.c.status).order_by(R.c.id)).scalars().all()
    assert statuses == ["done", "failed"]


def test_importing_twice_changes_nothing_and_a_changed_row_is_updated(empty, export, tmp_path):
    first = import_file(empty, export, _options(tmp_path))
    snapshot = _snapshot(empty)
    second = import_file(empty, export, _options(tmp_path))
    assert (second.progress.inserted, second.progress.updated, second.progress.unchanged) == (0, 0, 20)
    assert _snapshot(empty) == snapshot
    changed = export.read_text(encoding="utf-8").replace("G000,2026-11-01 09:00,供暖", "G000,2026-11-01 09:00,噪音扰民")
    export.write_text(changed, encoding="utf-8")
    third = import_file(empty, export, _options(tmp_path))
    assert (first.progress.inserted, third.progress.updated, third.progress.unchanged) == (20, 1, 19)
    with empty.connect() as conn:
        category = conn.execute(select(T.c.category).where(T.c.ticket_no == "G000")).scalar_one()
        callbacks = conn.execute(select(CB.c.at).join(T, T.c.id == CB.c.ticket_id).where(T.c.ticket_no == "G000")).all()
    assert category == "噪音扰民"
    assert len(callbacks) == 1  # the updated ticket's callback is replaced, not duplicated


def test_all_or_nothing_counts_every_batch(empty, export, tmp_path):
    """One transaction for the file still counts the rows and findings of all its batches, as batches do."""
    single = import_file(empty, export, _options(tmp_path, transaction="single"))
    assert (single.rows, single.progress.records, single.progress.loaded, single.progress.rejected) == (23, 23, 20, 3)
    with empty.connect() as conn:
        run = conn.execute(select(R).where(R.c.id == single.run_id)).mappings().one()
    assert (run["rows_read"], run["rows_inserted"], run["checkpoint_records"]) == (23, 20, 23)
    drop_schema(empty)
    create_schema(empty)
    batched = import_file(empty, export, _options(tmp_path, restart=True))
    assert single.findings.rows() == batched.findings.rows()


def test_an_import_marks_the_received_days_it_changed_for_the_rollups(empty, export, tmp_path):
    from data_access import rollups
    from data_access.schema import rollup_dirty

    def marked_then_cleared() -> set[dt.date]:
        with empty.begin() as conn:
            days = rollups.dirty_days(conn)
            conn.execute(rollup_dirty.delete())
        return days

    import_file(empty, export, _options(tmp_path))
    assert marked_then_cleared() == {dt.date(2026, 11, 1 + i % 28) for i in range(23) if i % 7 != 6}
    import_file(empty, export, _options(tmp_path))
    assert marked_then_cleared() == set()  # nothing changed, nothing marked
    moved = export.read_text(encoding="utf-8").replace("G000,2026-11-01 09:00", "G000,2026-11-05 09:00")
    export.write_text(moved, encoding="utf-8")
    import_file(empty, export, _options(tmp_path))
    assert marked_then_cleared() == {dt.date(2026, 11, 1), dt.date(2026, 11, 5)}  # the old day and the new one
