"""`cli.py import` and `cli.py import-boundaries`: the summary on success, one-line errors with exit 2 for
what the operator can fix, and every input format (CSV, Excel, Open311 JSON, a mapping file)."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from conftest import FULL_FILES, NO_FULL_FILES, SLICES
from data_access.engine import make_engine
from data_access.schema import Ticket
from helpers import run_cli

LA, LA_NC = SLICES.la, SLICES.la_nc  # any real file will do where the figures do not matter



def _tickets(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Ticket.__table__)).scalar_one()
    engine.dispose()
    return int(count)


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cases.db'}"


def test_boundaries_then_la_then_again(capsys, url, tmp_path, real_files):
    features = len(json.loads(real_files.la_nc.read_text())["features"])
    with real_files.la.open(encoding="utf-8", newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    code, out, _ = run_cli(capsys, "import-boundaries", str(real_files.la_nc), "--level", "grid", "--mapping",
                           "la-nc-boundaries", "--url", url, "--rejects", str(tmp_path / "nc.csv"))
    assert code == 0 and f"{features} features = loaded {features}" in out
    args = ("import", str(real_files.la), "--url", url, "--rejects", str(tmp_path / "la.csv"), "--tz", "America/Los_Angeles")
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    assert f"rows {rows:,} = loaded {rows:,} (new {rows:,}, updated 0, unchanged 0) + rejected 0" in out
    assert "missing_coordinates" in out and "rows/s" in out
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and f"(new 0, updated 0, unchanged {rows:,})" in out


@pytest.mark.parametrize("argv, message", [
    (["import", "missing.csv"], "no such file"),
    (["import", "{la}", "--format", "nope"], "unknown format 'nope'"),
    (["import", "{la}", "--tz", "Mars/Olympus"], "unknown time zone"),
    # Rejects go beside the source by default: the full files' folder is read-only (root can write anywhere else).
    pytest.param(["import", str(FULL_FILES.la)], "pass --rejects PATH",
                 marks=pytest.mark.skipif(not FULL_FILES.la.exists(), reason=NO_FULL_FILES)),
    (["import", "{la}", "--mapping", "{tmp}/none.toml", "--rejects", "{tmp}/r.csv"], "cannot read mapping file"),
    (["import-boundaries", "{la_nc}", "--level", "grid", "--mapping", "no-such-preset"], "no boundary mapping"),
], ids=["missing-file", "unknown-format", "unknown-zone", "read-only-rejects", "missing-mapping", "unknown-boundary-map"])
def test_operator_mistakes_are_one_line_with_exit_2(capsys, url, tmp_path, argv, message):
    argv = [a.format(la=LA, la_nc=LA_NC, tmp=tmp_path) for a in argv]
    code, _, err = run_cli(capsys, *argv, "--url", url)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_import_boundaries_needs_a_level(capsys, url):
    code, _, err = run_cli(capsys, "import-boundaries", str(LA_NC), "--url", url)
    assert code == 2 and "--level" in err


def test_excel_export(capsys, url, tmp_path):
    book = Workbook()
    book.active.append(["工单编号", "受理时间", "问题分类", "紧急程度", "所属街道"])
    book.active.append(["X1", "2026-11-01 09:00:00", "供暖", "紧急", "东湖街道"])
    book.active.append(["X2", "not a time", "供暖", "一般", "东湖街道"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    code, out, _ = run_cli(capsys, "import", str(path), "--url", url, "--rejects", str(tmp_path / "r.csv"))
    assert code == 0 and "format 12345 (detected)" in out and "loaded 1" in out and "rejected 1" in out
    assert _tickets(url) == 1


def test_open311_requests_json(capsys, url, tmp_path):
    requests = [
        {"service_request_id": "638344", "status": "closed", "service_name": "Sidewalk and Curb Issues",
         "service_code": "006", "description": "Crack", "requested_datetime": "2010-04-14T06:37:38-08:00",
         "updated_datetime": "2010-04-16T06:37:38-08:00", "address": "8TH AVE and JUDAH ST", "lat": 37.762221815,
         "long": -122.4651145},
        {"service_request_id": "638349", "status": "open", "service_name": "Potholes",
         "requested_datetime": "2010-04-19T06:37:38-08:00", "updated_datetime": "2010-04-19T06:37:38-08:00",
         "lat": 37.8, "long": -122.4},
    ]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(requests), encoding="utf-8")
    code, out, _ = run_cli(capsys, "import", str(path), "--url", url, "--rejects", str(tmp_path / "r.csv"))
    assert code == 0 and "format open311 (detected)" in out and "loaded 2" in out
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(Ticket.__table__.c.ticket_no, Ticket.__table__.c.status, Ticket.__table__.c.closed_at,
                                   Ticket.__table__.c.received_at).order_by(Ticket.__table__.c.ticket_no)).all()
    engine.dispose()
    # UTC−8 → Asia/Shanghai (the default deployment zone) is +16 h; only the closed request has a closing time.
    assert [(r.ticket_no, r.status, str(r.closed_at), str(r.received_at)) for r in rows] == [
        ("638344", "closed", "2010-04-16 22:37:38", "2010-04-14 22:37:38"),
        ("638349", "dispatched", "None", "2010-04-19 22:37:38")]


def test_a_mapping_file_reads_any_other_export(capsys, url, tmp_path):
    mapping = tmp_path / "city.toml"
    mapping.write_text('name = "city"\ndate_order = "mdy"\n[columns]\nticket_no = "Case"\nreceived_at = "Opened"\n'
                       'category = "Topic"\nstatus = "State"\n[values.status]\n"Finished" = "closed"\n', encoding="utf-8")
    path = tmp_path / "cases.csv"
    path.write_text("Case;Opened;Topic;State\n1;03/01/2024 9:00 AM;Noise;Finished\n2;03/02/2024 1:30 PM;Trees;Odd\n",
                    encoding="utf-8")
    code, out, _ = run_cli(capsys, "import", str(path), "--mapping", str(mapping), "--url", url,
                           "--rejects", str(tmp_path / "r.csv"), "--all-or-nothing")
    assert code == 0 and "format city (given)" in out and "transaction per file" in out
    assert "unknown_word" in out  # "Odd" is not a status word: loaded, counted
    assert _tickets(url) == 2


def _damaged_workbook(path, rows: int, at: float) -> None:
    """An .xlsx export whose worksheet XML is broken `at` of the way through (as a truncated download or a
    bad disk sector leaves it)."""
    import io
    import zipfile

    book = Workbook()
    book.active.append(["工单编号", "受理时间", "问题分类", "紧急程度", "所属街道"])
    for i in range(rows):
        book.active.append([f"X{i}", "2026-11-01 09:00:00", "供暖", "紧急", "东湖街道"])
    good = io.BytesIO()
    book.save(good)
    with zipfile.ZipFile(good) as z, zipfile.ZipFile(path, "w") as out:
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cut = int(len(data) * at)
                data = data[:cut] + b"<<broken&&" + data[cut:]
            out.writestr(item, data)


def test_a_damaged_worksheet_is_one_line_and_the_rows_before_it_load(capsys, url, tmp_path):
    path = tmp_path / "damaged.xlsx"
    _damaged_workbook(path, 1000, 0.5)
    code, out, err = run_cli(capsys, "import", str(path), "--url", url, "--rejects", str(tmp_path / "r.csv"))
    assert code == 1 and "Traceback" not in out + err
    message = [line for line in err.splitlines() if line.startswith("cli.py import: error:")]
    assert len(message) == 1 and "the worksheet is damaged after sheet row" in message[0]
    loaded = _tickets(url)
    assert 0 < loaded < 1000  # what came before the damage is in
    assert f"batches up to line {loaded + 1} are in the database" in message[0]
    code, _, err = run_cli(capsys, "import", str(path), "--url", url, "--rejects", str(tmp_path / "r.csv"))
    assert code == 1 and _tickets(url) == loaded  # again: nothing duplicated


def test_a_damaged_worksheet_all_or_nothing_writes_nothing(capsys, url, tmp_path):
    path = tmp_path / "damaged.xlsx"
    _damaged_workbook(path, 1000, 0.5)
    code, _, err = run_cli(capsys, "import", str(path), "--url", url, "--rejects", str(tmp_path / "r.csv"),
                           "--all-or-nothing")
    assert code == 1 and "nothing was written" in err and "Traceback" not in err
    assert _tickets(url) == 0
