"""Reading one source value: timestamps, numbers, durations, yes/no words, text.

Every parser takes what a reader produced (a string from CSV/JSON, or a typed cell from Excel) and returns
a Python value, or raises `BadValue` with a reason a person can act on ("not a date: '2024-13-45'").
Timestamps are parsed fast (no `strptime` on the hot path: a million rows have several each) and converted
from the source's zone to the deployment's (DESIGN.md principle 5) by `TimeConverter`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain.deadlines import add_working_days


class BadValue(ValueError):
    """A value that cannot be read as what its column holds."""


class Stamp(NamedTuple):
    """A parsed timestamp: naive (source-local) or aware, and whether the source gave no time of day."""

    at: dt.datetime
    midnight_only: bool


_fromisoformat = dt.datetime.fromisoformat


def _midnight(at: dt.datetime) -> bool:
    return not (at.hour or at.minute or at.second)


# Year-first (all Chinese exports, ISO): 2024-03-01, 2024/3/1 9:05, 2024.03.01 09:05:33.5, 2024年3月1日 下午3时5分
_YMD = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<pre>上午|下午)?\s*(?P<H>\d{1,2})\s*[:时點点]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<S>\d{1,2})(?:[.,]\d{1,6})?\s*秒?)?\s*分?)?"
    r"\s*(?P<ampm>上午|下午|[AaPp]\.?[Mm]\.?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
# Month/day-first (US exports): 12/25/2013 11:59:08 PM, 1/5/2018 0:00
_MDY = re.compile(
    r"(?P<m>\d{1,2})[/.-](?P<d>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:[\sT]+(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2})(?:[.,]\d{1,6})?)?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)


def _offset(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return dt.timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _clock(hour: str | None, minute: str | None, second: str | None, ampm: str | None) -> tuple[int, int, int]:
    if hour is None:
        return 0, 0, 0
    h, m, s = int(hour), int(minute or 0), int(second or 0)
    if ampm:
        pm = ampm in ("下午",) or ampm[0] in "Pp"
        if not 1 <= h <= 12:
            raise ValueError("12-hour clock out of range")
        h = (h % 12) + (12 if pm else 0)
    return h, m, s


class DateParser:
    """Parses the timestamps of one source: ISO 8601 first, then the source's date order.

    `order` is "ymd" (default: Chinese and ISO exports) or "mdy" (US exports such as NYC/LA 311);
    `formats` are extra `strptime` formats tried last, for anything else.
    """

    def __init__(self, order: str = "ymd", formats: tuple[str, ...] = ()) -> None:
        if order not in ("ymd", "mdy"):
            raise ValueError(f"date_order must be 'ymd' or 'mdy', not {order!r}")
        self.order = order
        self.formats = formats

    def __call__(self, value: object) -> Stamp:
        return Stamp(*self.parse(value))

    def parse(self, value: object) -> tuple[dt.datetime, bool]:
        """(time, midnight_only) as a plain tuple: what calling the parser returns, on an import's hot path."""
        if isinstance(value, str):
            text = value.strip()
            # fromisoformat is C-fast and covers the API exports (2013-12-25T23:59:08.000, offsets, Z). It
            # needs a four-digit year first: other text skips it (a failed attempt raises, which is slow).
            if text[:4].isdigit():
                try:
                    at = _fromisoformat(text)
                except ValueError:
                    pass
                else:
                    return (at.replace(microsecond=0) if at.microsecond else at,
                            len(text) <= 10 or not (at.hour or at.minute or at.second))
            stamp = self._by_pattern(text)
            if stamp is not None:
                return stamp
            for fmt in self.formats:
                try:
                    at = dt.datetime.strptime(text, fmt)
                except ValueError:
                    continue
                return at.replace(microsecond=0), _midnight(at)
            raise BadValue(f"not a date: {value!r}")
        if isinstance(value, dt.datetime):
            return value.replace(microsecond=0), _midnight(value)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time()), True
        raise BadValue(f"not a date: {value!r}")

    def _by_pattern(self, text: str) -> Stamp | None:
        m = (_MDY if self.order == "mdy" else _YMD).fullmatch(text)
        if m is None:
            return None
        g = m.groupdict()
        try:
            h, mi, s = _clock(g["H"], g["M"], g["S"], g.get("pre") or g["ampm"])
            at = dt.datetime(int(g["y"]), int(g["m"]), int(g["d"]), h, mi, s, tzinfo=_offset(g["tz"]))
        except ValueError:
            raise BadValue(f"not a date: {text!r}") from None
        return Stamp(at, g["H"] is None or (h, mi, s) == (0, 0, 0))


