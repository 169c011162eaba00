"""The public screen's strict refusal: no personal column or table, no ticket number, no exact coordinates,
no free text may be read for it — refused before the database sees the statement — while its own
aggregate statements pass."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data_access import public_queries, sql
from data_access.public_guard import (
    PUBLIC_FORBIDDEN_COLUMNS,
    PublicDataRefused,
    check_public_strict,
    referenced_forbidden,
)
from data_access.schema import PERSONAL_COLUMNS, Ticket, TicketEvent, TicketPersonal
from data_access.scope import PersonalDataRefused, Scope
from helpers import NOW

T = Ticket.__table__
P = TicketPersonal.__table__
E = TicketEvent.__table__

FORBIDDEN = sorted(PUBLIC_FORBIDDEN_COLUMNS, key=lambda c: (c.table.name, c.name))
IDS = [f"{c.table.name}.{c.name}" for c in FORBIDDEN]


def test_forbidden_columns_cover_personal_data_ticket_numbers_and_coordinates():
    assert PERSONAL_COLUMNS <= PUBLIC_FORBIDDEN_COLUMNS
    assert {T.c.ticket_no, T.c.lat, T.c.lon, T.c.caller_hash} <= PUBLIC_FORBIDDEN_COLUMNS


@pytest.mark.parametrize("column", FORBIDDEN, ids=IDS)
def test_refuses_selecting_the_column(column):
    with pytest.raises(PublicDataRefused, match=f"{column.table.name}.{column.name}"):
        check_public_strict(select(column))


@pytest.mark.parametrize("column", FORBIDDEN, ids=IDS)
def test_refuses_the_column_in_a_filter_only(column):
    stmt = select(func.count()).select_from(column.table).where(column.is_not(None))
    with pytest.raises(PublicDataRefused):
        check_public_strict(stmt)


@pytest.mark.parametrize("column", FORBIDDEN, ids=IDS)
def test_refuses_the_column_through_an_alias(column):
    alias = column.table.alias("x")
    with pytest.raises(PublicDataRefused):
        check_public_strict(select(func.count(alias.c[column.name])))


@pytest.mark.parametrize("column", FORBIDDEN, ids=IDS)
def test_refuses_the_column_inside_a_subquery(column):
    inner = select(column.label("v")).subquery()
    with pytest.raises(PublicDataRefused):
        check_public_strict(select(func.count()).select_from(inner))


def test_refuses_counting_rows_of_the_personal_table():
    with pytest.raises(PublicDataRefused, match="ticket_personal"):
        check_public_strict(select(func.count()).select_from(P))


def test_refuses_a_join_to_the_personal_table():
    stmt = select(T.c.category, func.count()).join(P, P.c.ticket_id == T.c.id).group_by(T.c.category)
    with pytest.raises(PublicDataRefused, match="ticket_personal"):
        check_public_strict(stmt)


def test_refusal_is_a_personal_data_refusal():
    """Code that already catches the query layer's refusal catches the strict one too."""
    assert issubclass(PublicDataRefused, PersonalDataRefused)


@pytest.mark.parametrize(
    "stmt",
    [
        select(T.c.category, func.count().label("tickets")).group_by(T.c.category),
        select(T.c.grid_cell_id, func.count()).where(T.c.received_at >= dt.datetime(2026, 11, 1)).group_by(T.c.grid_cell_id),
        select(E.c.kind, func.count(func.distinct(E.c.ticket_id))).group_by(E.c.kind),
    ],
    ids=["by-category", "by-cell-with-filter", "events-by-kind"],
)
def test_accepts_aggregates_of_allowed_columns(stmt):
    check_public_strict(stmt)
    assert referenced_forbidden(stmt) == []


# Every public query, with the arguments it needs on the case book.
PUBLIC_QUERIES = {
    "headline_counts": lambda c, s: public_queries.headline_counts(c, s, now=NOW),
    "district_names": lambda c, s: public_queries.district_names(c, s),
    "daily_counts": lambda c, s: public_queries.daily_counts(c, s, dt.date(2026, 10, 1), NOW.date(), now=NOW),
    "category_counts": lambda c, s: public_queries.category_counts(c, s, dt.date(2026, 10, 22), NOW.date()),
    "recently_closed_by_community": lambda c, s: public_queries.recently_closed_by_community(c, s, now=NOW),
    "cell_counts": lambda c, s: public_queries.cell_counts(c, s, dt.date(2026, 10, 22), NOW.date()),
    "cell_boundaries": lambda c, s: public_queries.cell_boundaries(c, s),
}


@pytest.mark.parametrize("name", list(PUBLIC_QUERIES))
def test_every_public_query_passes_the_strict_check(conn, monkeypatch, name):
    """Each query's statements go through check_public_strict (spied on in `sql.fetch`, which every query
    runs through) and are accepted."""
    checked = []

    def spy(stmt):
        checked.append(stmt)
        check_public_strict(stmt)

    monkeypatch.setattr(sql, "check_public_strict", spy)
    PUBLIC_QUERIES[name](conn, Scope.public_screen())
    assert checked, "the query did not go through the strict check"


@pytest.mark.parametrize("name", list(PUBLIC_QUERIES))
def test_public_queries_refuse_a_non_public_scope(conn, name):
    with pytest.raises(AssertionError, match="public"):
        PUBLIC_QUERIES[name](conn, Scope.district())
