"""Known bad rows, added to a copy of the real NYC export, are rejected with the right line, column and
reason — and the good rows around them, the whole original file included, still load."""

from __future__ import annotations

import csv
import io

import pytest

from data_access.engine import make_engine
from domain.settings import settings_from_mapping
from importers import ImportOptions, import_file
from importers.rejects import LEAD_COLUMNS

NYC_SETTINGS = settings_from_mapping({"timezone": "America/New_York"})

def _line(fields: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def with_bad_rows(real_files, tmp_path_factory):
    """The NYC file plus bad rows (and one good row after them); the import's summary and rejects."""
    folder = tmp_path_factory.mktemp("bad")
    original = real_files.nyc.read_bytes()
    header = next(csv.reader(io.StringIO(original.decode().splitlines()[0])))
    first = next(csv.reader(io.StringIO(original.decode().splitlines()[1])))
    col = {name: i for i, name in enumerate(header)}
    data_lines = len(original.decode().splitlines())  # the header and the rows (no record spans lines)

    def variant(key: str, **changes: str) -> list[str]:
        fields = list(first)
        fields[col["Unique Key"]] = key
        for name, value in changes.items():
            fields[col[name.replace("_", " ")]] = value
        return fields

    appended = [
        (_line(variant("")), "Unique Key", "no ticket number"),
        (_line(variant("90000001", Created_Date="13/45/2013 11:00:00 PM")), "Created Date", "not a date"),
        (_line(variant("90000002")[:10]), "", "10 fields where the header has 52"),
        (_line(variant(first[col["Unique Key"]], Descriptor="Changed")), "Unique Key", "already at line 2"),
        (_line(variant("90000003", Latitude="north")), "Latitude", "not a number"),
        (_line(variant("90000004", Descriptor="BAD")).replace(b"BAD", b"B\xffD"), "Descriptor", "not valid utf-8"),
        (_line(variant("90000005", Agency_Name="NYPD\x00")), "Agency Name", "a NUL character"),
        (_line(variant("90000006", Created_Date="")), "Created Date", "no time of receipt"),
    ]
    good_after = _line(variant("90000099"))
    path = folder / "nyc_bad.csv"
    body = original if original.endswith(b"\n") else original + b"\n"
    path.write_bytes(body + b"".join(row for row, _, _ in appended) + good_after)
    engine = make_engine(f"sqlite:///{folder / 'cases.db'}")
    rejects = folder / "nyc_bad.rejects.csv"
    summary = import_file(engine, path, ImportOptions(rejects_path=rejects), NYC_SETTINGS)
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    expected = [(data_lines + 1 + i, column, reason) for i, (_, column, reason) in enumerate(appended)]
    yield summary, rows, expected, data_lines - 1
    engine.dispose()


def test_every_row_is_loaded_or_rejected(with_bad_rows):
    summary, _, expected, original = with_bad_rows
    assert summary.rows == original + len(expected) + 1
    assert summary.progress.loaded == original + 1  # the original rows and the good row after the bad ones
    assert summary.progress.rejected == len(expected)


def test_rejects_file_has_line_column_reason_and_the_row(with_bad_rows):
    _, rows, expected, _ = with_bad_rows
    header, body = rows[0], rows[1:]
    assert header[: len(LEAD_COLUMNS)] == LEAD_COLUMNS
    assert header[len(LEAD_COLUMNS):][:2] == ["Unique Key", "Created Date"]
    got = [(int(r[0]), r[1], r[2]) for r in body]
    assert [(line, column) for line, column, _ in got] == [(line, column) for line, column, _ in expected]
    for (_, _, reason), (_, _, wanted) in zip(got, expected):
        assert wanted in reason


@pytest.mark.parametrize("position, kept", [(2, "raw"), (0, "fields")], ids=["unsplittable-row", "split-row"])
def test_rejected_rows_keep_their_content(with_bad_rows, position, kept):
    _, rows, _, _ = with_bad_rows
    row = rows[1 + position]
    if kept == "raw":  # the truncated line could not be split: its text is in `raw`
        assert row[3].startswith("90000002,") and len(row) == len(LEAD_COLUMNS)
    else:  # a split row keeps every field under the input's own header
        assert len(row) == len(LEAD_COLUMNS) + 52 and row[3] == ""
