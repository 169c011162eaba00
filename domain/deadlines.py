"""Deadlines (办理时限) derived from the urgency class, on natural days or Chinese working days.

A ticket's `contact_due_at` and `due_at` are stored when it is written (DESIGN.md principle 6); this module
is the one place that computes them. The working-day calendar comes from the maintained `chinesecalendar`
package (State Council holiday notices, including adjusted working weekends). For a year the package does
not cover yet, Monday–Friday is used and `calendar_covers(year)` says so, so a page can warn.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar

from domain.settings import DEFAULT_SETTINGS, Settings

HOURS_PER_DAY = 24


@lru_cache(maxsize=None)
def calendar_covers(year: int) -> bool:
    """Whether the holiday calendar has the official data for `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    """China's official working days: holidays off, adjusted weekends (调休) on; Mon–Fri outside the data."""
    if calendar_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same clock time on the `days`-th working day after `start`'s date.

    A ticket received on Friday 15:00 with 1 working day is due Monday 15:00 (if Monday is a working day).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start.date()
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return dt.datetime.combine(day, start.time())


def add_limit(start: dt.datetime, hours: float, calendar: str) -> dt.datetime:
    """`start` plus a limit of `hours`; on the working-day calendar, whole-day limits over 24 h count working days."""
    if calendar == "workday" and hours > HOURS_PER_DAY and hours % HOURS_PER_DAY == 0:
        return add_working_days(start, int(hours // HOURS_PER_DAY))
    return start + dt.timedelta(hours=hours)


def derive_deadlines(
    received_at: dt.datetime, urgency: str, settings: Settings = DEFAULT_SETTINGS
) -> tuple[dt.datetime, dt.datetime]:
    """(contact_due_at, due_at) for a ticket received at `received_at` with urgency class `urgency`."""
    limits = settings.deadline(urgency)
    contact_due = add_limit(received_at, limits.contact, settings.calendar)
    due = add_limit(received_at, limits.resolve, settings.calendar)
    return contact_due, due


def extend(due_at: dt.datetime, hours: float, settings: Settings = DEFAULT_SETTINGS) -> dt.datetime:
    """The deadline after an approved extension (延期) of `hours`."""
    return add_limit(due_at, hours, settings.calendar)
