"""The few SQL expressions whose spelling differs between dialects, compiled per dialect in one place.

Queries stay portable: they use `day_of(col)`, `month_of(col)` and `seconds_between(a, b)` like any SQL function, and each
dialect gets its own spelling here (SQLite, PostgreSQL, MySQL/MariaDB).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, Numeric
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


class month_of(FunctionElement[Any]):
    """The first day of the month of a date or naive timestamp (a month bucket)."""

    type = Date()
    name = "month_of"
    inherit_cache = True


@compiles(month_of)
def _month_of_default(element: month_of, compiler: Any, **kw: Any) -> str:
    return "CAST(date_trunc('month', %s) AS DATE)" % compiler.process(element.clauses, **kw)


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return "date(%s, 'start of month')" % compiler.process(element.clauses, **kw)


@compiles(month_of, "mysql")
@compiles(month_of, "mariadb")
def _month_of_mysql(element: month_of, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"DATE_SUB(DATE({arg}), INTERVAL (DAYOFMONTH({arg}) - 1) DAY)"


class unindexed(FunctionElement[Any]):
    """The column's value, written so that SQLite will not drive the query through an index on it.

    SQLite without STAT4 statistics rates any two-sided range as 1/64 of a table and so prefers, say, a
    year of received_at to the few open tickets of the (status, due_at) index. `+col` (numbers) and
    `col || ''` (text, timestamps) are its documented way to take a term off the index choice; the other
    databases have real histograms and get the plain column.
    """

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    numeric = element.type._type_affinity in (Integer, Float, Numeric, Boolean)
    return f"(+{inner})" if numeric else f"({inner} || '')"
