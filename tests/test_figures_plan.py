"""How a window is split between month rows, day rows and the tickets (figures.make_plan, pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access.figures import make_plan
from data_access.scope import TicketFilter
from data_access.ticket_measures import RATE_COUNT_COLUMNS, ROLLUP_COUNT_COLUMNS

D = dt.date


def plan(since, until, dims=(), dirty=(), columns=ROLLUP_COUNT_COLUMNS, histogram=False, **flt):  # type: ignore[no-untyped-def]
    return make_plan(TicketFilter(since=since, until=until, **flt), set(dims), columns, set(dirty), histogram=histogram)


def test_whole_months_come_from_the_month_table():
    p = plan(D(2026, 1, 1), D(2026, 10, 31))
    assert (p.month_table.name, p.months_from, p.months_to) == ("rollup_month_comm", D(2026, 1, 1), D(2026, 10, 1))
    assert p.day_ranges == [] and p.raw_ranges == []


def test_the_edges_of_a_window_come_from_days():
    p = plan(D(2026, 1, 15), D(2026, 11, 20))
    assert (p.months_from, p.months_to) == (D(2026, 2, 1), D(2026, 10, 1))
    assert p.day_table.name == "rollup_day_comm"
    assert p.day_ranges == [(D(2026, 1, 15), D(2026, 2, 1)), (D(2026, 11, 1), D(2026, 11, 21))]


def test_a_window_inside_one_month_reads_days_only():
    p = plan(D(2026, 11, 2), D(2026, 11, 29))
    assert p.month_table is None and p.day_ranges == [(D(2026, 11, 2), D(2026, 11, 30))]


def test_a_dirty_day_reads_its_month_from_days_and_itself_from_the_tickets():
    p = plan(D(2026, 1, 1), D(2026, 10, 31), dirty=[D(2026, 3, 9), D(2026, 12, 24)])
    assert p.skip_months == [D(2026, 3, 1)]
    assert p.day_ranges == [(D(2026, 3, 1), D(2026, 4, 1))] and p.skip_days == [D(2026, 3, 9)]
    assert p.raw_ranges == [(D(2026, 3, 9), D(2026, 3, 10))]  # the dirty day outside the window is not read


def test_open_ends_read_every_month():
    p = plan(None, None, dirty=[D(2026, 5, 5)])
    assert (p.months_from, p.months_to, p.skip_months) == (None, None, [D(2026, 5, 1)])
    assert p.day_ranges == [(D(2026, 5, 1), D(2026, 6, 1))]


def test_a_grouping_by_day_reads_days():
    p = plan(D(2026, 1, 1), D(2026, 10, 31), dims={"day", "category"})
    assert p.month_table is None and p.day_table.name == "rollup_day_comm_cat"


@pytest.mark.parametrize(
    "dims, month, day",
    [
        ({"category"}, "rollup_month_comm_cat", "rollup_day_comm_cat"),
        ({"channel"}, "rollup_month_comm_cat_chan", "rollup_day_comm_cat_chan"),
        ({"grid_cell_id"}, "rollup_month_cell", "rollup_day_cell"),
        ({"grid_cell_id", "channel"}, "rollup_month_cell_chan", "rollup_day_cell_chan"),
        ({"grid_cell_id", "category"}, "rollup_month_cell_cat", None),
    ],
    ids=["category", "channel", "cell", "cell-channel", "cell-category"],
)
def test_the_smallest_table_that_has_the_dimensions(dims, month, day):
    p = plan(D(2026, 1, 10), D(2026, 10, 31), dims=dims, columns=RATE_COUNT_COLUMNS)
    assert p.month_table.name == month
    assert (p.day_table.name if p.day_table else None) == day
    if day is None:  # the edge days come from the tickets
        assert p.raw_ranges == [(D(2026, 1, 10), D(2026, 2, 1))]


def test_durations_by_street_and_by_community():
    assert plan(D(2026, 1, 1), D(2026, 11, 20), histogram=True, columns=()).day_table.name == "rollup_hist_day_street"
    p = plan(D(2026, 1, 1), D(2026, 11, 20), dims={"community_id"}, histogram=True, columns=())
    assert p.month_table.name == "rollup_hist_month_comm" and p.day_table is None
    assert p.raw_ranges == [(D(2026, 11, 1), D(2026, 11, 21))]  # a community's few days: its tickets


def test_no_table_and_no_bounds_reads_every_ticket():
    p = plan(None, None, dims={"grid_cell_id", "category", "day"}, columns=RATE_COUNT_COLUMNS)
    assert p.everything_raw


def test_an_empty_window():
    p = plan(D(2026, 5, 2), D(2026, 5, 1))
    assert not p.uses_rollups and p.raw_ranges == [] and not p.everything_raw