class TimeConverter:
    """Source wall-clock or zoned time → naive wall-clock time of the deployment's zone, to the second."""

    def __init__(self, source_tz: str, target_tz: str) -> None:
        self.source = ZoneInfo(source_tz)
        self.target = ZoneInfo(target_tz)
        self.same = source_tz == target_tz

    def __call__(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None:
            if self.same:
                return at
            at = at.replace(tzinfo=self.source)
        return at.astimezone(self.target).replace(tzinfo=None)


def parse_float(value: object) -> float | None:
    """A number, or None for an empty cell; BadValue for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadValue(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise BadValue(f"not a number: {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise BadValue(f"not a number: {value!r}")
    return number


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(个)?\s*(小时|h|hours?|天|日|d|days?|工作日|working\s*days?|分钟|min)", re.I)
_HOURS_PER_UNIT = {"小时": 1, "h": 1, "hour": 1, "hours": 1, "天": 24, "日": 24, "d": 24, "day": 24, "days": 24,
                   "分钟": 1 / 60, "min": 1 / 60}


class Span(NamedTuple):
    """A time limit written as a span from receipt (办理时限 "7天", "24小时", "15个工作日", "2h")."""

    delta: dt.timedelta | None  # natural time; None for working days
    working_days: int = 0

    def after(self, start: dt.datetime) -> dt.datetime:
        if self.delta is None:
            return add_working_days(start, self.working_days)
        return start + self.delta


def parse_duration(value: object, number_unit: str | None) -> Span:
    """A time limit written as a span; `number_unit` is the unit of a bare number (BadValue without one)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) or (
        isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value)
    ):
        if number_unit is None:
            raise BadValue(f"deadline {value!r} has no unit (小时/天/工作日); set due_number_unit in the mapping")
        value = f"{value}{number_unit}"
    m = _DURATION.fullmatch(str(value).strip())
    if m is None:
        raise BadValue(f"not a date or a time limit: {value!r}")
    amount, unit = float(m.group(1)), m.group(3).lower()
    if unit in ("工作日",) or unit.startswith("working"):
        if amount != int(amount):
            raise BadValue(f"working days must be whole: {value!r}")
        return Span(None, int(amount))
    return Span(dt.timedelta(hours=amount * _HOURS_PER_UNIT[unit]))


def parse_duration_until(value: object, received: dt.datetime, number_unit: str | None) -> dt.datetime:
    """A deadline written as a span from receipt (办理时限 "7天", "24小时", "15个工作日", "2h")."""
    return parse_duration(value, number_unit).after(received)


YES_WORDS = frozenset({"是", "有", "y", "yes", "true", "t", "1", "√", "已剔除", "已吹哨"})
NO_WORDS = frozenset({"否", "无", "n", "no", "false", "f", "0", "×", "未剔除", "未吹哨"})


def parse_yes_no(value: object) -> bool | None:
    """True/False for a yes/no word, None for an empty cell; BadValue for an unknown word."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if not word:
        return None
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise BadValue(f"not a yes/no word: {value!r}")


def cell_text(value: object) -> str | None:
    """A cell as trimmed text (None if empty); whole numbers from Excel lose their '.0'."""
    if value is None:
        return None
    if type(value) is str:
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.isoformat(sep=" ")
    text = str(value).strip()
    return text or None


def word_key(value: str) -> str:
    """How source words are compared with a vocabulary: case and surrounding/inner spaces ignored."""
    return "".join(value.split()).casefold()
