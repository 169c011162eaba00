"""The few SQL expressions whose spelling differs between dialects, compiled per dialect in one place.

Queries stay portable: they use `day_of(col)` and `seconds_between(a, b)` like any SQL function, and each
dialect gets its own spelling here (SQLite, PostgreSQL, MySQL/MariaDB).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class day_of(FunctionElement[Any]):
    """The calendar date of a naive local timestamp (a day bucket)."""

    type = Date()
    name = "day_of"
    inherit_cache = True


@compiles(day_of)
def _day_of_default(element: day_of, compiler: Any, **kw: Any) -> str:
    return "CAST(%s AS DATE)" % compiler.process(element.clauses, **kw)


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return "date(%s)" % compiler.process(element.clauses, **kw)


@compiles(day_of, "mysql")
@compiles(day_of, "mariadb")
def _day_of_mysql(element: day_of, compiler: Any, **kw: Any) -> str:
    return "DATE(%s)" % compiler.process(element.clauses, **kw)


class seconds_between(FunctionElement[Any]):
    """Seconds from the first timestamp to the second (negative when the second is earlier)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


def _two(element: FunctionElement[Any], compiler: Any, **kw: Any) -> tuple[str, str]:
    start, end = list(element.clauses)
    return compiler.process(start, **kw), compiler.process(end, **kw)


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    # julianday is fractional days; round to whole seconds so results match the other dialects.
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "mysql")
@compiles(seconds_between, "mariadb")
def _seconds_mysql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _two(element, compiler, **kw)
    return f"TIMESTAMPDIFF(SECOND, {start}, {end})"
