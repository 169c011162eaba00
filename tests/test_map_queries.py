"""The grid map's queries on SQLite, PostgreSQL and MariaDB against the case book (tests/helpers.py).

Cells G1..G4 each cover one community (G1 = 春晖 C1a, G2 = 花园里 C1b of street S1; G3 = 桃源 C2a, G4 = 静安里
C2b of S2). Open tickets at NOW (2026-11-20 12:00): T4 in G2 (due 17th 08:00, 3 d 4 h late), T5 in G3
(complex, due 30th 08:00), T11 in G3 (emergency, due today 13:00); T8 in G1 is open but excluded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from data_access.map_queries import OPEN_TICKET_COLUMNS, cell_boundaries, cell_counts, open_tickets_in_cell
from data_access.public_guard import PublicDataRefused
from data_access.schema import PERSONAL_COLUMNS
from data_access.scope import ALL, Scope, TicketFilter
from helpers import NOV, NOW

NOVEMBER = TicketFilter(since=NOV[0], until=NOV[1])
HOUR = 3600


@pytest.mark.parametrize(
    "flt, cell, expected",
    [
        (NOVEMBER, 2, [("T4", 3 * 86400 + 4 * HOUR, True)]),
        (NOVEMBER, 3, [("T11", -1 * HOUR, False), ("T5", -(9 * 86400 + 20 * HOUR), False)]),
        (NOVEMBER, 1, []),  # T8 is open but excluded (剔单)
        (NOVEMBER, 4, []),  # a cell without tickets
        (TicketFilter(since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 31)), 3, []),
        (dataclasses.replace(NOVEMBER, categories=("燃气",)), 3, [("T11", -1 * HOUR, False)]),
        (ALL, 3, [("T11", -1 * HOUR, False), ("T5", -(9 * 86400 + 20 * HOUR), False)]),
    ],
    ids=["overdue", "sorted-by-lateness", "excluded-left-out", "empty-cell", "other-period", "category", "all-time"],
)
def test_open_tickets_in_cell(conn, flt, cell, expected):
    frame = open_tickets_in_cell(conn, Scope.district(), flt, cell, NOW)
    assert list(zip(frame["ticket_no"], frame["seconds_late"], frame["overdue"])) == expected


def test_open_tickets_columns_are_the_contract_and_not_personal(conn):
    frame = open_tickets_in_cell(conn, Scope.district(), NOVEMBER, 2, NOW)
    assert tuple(frame.columns) == OPEN_TICKET_COLUMNS
    assert {c.name for c in PERSONAL_COLUMNS}.isdisjoint(frame.columns)
    row = frame.iloc[0]
    assert (row["category"], row["urgency"], row["status"]) == ("物业管理", "general", "signed")
    assert row["received_at"] == dt.datetime(2026, 11, 10, 8) and row["due_at"] == dt.datetime(2026, 11, 17, 8)


def test_the_public_scope_cannot_list_tickets(conn):
    # Ticket numbers point at one caller's case: every public-scope statement refuses them (sql.fetch).
    with pytest.raises(PublicDataRefused, match="ticket_no"):
        open_tickets_in_cell(conn, Scope.public_screen(), NOVEMBER, 2, NOW)


def test_open_tickets_limit(conn):
    frame = open_tickets_in_cell(conn, Scope.district(), NOVEMBER, 3, NOW, limit=1)
    assert list(frame["ticket_no"]) == ["T11"]


def test_open_tickets_outside_the_viewers_scope_are_not_listed(conn):
    assert open_tickets_in_cell(conn, Scope.streets([1]), NOVEMBER, 3, NOW).empty


@pytest.mark.parametrize(
    "flt, expected",
    [
        (NOVEMBER, {1: (2, 0, 0), 2: (2, 1, 1), 3: (5, 2, 0), 4: (0, 0, 0)}),
        (dataclasses.replace(NOVEMBER, street_ids=(2,)), {3: (5, 2, 0), 4: (0, 0, 0)}),
        (dataclasses.replace(NOVEMBER, community_ids=(2,)), {2: (2, 1, 1)}),
    ],
    ids=["all-cells", "street-S2", "community-C1b"],
)
def test_cell_counts_cover_the_filters_cells(conn, flt, expected):
    frame = cell_counts(conn, Scope.district(), flt, now=NOW)
    got = {int(r.grid_cell_id): (int(r.tickets), int(r.open), int(r.open_overdue)) for r in frame.itertuples()}
    assert got == expected


def test_cell_counts_carry_names_and_population(conn):
    row = cell_counts(conn, Scope.district(), NOVEMBER, now=NOW).set_index("grid_cell_id").loc[3]
    assert (row["name"], row["community_name"], row["street_name"], int(row["population"])) == ("网格3", "桃源社区", "西苑街道", 6000)


@pytest.mark.parametrize(
    "scope, flt, expected",
    [
        (Scope.district(), ALL, [1, 2, 3, 4]),
        (Scope.district(), TicketFilter(street_ids=(1,)), [1, 2]),
        (Scope.district(), TicketFilter(community_ids=(3,)), [3]),
        (Scope.streets([2]), TicketFilter(street_ids=(1,)), []),  # a filter cannot widen the scope
    ],
    ids=["all", "street", "community", "outside-scope"],
)
def test_cell_boundaries_of_the_filter(conn, scope, flt, expected):
    frame = cell_boundaries(conn, scope, flt)
    assert [int(i) for i in frame["grid_cell_id"]] == expected


def test_cell_boundaries_carry_the_geojson_and_units(conn):
    row = cell_boundaries(conn, Scope.district(), TicketFilter(community_ids=(1,))).iloc[0]
    assert row["boundary"].startswith('{"type": "Polygon"')
    assert (row["community_name"], row["street_name"], int(row["street_id"])) == ("春晖社区", "东湖街道", 1)
