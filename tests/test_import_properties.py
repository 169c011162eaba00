"""Property tests: files mixing good rows with malformed ones (bad dates, wrong types, truncated lines,
extra fields, unbalanced quotes, bytes in the wrong encoding, NUL characters, missing keys) never crash the
importer, and no good row is lost: every good row loads, every bad row is reported on its own line."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from data_access.engine import make_engine
from data_access.schema import Ticket
from importers import ImportOptions, import_file

HEADER = ["工单编号", "受理时间", "问题分类", "紧急程度", "办结时间", "经度", "纬度", "是否解决", "满意度", "诉求内容"]
NOW = dt.datetime(2026, 11, 20, 12, 0)

GOOD_KINDS = ("good", "good_no_coordinates", "good_unknown_words", "good_midnight", "good_multiline_text")
BAD_KINDS = ("bad_date", "wrong_type", "truncated", "extra_field", "unbalanced_quote", "bad_bytes", "nul",
             "no_ticket_number", "no_received_time")


def _csv_line(fields: list[str]) -> str:
    out = []
    for field in fields:
        needs_quotes = any(ch in field for ch in ',"\n\r')
        out.append('"' + field.replace('"', '""') + '"' if needs_quotes else field)
    return ",".join(out)


def _row(kind: str, n: int, day: int) -> str:
    received = f"2026-11-{day:02d} 09:{n % 60:02d}:00"
    fields = [f"T{n:05d}", received, "供暖", "一般", f"2026-11-{day:02d} 18:00:00", "116.40", "39.90",
              "已解决", "满意", "暖气不热"]
    if kind == "good_no_coordinates":
        fields[5] = fields[6] = ""
    elif kind == "good_unknown_words":
        fields[3], fields[8] = "特别紧急!?", "还行吧"
    elif kind == "good_midnight":
        fields[1] = f"2026-11-{day:02d}"
    elif kind == "good_multiline_text":
        fields[9] = "第一行\n第二行，有逗号"
    elif kind == "bad_date":
        fields[1] = f"2026-13-{day:02d} 09:00"
    elif kind == "wrong_type":
        fields[6] = "north"
    elif kind == "truncated":
        fields = fields[:4]
    elif kind == "extra_field":
        fields = fields + ["surplus"]
    elif kind == "no_ticket_number":
        fields[0] = ""
    elif kind == "no_received_time":
        fields[1] = ""
    line = _csv_line(fields)
    if kind == "unbalanced_quote":
        line = line.replace("暖气不热", '"暖气不热')  # an opening quote that never closes
    return line


def _write(path: Path, kinds: list[str], encoding: str, newline: str) -> dict[str, list]:
    """Write the file; the good rows' ticket numbers and the bad rows' line numbers."""
    lines = [",".join(HEADER)]
    good: list[str] = []
    bad_lines: list[int] = []
    line_no = 2
    for n, kind in enumerate(kinds):
        text = _row(kind, n, 1 + n % 28)
        if kind in GOOD_KINDS:
            good.append(f"T{n:05d}")
        else:
            bad_lines.append(line_no)
        lines.append(text)
        line_no += text.count("\n") + 1
    blob = bytearray(b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"")
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    for i, text in enumerate(lines):
        raw = text.replace("\n", newline).encode(encoding)
        if i and kinds[i - 1] == "bad_bytes":
            raw = raw.replace("暖气不热".encode(encoding), b"\xff\xfe\xff")
        if i and kinds[i - 1] == "nul":
            raw = raw.replace("供暖".encode(encoding), "供\x00暖".encode(encoding))
        blob += raw + newline.encode()
    path.write_bytes(bytes(blob))
    return {"good": good, "bad_lines": bad_lines}


kinds_strategy = st.lists(st.sampled_from(GOOD_KINDS + BAD_KINDS), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=kinds_strategy, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       newline=st.sampled_from(["\n", "\r\n"]), batch_size=st.sampled_from([1, 3, 5000]))
def test_no_crash_and_no_good_row_lost(kinds, encoding, newline, batch_size):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        truth = _write(path, kinds, encoding, newline)
        engine = make_engine(f"sqlite:///{Path(folder) / 'cases.db'}")
        rejects = Path(folder) / "rejects.csv"
        summary = import_file(engine, path, ImportOptions(format="12345", rejects_path=rejects, now=NOW,
                                                          batch_size=batch_size))
        with engine.connect() as conn:
            stored = set(conn.execute(select(Ticket.__table__.c.ticket_no)).scalars())
        engine.dispose()
        rejected_lines = []
        if rejects.exists():
            with rejects.open(encoding="utf-8-sig", newline="") as fh:
                rejected_lines = [int(row[0]) for row in list(csv.reader(fh))[1:]]
    assert stored == set(truth["good"])  # every good row loaded, no bad row did
    assert rejected_lines == truth["bad_lines"]  # every bad row reported on its own line
    assert summary.progress.loaded + summary.progress.rejected == len(kinds)


@settings(max_examples=40, deadline=None)
@given(noise=st.binary(min_size=0, max_size=400))
def test_arbitrary_bytes_after_a_header_never_crash(noise):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(",".join(HEADER).encode() + b"\n" + noise)
        engine = make_engine(f"sqlite:///{Path(folder) / 'cases.db'}")
        summary = import_file(engine, path, ImportOptions(format="12345", rejects_path=Path(folder) / "r.csv",
                                                          now=NOW))
        engine.dispose()
    assert summary.status == "done"
    assert summary.progress.loaded + summary.progress.rejected == summary.rows
