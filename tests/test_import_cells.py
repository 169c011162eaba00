"""Reading a batch a column at a time (`cells.py`) gives exactly what reading each cell with `values.py` gives:
the same values, the same rows flagged, the same reasons — whatever mix of cells a column holds."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from importers.cells import CellReader
from importers.mapping import DEFAULT_NULL_WORDS, load_preset
from importers.values import BadValue, DateParser, TimeConverter, parse_duration_until, parse_float, word_key

TIMES = ["2025-03-01 09:05:33", "2025-03-01 00:00:00", "2025-03-01", "2025-03-01T09:05:33.250", "20250301",
         "2025-03-01T09:05:33+08:00", "2025-03-01T01:05:33Z", "2025/3/1 9:05", "2025年3月1日 下午3时5分", "2025年3月1日",
         "3/1/2025 11:59:08 PM", "2025-13-45 25:61", "yesterday", "2024-02-30", "２０２５-03-01", "2025-W05-3"]
DEADLINES = ["7天", "24小时", "15个工作日", "2h", "30分钟", "1.5天", "1.5个工作日", "3", "abc", "2025-03-05",
             "2025-03-05 18:00", "-3天"]
NUMBERS = ["116.3", " 39.9 ", "1e2", "1_000", "0", "abc", "NaN", "inf", "-inf", "north"]
WORDS = ["已办结", " 已办结 ", "CLOSED", "closed", "办理中", "已撤销", "???", "null"]
cells = st.lists(st.one_of(st.none(), st.sampled_from(TIMES + DEADLINES + NUMBERS + WORDS)), max_size=30)


def _reader(source_tz: str = "Asia/Shanghai", order: str = "ymd", unit: str | None = None) -> CellReader:
    mapping = load_preset("12345")
    return CellReader({"x": 0}, {}, DEFAULT_NULL_WORDS, dict(mapping.words), DateParser(order),
                      TimeConverter(source_tz, "Asia/Shanghai"), source_tz == "Asia/Shanghai", unit)


def _one_by_one(read, column):  # type: ignore[no-untyped-def]
    values, problems = [], {}
    for k, value in enumerate(column):
        try:
            values.append(None if value is None else read(value))
        except BadValue as exc:
            values.append(None)
            problems[k] = str(exc)
    return values, problems


@settings(max_examples=200, deadline=None)
@given(column=cells, source_tz=st.sampled_from(["Asia/Shanghai", "America/New_York"]),
       order=st.sampled_from(["ymd", "mdy"]))
def test_times_read_by_column_equal_times_read_by_cell(column, source_tz, order):
    reader = _reader(source_tz, order)
    parse, convert = DateParser(order), TimeConverter(source_tz, "Asia/Shanghai")
    expected, problems = _one_by_one(lambda v: parse(v), column)
    times, midnight, found = reader.stamps(column)
    assert found == problems
    assert times == [None if s is None else convert(s.at) for s in expected]
    assert midnight == [k for k, s in enumerate(expected) if s is not None and s.midnight_only]


@settings(max_examples=200, deadline=None)
@given(column=cells, unit=st.sampled_from([None, "小时", "工作日"]))
def test_deadlines_read_by_column_equal_deadlines_read_by_cell(column, unit):
    received = dt.datetime(2025, 3, 1, 9, 0)
    parse, convert = DateParser(), TimeConverter("Asia/Shanghai", "Asia/Shanghai")

    def one(value):  # type: ignore[no-untyped-def]
        try:
            at, midnight = parse(value)
        except BadValue:
            return parse_duration_until(value, received, unit)
        return convert(at.replace(hour=23, minute=59, second=59) if midnight else at)

    expected, problems = _one_by_one(one, column)
    assert _reader(unit=unit).deadlines(column, [received] * len(column)) == (expected, problems)


@settings(max_examples=200, deadline=None)
@given(column=cells)
def test_numbers_words_and_cleaning_by_column_equal_by_cell(column):
    reader = _reader()
    assert reader.numbers(column) == _one_by_one(parse_float, column)
    status = load_preset("12345").words["status"]
    codes, unknown = reader.words("status", column)
    assert codes == [None if v is None else status.get(word_key(v)) for v in column]
    assert unknown == [k for k, v in enumerate(column) if v is not None and status.get(word_key(v)) is None]
    split, clean = reader.split([[v if v is not None else ""] for v in column])
    assert split["x"] == [None if not (v or "").strip() or word_key(v) in DEFAULT_NULL_WORDS else v.strip()
                          for v in column]
    assert clean == {"x"}
