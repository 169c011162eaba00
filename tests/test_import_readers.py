"""Readers: the encodings Chinese exports use, delimiters, line numbers, Excel and JSON — and that one bad
record never takes its neighbours with it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import Workbook

from importers.json_reader import JsonSource
from importers.readers import CsvSource, UnreadableFile, detect_encoding, open_source

HEADER = "工单编号,受理时间,问题分类\n"
ROWS = "A1,2024-03-01 09:00,供暖\nA2,2024-03-02 10:00,噪音扰民\n"


def _records(source) -> list[tuple[int, list | None, str | None]]:  # type: ignore[no-untyped-def,type-arg]
    return [(r.line, r.values, r.problem) for r in source.records()]


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""),
                                              ("gbk", b""), ("utf-16", b"")],
                         ids=["utf-8", "utf-8-bom", "gb18030", "gbk", "utf-16-bom"])
def test_chinese_csv_in_every_export_encoding(tmp_path, encoding, prefix):
    path = tmp_path / "export.csv"
    path.write_bytes(prefix + (HEADER + ROWS).encode(encoding))
    source = CsvSource(path)
    assert source.header == ["工单编号", "受理时间", "问题分类"]
    assert _records(source) == [(2, ["A1", "2024-03-01 09:00", "供暖"], None),
                                (3, ["A2", "2024-03-02 10:00", "噪音扰民"], None)]


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"], ids=["comma", "tab", "semicolon", "pipe"])
def test_delimiter_is_taken_from_the_header(tmp_path, delimiter):
    path = tmp_path / "export.csv"
    path.write_text((HEADER + ROWS).replace(",", delimiter), encoding="utf-8")
    assert [values for _, values, _ in _records(CsvSource(path))][1] == ["A2", "2024-03-02 10:00", "噪音扰民"]


def test_line_numbers_count_physical_lines(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text('\n' + HEADER + 'A1,2024-03-01,"两行\n内容"\n\nA2,2024-03-02,x\n', encoding="utf-8")
    assert [(line, values[0]) for line, values, _ in _records(CsvSource(path))] == [(3, "A1"), (6, "A2")]


def test_a_line_with_bad_bytes_is_one_problem_and_its_neighbours_load(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + "A1,2024-03-01,供暖\n").encode() + b"A2,2024-03-02,\xff\xfe\n" + "A3,2024-03-03,x\n".encode())
    got = _records(CsvSource(path))
    assert [(line, problem) for line, _, problem in got] == [
        (2, None), (3, "bytes that are not valid utf-8 text"), (4, None)]


def test_an_unbalanced_quote_does_not_swallow_the_rows_after_it(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + 'A1,2024-03-01,"供暖\nA2,2024-03-02,x\nA3,2024-03-03,y\n', encoding="utf-8")
    got = _records(CsvSource(path))
    assert [(line, values and values[0], bool(problem)) for line, values, problem in got] == [
        (2, None, True), (3, "A2", False), (4, "A3", False)]


def test_truncated_last_line_is_a_problem(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "A1,2024-03-01,x\nA2,2024-0", encoding="utf-8")
    got = _records(CsvSource(path))
    assert got[1] == (3, None, "2 fields where the header has 3")


def test_encoding_is_detected_from_the_header_despite_corrupt_rows():
    sample = (HEADER + ROWS).encode("utf-8") + b"\x80\x81\x80\xf5\n"
    assert detect_encoding(sample) == "utf-8"
    assert detect_encoding((HEADER + ROWS).encode("gb18030") + b"\xff\n") == "gb18030"


def test_an_empty_file_is_unreadable(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\n\n")
    with pytest.raises(UnreadableFile, match="empty"):
        CsvSource(path)


def test_excel_rows_keep_their_sheet_row_numbers_and_types(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["工单编号", "受理时间", "经度"])
    sheet.append([2024010100001, dt.datetime(2024, 1, 1, 9, 30), 116.4])
    sheet.append([None, None, None])
    sheet.append(["A2", "2024-01-02 10:00", None])
    sheet.append(["A3", "2024-01-03 10:00", None, "stray"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    source = open_source(path)
    got = _records(source)
    source.close()
    assert source.header == ["工单编号", "受理时间", "经度"]
    assert got[0] == (2, [2024010100001, dt.datetime(2024, 1, 1, 9, 30), 116.4], None)
    assert got[1] == (4, ["A2", "2024-01-02 10:00", None], None)
    assert got[2][0] == 5 and "beyond the last header column" in got[2][2]


def test_json_array_elements_keep_their_line_numbers(tmp_path):
    path = tmp_path / "requests.json"
    items = [{"service_request_id": "1", "requested_datetime": "2010-04-14T06:37:38-08:00", "lat": 37.76},
             {"service_request_id": "2", "requested_datetime": "2010-04-15T06:37:38-08:00", "media": ["a"]}]
    path.write_text("[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]\n", encoding="utf-8")
    source = JsonSource(path)
    assert source.header == ["service_request_id", "requested_datetime", "lat", "media"]
    assert _records(source) == [(2, ["1", "2010-04-14T06:37:38-08:00", 37.76, None], None),
                                (3, ["2", "2010-04-15T06:37:38-08:00", None, '["a"]'], None)]


def test_malformed_json_elements_are_problems_and_reading_goes_on(tmp_path):
    path = tmp_path / "requests.json"
    path.write_text('[\n{"service_request_id": "1"},\n{"service_request_id": "2", oops},\n42,\n'
                    '{"service_request_id": "3"}\n]', encoding="utf-8")
    got = [(line, values, problem and problem.split(" (")[0]) for line, values, problem in _records(JsonSource(path))]
    assert got == [(2, ["1"], None), (3, None, "malformed JSON"), (4, None, "not a JSON object"), (5, ["3"], None)]


def test_json_lines_and_wrapped_lists(tmp_path):
    lines = tmp_path / "requests.jsonl"
    lines.write_text('{"id": "1"}\n{"id": "2"}\n', encoding="utf-8")
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"requests": [{"id": "1"}, {"id": "2"}]}), encoding="utf-8")
    assert [v for _, v, _ in _records(JsonSource(lines))] == [["1"], ["2"]]
    assert [v for _, v, _ in _records(JsonSource(wrapped))] == [["1"], ["2"]]
