"""The SQL toolkit every query module shares: running a statement under the viewer's scope, counting
conditions, typed timestamp parameters, turning what the databases return into plain types, and the exact
median.

One module so that no query module reaches into another's private helpers. Every statement runs through
`fetch`: it refuses personal data for the public scope (`scope.check_public`) and, for the public
screen, everything else a lobby may not see (`public_guard.check_public_strict`), before the database sees
the statement.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import pandas as pd
from sqlalchemy import BigInteger, Connection, DateTime, Select, bindparam, case, cast, func, select

from data_access.public_guard import check_public_strict
from data_access.schema import Community, Department, District, GridCell, Street, Ticket, TicketEvent
from data_access.scope import Scope, check_public

T = Ticket.__table__
S = Street.__table__
C = Community.__table__
G = GridCell.__table__
D = District.__table__
E = TicketEvent.__table__
DEP = Department.__table__


def fetch(conn: Connection, scope: Scope, stmt: Select) -> pd.DataFrame:
    """Run a statement after the public-scope checks; a DataFrame of its rows (columns as labelled)."""
    check_public(scope, stmt)
    if scope.public:
        check_public_strict(stmt)
    result = conn.execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def scalar(conn: Connection, scope: Scope, stmt: Select) -> object:
    """The single value of a one-row, one-column statement (through `fetch`)."""
    return fetch(conn, scope, stmt).iloc[0, 0]


def count_if(condition) -> object:  # type: ignore[no-untyped-def]
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END) as a BIGINT, 0 over no rows: a count of the rows meeting
    it (cast, so every driver returns a plain integer: MySQL's SUM is DECIMAL)."""
    return cast(func.coalesce(func.sum(case((condition, 1), else_=0)), 0), BigInteger)


def stamp(name: str, value: dt.datetime):  # type: ignore[no-untyped-def]
    """A bound timestamp parameter, typed so every dialect compares it as a DATETIME/TIMESTAMP."""
    return bindparam(name, value, type_=DateTime())


def as_counts(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The named count columns as int64, missing values as 0 (MySQL's SUM is DECIMAL, PostgreSQL's SUM of a
    BIGINT is NUMERIC, and SQLite may give floats or NULL on empty groups)."""
    for col in columns:
        if col in frame and frame[col].dtype != "int64":
            frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
    return frame


def as_dates(values: pd.Series) -> pd.Series:
    """Day keys as datetime.date (SQLite returns dates as text; the servers return datetime.date)."""
    return pd.to_datetime(values.astype("string")).dt.date


def as_datetime(value: object) -> dt.datetime | None:
    """One timestamp as a naive datetime (SQLite returns text), None for NULL."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return pd.Timestamp(value).to_pydatetime()


def exact_median(conn: Connection, scope: Scope, value, conditions: list) -> tuple[int, float | None]:  # type: ignore[no-untyped-def]
    """(n, exact median) of a numeric expression over the `ticket` rows meeting `conditions`; (0, None) when
    none do.

    Portable and exact: count the rows, then read the middle one or two values with ORDER BY … OFFSET, so at
    most two rows leave the database. It sorts every value, so its cost grows with the rows: the pages read
    medians from duration histograms instead (`data_access.figures`); this is the reference they are
    checked against (`cli.py rollup --verify`, the tests).
    """
    n = int(pd.to_numeric(scalar(conn, scope, select(func.count().label("n")).select_from(T).where(*conditions))))
    if n == 0:
        return 0, None
    stmt = select(value.label("v")).where(*conditions).order_by(value).offset((n - 1) // 2).limit(2 - n % 2)
    middle = [float(v) for v in fetch(conn, scope, stmt)["v"]]
    return n, sum(middle) / len(middle)
