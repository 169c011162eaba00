"""The naive way most Streamlit dashboards compute their figures: load every ticket into pandas, then count.

Kept as the benchmark's baseline and, because it shares no code with `data_access.queries`, as an
independent computation of the same definitions for tests (DOMAIN.md "The three rates").
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, text

from domain import vocab

TICKET_COLUMNS = (
    "id, channel, category, street_id, community_id, received_at, dispatched_at, contacted_at, contact_due_at, "
    "due_at, closed_at, status, excluded, callback_at, resolution, satisfaction"
)


def load_all_tickets(conn: Connection) -> pd.DataFrame:
    """Every ticket row, timestamps parsed."""
    frame = pd.read_sql(text(f"SELECT {TICKET_COLUMNS} FROM ticket"), conn)
    for col in ("received_at", "dispatched_at", "contacted_at", "contact_due_at", "due_at", "closed_at", "callback_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["excluded"] = frame["excluded"].astype(bool)
    return frame


def select_period(frame: pd.DataFrame, since: dt.date | None, until: dt.date | None) -> pd.DataFrame:
    """Non-excluded tickets received in [since, until] (dates inclusive)."""
    keep = ~frame["excluded"]
    if since is not None:
        keep &= frame["received_at"] >= pd.Timestamp(since)
    if until is not None:
        keep &= frame["received_at"] < pd.Timestamp(until) + pd.Timedelta(days=1)
    return frame[keep]


def naive_counts(frame: pd.DataFrame, now: dt.datetime) -> dict[str, int]:
    """The count contract of `data_access.queries.RATE_COUNT_COLUMNS`, computed in pandas."""
    now_ts = pd.Timestamp(now)
    closed = frame["status"] == vocab.STATUS_CLOSED
    rate_pop = frame["channel"].isin(vocab.RATE_CHANNELS) & frame["dispatched_at"].notna()
    answered = rate_pop & frame["callback_at"].notna()
    due = rate_pop & (closed | (frame["due_at"] < now_ts))
    overdue = ~closed & (frame["due_at"] < now_ts)
    grid = frame["channel"] == vocab.CHANNEL_GRID
    counts = {
        "tickets": len(frame),
        "dispatched": rate_pop.sum(),
        "response_due": (rate_pop & (frame["contacted_at"].notna() | (frame["contact_due_at"] < now_ts))).sum(),
        "contacted_on_time": (rate_pop & (frame["contacted_at"] <= frame["contact_due_at"])).sum(),
        "callbacks_answered": answered.sum(),
        "solved": (answered & (frame["resolution"] == vocab.RESOLUTION_SOLVED)).sum(),
        "partly": (answered & (frame["resolution"] == vocab.RESOLUTION_PARTLY)).sum(),
        "unsolved": (answered & (frame["resolution"] == vocab.RESOLUTION_UNSOLVED)).sum(),
        "satisfied": (answered & (frame["satisfaction"] == vocab.SATISFACTION_SATISFIED)).sum(),
        "basic": (answered & (frame["satisfaction"] == vocab.SATISFACTION_BASIC)).sum(),
        "unsatisfied": (answered & (frame["satisfaction"] == vocab.SATISFACTION_UNSATISFIED)).sum(),
        "callback_due": due.sum(),
        "callback_covered": (due & frame["callback_at"].notna()).sum(),
        "closed": closed.sum(),
        "closed_on_time": (closed & (frame["closed_at"] <= frame["due_at"])).sum(),
        "open": (~closed).sum(),
        "open_overdue": overdue.sum(),
        "grid_cases": grid.sum(),
        "grid_closed": (grid & closed).sum(),
    }
    return {k: int(v) for k, v in counts.items()}


def naive_median_hours(frame: pd.DataFrame) -> float | None:
    """Median closed_at − received_at in hours over closed tickets not closed before they were received."""
    closed = frame[(frame["status"] == vocab.STATUS_CLOSED) & (frame["closed_at"] >= frame["received_at"])]
    if closed.empty:
        return None
    return float((closed["closed_at"] - closed["received_at"]).dt.total_seconds().median() / 3600)


def naive_by(frame: pd.DataFrame, column: str, now: dt.datetime) -> pd.DataFrame:
    """naive_counts per value of `column` (street_id, community_id, category or a day)."""
    return pd.DataFrame(
        [{column: key, **naive_counts(group, now)} for key, group in frame.groupby(column, sort=True)]
    )
