"""Deadlines from urgency classes, on natural days and on China's working-day calendar.

Calendar facts used below, as given by chinese_calendar (State Council notice for 2026) and checked in
`test_is_workday`: National Day 2026 is Thu 10-01 .. Wed 10-07 off; Sun 09-20 and Sat 10-10 are adjusted
working days (调休); Mid-Autumn Fri 09-25 .. Sun 09-27 is off. March 2026 has no holiday.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from domain import deadlines
from domain.settings import settings_from_mapping

T = dt.datetime
D = dt.date
WORKDAY = settings_from_mapping({"calendar": "workday"})
# 2099 is far beyond any holiday data the package will ship with.
UNCOVERED_YEAR = 2099


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 9, 19), False),  # Saturday
        (D(2026, 9, 20), True),  # Sunday, adjusted working day for National Day
        (D(2026, 9, 25), False),  # Friday, Mid-Autumn
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),  # National Day
        (D(2026, 10, 7), False),  # last day of the National Day holiday
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, adjusted working day
        (D(2026, 10, 11), False),  # Sunday
        (D(UNCOVERED_YEAR, 1, 1), True),  # outside the data: a Thursday is a working day (no holidays known)
        (D(UNCOVERED_YEAR, 1, 3), False),  # outside the data: Saturday
    ],
    ids=[
        "2026-09-19-sat",
        "2026-09-20-sun-adjusted",
        "2026-09-25-mid-autumn",
        "2026-09-30-wed",
        "2026-10-01-national-day",
        "2026-10-07-holiday-end",
        "2026-10-08-thu-back",
        "2026-10-10-sat-adjusted",
        "2026-10-11-sun",
        "2099-01-01-fallback-thu",
        "2099-01-03-fallback-sat",
    ],
)
def test_is_workday(day, expected):
    assert deadlines.is_workday(day) is expected
    if deadlines.calendar_covers(day.year):
        assert chinese_calendar.is_workday(day) is expected  # the table agrees with the package's data


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2026, True), (2004, True), (UNCOVERED_YEAR, False), (2003, False)],
    ids=["2026", "2004-first-year", "2099", "2003-before-data"],
)
def test_calendar_covers(year, expected):
    assert deadlines.calendar_covers(year) is expected


@pytest.mark.parametrize(
    ("urgency", "received", "contact_due", "due"),
    [
        ("emergency", T(2026, 10, 1, 8, 0), T(2026, 10, 1, 8, 30), T(2026, 10, 1, 10, 0)),  # 30 min / 2 h
        ("utility", T(2026, 10, 1, 8, 0), T(2026, 10, 1, 10, 0), T(2026, 10, 2, 8, 0)),  # 2 h / 24 h
        ("general", T(2026, 10, 1, 8, 0), T(2026, 10, 2, 8, 0), T(2026, 10, 8, 8, 0)),  # 24 h / 7 d
        ("complex", T(2026, 10, 1, 8, 0), T(2026, 10, 2, 8, 0), T(2026, 10, 16, 8, 0)),  # 24 h / 15 d
        ("general", T(2026, 12, 28, 17, 30), T(2026, 12, 29, 17, 30), T(2027, 1, 4, 17, 30)),  # over new year
        ("emergency", T(2026, 12, 31, 23, 45), T(2027, 1, 1, 0, 15), T(2027, 1, 1, 1, 45)),  # past midnight
        ("no-such-class", T(2026, 3, 2, 9, 0), T(2026, 3, 3, 9, 0), T(2026, 3, 9, 9, 0)),  # general class
    ],
    ids=[
        "emergency",
        "utility",
        "general",
        "complex",
        "general-over-new-year",
        "emergency-past-midnight",
        "unknown-urgency-is-general",
    ],
)
def test_natural_day_deadlines(urgency, received, contact_due, due):
    assert deadlines.derive_deadlines(received, urgency) == (contact_due, due)


@pytest.mark.parametrize(
    ("urgency", "received", "contact_due", "due"),
    [
        # Hour-scale limits ignore the calendar, even on a holiday.
        ("emergency", T(2026, 10, 3, 23, 0), T(2026, 10, 3, 23, 30), T(2026, 10, 4, 1, 0)),
        # 24 h is not more than a day: natural hours, so due on a holiday.
        ("utility", T(2026, 10, 3, 23, 0), T(2026, 10, 4, 1, 0), T(2026, 10, 4, 23, 0)),
        # Mon 09-28 + 7 working days: 09-29, 09-30, [10-01..07 off], 10-08, 10-09, Sat 10-10, [Sun off],
        # 10-12, 10-13. The 24 h contact limit stays natural.
        ("general", T(2026, 9, 28, 10, 0), T(2026, 9, 29, 10, 0), T(2026, 10, 13, 10, 0)),
        # Fri 09-18 + 7: [Sat off], Sun 09-20, 21, 22, 23, 24, [25..27 Mid-Autumn], 28, 29.
        ("general", T(2026, 9, 18, 9, 0), T(2026, 9, 19, 9, 0), T(2026, 9, 29, 9, 0)),
        # Wed 09-30 + 15: 10-08, 09, 10 (Sat), 12..16, 19..23, 26, 27.
        ("complex", T(2026, 9, 30, 14, 0), T(2026, 10, 1, 14, 0), T(2026, 10, 27, 14, 0)),
        # Received on a holiday: Sun 10-04 + 7: 10-08, 09, 10, 12, 13, 14, 15.
        ("general", T(2026, 10, 4, 11, 0), T(2026, 10, 5, 11, 0), T(2026, 10, 15, 11, 0)),
        # Across plain weekends: Fri 03-06 + 7: 03-09..13, 03-16, 03-17 (natural would be 03-13).
        ("general", T(2026, 3, 6, 15, 0), T(2026, 3, 7, 15, 0), T(2026, 3, 17, 15, 0)),
        # Outside the package's data, Monday–Friday: Fri 2099-01-02 + 7: 01-05..09, 01-12, 01-13.
        (
            "general",
            T(UNCOVERED_YEAR, 1, 2, 9, 0),
            T(UNCOVERED_YEAR, 1, 3, 9, 0),
            T(UNCOVERED_YEAR, 1, 13, 9, 0),
        ),
    ],
    ids=[
        "emergency-on-holiday-unaffected",
        "utility-24h-unaffected",
        "general-across-national-day",
        "general-across-adjusted-sunday-and-mid-autumn",
        "complex-across-national-day",
        "general-received-on-holiday",
        "general-across-weekend",
        "uncovered-year-falls-back-to-mon-fri",
    ],
)
def test_working_day_deadlines(urgency, received, contact_due, due):
    assert deadlines.derive_deadlines(received, urgency, WORKDAY) == (contact_due, due)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (T(2026, 3, 6, 15, 0), 1, T(2026, 3, 9, 15, 0)),  # Fri -> Mon
        (T(2026, 3, 6, 15, 0), 0, T(2026, 3, 6, 15, 0)),
        (T(2026, 9, 30, 18, 0), 1, T(2026, 10, 8, 18, 0)),  # over the whole holiday
        (T(2026, 10, 9, 9, 0), 1, T(2026, 10, 10, 9, 0)),  # Fri -> adjusted Sat
        (T(2026, 9, 19, 9, 0), 1, T(2026, 9, 20, 9, 0)),  # Sat -> adjusted Sun
    ],
    ids=["fri-to-mon", "zero-days", "over-national-day", "to-adjusted-saturday", "to-adjusted-sunday"],
)
def test_add_working_days(start, days, expected):
    assert deadlines.add_working_days(start, days) == expected


def test_add_working_days_rejects_negative():
    with pytest.raises(ValueError, match="days must be >= 0"):
        deadlines.add_working_days(T(2026, 3, 6), -1)


@pytest.mark.parametrize(
    ("hours", "calendar", "expected"),
    [
        (36, "workday", T(2026, 10, 2, 0, 0)),  # not whole days: natural hours from Wed 09-30 12:00
        (48, "workday", T(2026, 10, 9, 12, 0)),  # 2 working days: 10-08, 10-09
        (48, "natural", T(2026, 10, 2, 12, 0)),
        (0.5, "workday", T(2026, 9, 30, 12, 30)),
    ],
    ids=["36h-stays-natural", "48h-two-working-days", "48h-natural", "half-hour"],
)
def test_add_limit(hours, calendar, expected):
    assert deadlines.add_limit(T(2026, 9, 30, 12, 0), hours, calendar) == expected


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [("natural", T(2026, 10, 3, 18, 0)), ("workday", T(2026, 10, 10, 18, 0))],  # 3 wd: 10-08, 09, 10
    ids=["natural", "workday"],
)
def test_extension_of_72_hours(calendar, expected):
    settings = settings_from_mapping({"calendar": calendar})
    assert deadlines.extend(T(2026, 9, 30, 18, 0), 72, settings) == expected


@pytest.mark.parametrize(
    ("overrides", "urgency", "contact_due", "due"),
    [
        # general resolve 120 h = 5 working days from Mon 09-28: 29, 30, 10-08, 09, 10 (Sat).
        (
            {"calendar": "workday", "deadline_hours": {"general": {"resolve": 120}}},
            "general",
            T(2026, 9, 29, 10, 0),
            T(2026, 10, 10, 10, 0),
        ),
        # contact 48 h = 2 working days: 09-29, 09-30; resolve stays 7 working days.
        (
            {"calendar": "workday", "deadline_hours": {"general": {"contact": 48}}},
            "general",
            T(2026, 9, 30, 10, 0),
            T(2026, 10, 13, 10, 0),
        ),
        # natural days, emergency resolve 4 h; contact keeps its default 30 minutes.
        (
            {"deadline_hours": {"emergency": {"resolve": 4}}},
            "emergency",
            T(2026, 9, 28, 10, 30),
            T(2026, 9, 28, 14, 0),
        ),
    ],
    ids=["general-resolve-5-working-days", "general-contact-2-working-days", "emergency-4h"],
)
def test_deadline_overrides(overrides, urgency, contact_due, due):
    settings = settings_from_mapping(overrides)
    assert deadlines.derive_deadlines(T(2026, 9, 28, 10, 0), urgency, settings) == (contact_due, due)


def test_unknown_urgency_class_in_overrides_is_an_error():
    with pytest.raises(ValueError, match="unknown urgency class in deadline_hours: urgent"):
        settings_from_mapping({"deadline_hours": {"urgent": {"resolve": 1}}})
