"""The overdue view's queries on SQLite, PostgreSQL and MariaDB against the case book at NOW.

T4 (东湖街道 / 花园里社区, general, lead 东湖街道办事处) is due 17 Nov 08:00: 3 d 4 h = 273,600 s late, escalated
twice. T11 (西苑街道 / 桃源社区, emergency) is due 20 Nov 13:00: due within the hour (−3,600 s). T5 (complex)
is due on the 30th, beyond 24 h; T8 would be overdue but is excluded (剔单); every other ticket is closed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import insert, update

from data_access import overdue_queries as oq
from data_access.overdue_queries import NO_DEPARTMENT, OverdueView
from data_access.public_guard import PublicDataRefused
from data_access.schema import PERSONAL_COLUMNS, Ticket
from data_access.scope import Scope, TicketFilter
from data_access.writes import prepare_ticket
from helpers import NOW
from metrics.overdue import band_count_columns, lateness_band

DISTRICT = Scope.district()
EVERYTHING = TicketFilter()
DUE_SOON_HOURS = 24
T4_LATE = 3 * 86400 + 4 * 3600


def rows(conn, flt=EVERYTHING, view=oq.ALL_DUE, *, hours=DUE_SOON_HOURS, max_rows=100, scope=DISTRICT):
    return oq.overdue_rows(conn, scope, flt, view, now=NOW, due_soon_hours=hours, max_rows=max_rows)


def test_list_of_the_casebook(conn):
    frame = rows(conn)
    assert list(frame.columns) == list(oq.OVERDUE_ROW_COLUMNS)
    shown = ["ticket_no", "community", "urgency", "seconds_late", "lead_department", "escalated", "escalations", "whistle"]
    listed = frame[shown]
    assert listed.to_dict("records") == [
        dict(ticket_no="T4", community="花园里社区", urgency="general", seconds_late=T4_LATE, lead_department="东湖街道办事处",
             escalated=True, escalations=2, whistle=False),
        dict(ticket_no="T11", community="桃源社区", urgency="emergency", seconds_late=-3600.0, lead_department="东湖街道办事处",
             escalated=False, escalations=0, whistle=False),
    ]


def test_list_due_times_are_timestamps(conn):
    assert list(rows(conn)["due_at"]) == [dt.datetime(2026, 11, 17, 8), dt.datetime(2026, 11, 20, 13)]


@pytest.mark.parametrize(
    "view, hours, expected",
    [
        (OverdueView(), 24, ["T4", "T11"]),
        (OverdueView(due="overdue"), 24, ["T4"]),
        (OverdueView(due="due_soon"), 24, ["T11"]),
        (OverdueView(), 0, ["T4"]),  # T11 is due at 13:00, not within 0 hours
        (OverdueView(), 24 * 10, ["T4", "T11", "T5"]),  # T5 (complex) is due on the 30th
        (OverdueView(urgencies=("emergency",)), 24, ["T11"]),
        (OverdueView(urgencies=("utility", "complex")), 24, []),
        (OverdueView(escalated_only=True), 24, ["T4"]),
        (OverdueView(departments=("东湖街道办事处",)), 24, ["T4", "T11"]),
        (OverdueView(departments=("城管委",)), 24, []),
        (OverdueView(departments=(NO_DEPARTMENT,)), 24, []),
        (OverdueView(due="due_soon", escalated_only=True), 24, []),
    ],
    ids=["both", "overdue_only", "due_soon_only", "horizon_0h", "horizon_10d", "emergency", "utility_or_complex",
         "escalated_only", "street_office", "other_department", "no_department", "due_soon_and_escalated"],
)
def test_page_filters(conn, view, hours, expected):
    assert list(rows(conn, view=view, hours=hours)["ticket_no"]) == expected


def test_department_filter_finds_tickets_without_a_lead_department(conn):
    conn.execute(update(Ticket.__table__).where(Ticket.__table__.c.ticket_no == "T11").values(lead_department_id=None))
    view = OverdueView(departments=(NO_DEPARTMENT, "城管委"))
    assert list(rows(conn, view=view)["ticket_no"]) == ["T11"]


@pytest.mark.parametrize(
    "flt, expected",
    [
        (TicketFilter(street_ids=(1,)), ["T4"]),
        (TicketFilter(street_ids=(2,)), ["T11"]),
        (TicketFilter(community_ids=(4,)), []),  # 静安里社区 has no tickets at all
        (TicketFilter(categories=("燃气",)), ["T11"]),
        (TicketFilter(channels=("web",)), []),
        (TicketFilter(since=dt.date(2026, 11, 15), until=dt.date(2026, 11, 30)), ["T11"]),  # a period still narrows if given
    ],
    ids=["street_S1", "street_S2", "community_C2b_empty", "category", "channel_web", "period"],
)
def test_sidebar_filters_narrow_the_list(conn, flt, expected):
    assert list(rows(conn, flt)["ticket_no"]) == expected


def test_empty_list_keeps_its_columns(conn):
    frame = rows(conn, TicketFilter(community_ids=(4,)))
    assert frame.empty and list(frame.columns) == list(oq.OVERDUE_ROW_COLUMNS)


def test_max_rows_keeps_the_latest(conn):
    assert list(rows(conn, max_rows=1)["ticket_no"]) == ["T4"]


def test_the_list_is_sorted_by_deadline(conn):
    listed = oq.overdue_rows(conn, DISTRICT, EVERYTHING, now=NOW, due_soon_hours=24 * 10, max_rows=10)
    assert list(listed["ticket_no"]) == ["T4", "T11", "T5"]


def test_no_personal_columns(conn):
    personal = {c.name for c in PERSONAL_COLUMNS}
    frame = rows(conn)
    assert personal.isdisjoint(frame.columns) and list(frame["ticket_no"]) == ["T4", "T11"]


def test_the_public_scope_cannot_list_tickets(conn):
    with pytest.raises(PublicDataRefused, match="ticket_no"):
        rows(conn, scope=Scope.public_screen())


# --- summary ------------------------------------------------------------------------------------------


def summary(conn, flt=EVERYTHING, view=oq.ALL_DUE):
    frame = oq.overdue_summary(conn, DISTRICT, flt, view, now=NOW, due_soon_hours=DUE_SOON_HOURS)
    return {row["community_code"]: row for row in frame.to_dict("records")}


@pytest.mark.parametrize(
    "code, expected",
    [
        ("C1b", dict(community="花园里社区", street="东湖街道", tickets=1, overdue=1, due_soon=0, escalated=1, whistle=0,
                     worst_seconds_late=T4_LATE, band_due_soon=0, band_lt_1d=0, band_d1_3=0, band_d3_7=1, band_gt_7d=0)),
        ("C2a", dict(community="桃源社区", street="西苑街道", tickets=1, overdue=0, due_soon=1, escalated=0, whistle=0,
                     worst_seconds_late=-3600.0, band_due_soon=1, band_lt_1d=0, band_d1_3=0, band_d3_7=0, band_gt_7d=0)),
    ],
    ids=["C1b_T4", "C2a_T11"],
)
def test_summary_per_community(conn, code, expected):
    got = summary(conn)
    assert set(got) == {"C1b", "C2a"}
    assert {k: got[code][k] for k in expected} == expected


def test_summary_follows_the_page_filters(conn):
    assert set(summary(conn, view=OverdueView(escalated_only=True))) == {"C1b"}
    assert set(summary(conn, view=OverdueView(due="due_soon"))) == {"C2a"}


def test_summary_of_an_empty_community_is_empty(conn):
    assert summary(conn, TicketFilter(community_ids=(4,))) == {}


# Band edges on every backend: extra tickets in 静安里社区 (C2b, otherwise empty), due at exact distances from
# NOW, must land in the same bands as metrics.overdue.lateness_band says.
EDGE_OFFSETS = [
    dt.timedelta(hours=-5),  # due in 5 h
    dt.timedelta(0),  # due exactly now: not overdue
    dt.timedelta(minutes=1),
    dt.timedelta(days=1),
    dt.timedelta(days=1, minutes=1),
    dt.timedelta(days=3),
    dt.timedelta(days=7) - dt.timedelta(minutes=1),
    dt.timedelta(days=7),
    dt.timedelta(days=40),
]


def test_summary_bands_match_the_pure_bands_at_the_edges(conn):
    conn.execute(
        insert(Ticket.__table__),
        [
            prepare_ticket(dict(ticket_no=f"E{i}", street_id=2, community_id=4, category="路灯", status="dispatched",
                                received_at=NOW - offset - dt.timedelta(days=1), due_at=NOW - offset))
            for i, offset in enumerate(EDGE_OFFSETS)
        ],
    )
    row = summary(conn)["C2b"]
    expected = Counter(lateness_band(o.total_seconds()) for o in EDGE_OFFSETS)
    assert {c: row[c] for c in band_count_columns()} == {f"band_{b}": expected.get(b, 0) for b in
                                                         ("due_soon", "lt_1d", "d1_3", "d3_7", "gt_7d")}
    assert (row["overdue"], row["due_soon"], row["worst_seconds_late"]) == (7, 2, 40 * 86400)


def test_departments_of_the_listed_tickets(conn):
    frame = oq.overdue_departments(conn, DISTRICT, EVERYTHING, now=NOW, due_soon_hours=DUE_SOON_HOURS)
    assert frame.to_dict("records") == [dict(lead_department="东湖街道办事处", tickets=2)]


def test_departments_name_the_missing_lead_department(conn):
    conn.execute(update(Ticket.__table__).where(Ticket.__table__.c.ticket_no == "T11").values(lead_department_id=None))
    frame = oq.overdue_departments(conn, DISTRICT, EVERYTHING, now=NOW, due_soon_hours=DUE_SOON_HOURS)
    assert frame.to_dict("records") == [
        dict(lead_department="东湖街道办事处", tickets=1),
        dict(lead_department=NO_DEPARTMENT, tickets=1),  # a tie: "none recorded" last
    ]


def test_unknown_due_choice_is_refused():
    with pytest.raises(ValueError, match="unknown due choice"):
        OverdueView(due="late")
