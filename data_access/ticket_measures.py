"""What each count means, ticket by ticket: one SQL definition per count over `ticket`, shared by the raw
queries, the rollup builds and the rollup readers (DOMAIN.md "The three rates"; DESIGN.md "Scale").

Every count of `schema.ROLLUP_COUNT_COLUMNS` is "the number of tickets for which a condition holds". Four of
them depend on the clock, through "a deadline is already past" (`deadline < now`): response_due,
callback_due, callback_covered and open_overdue. Each condition therefore comes in two forms:

* **exact** at `now` — what a query over the tickets computes (`count_exprs(columns, now)`);
* **settled** — the same with "deadline < now" read as "the deadline exists", i.e. the value the count will
  have once every deadline has passed. It does not depend on the clock, so the rollups store it
  (`count_exprs(columns, None)`).

The two differ only for tickets whose deadline is still ahead (`pending(now)`: open tickets not yet due,
and uncontacted tickets still inside their contact window) — a few days of tickets, read through the
(status, due_at) and contact_due_at indexes. `correction_exprs(now)` counts, over those tickets, settled
minus exact; a reader of the rollups subtracts it and gets the exact figure at any `now`.

Statuses are always codes of `vocab.STATUSES` (importers map every source word onto them), so "open" is
`status IN OPEN_STATUSES`, which the (status, due_at) index can serve.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import BigInteger, Date, and_, bindparam, case, cast, exists, func, literal, literal_column, not_, or_, select, true, union_all

from data_access.schema import (
    EVENT_COLUMNS,
    EVENT_KINDS,
    FUNNEL_COLUMNS,
    FUNNEL_STAGES,
    RATE_COUNT_COLUMNS,
    REVERSED_COLUMNS,
    ROLLUP_COUNT_COLUMNS,
    STAGE_TIMES,
    Ticket,
    TicketEvent,
)
from data_access.sql import count_if, stamp
from data_access.sqlfuncs import seconds_between
from domain import vocab
from metrics import durations

T = Ticket.__table__
E = TicketEvent.__table__

__all__ = [
    "RATE_COUNT_COLUMNS",
    "FUNNEL_STAGES",
    "FUNNEL_COLUMNS",
    "EVENT_KINDS",
    "EVENT_COLUMNS",
    "STAGE_TIMES",
    "REVERSED_COLUMNS",
    "ROLLUP_COUNT_COLUMNS",
]

# The counts whose value moves with the clock (see the module docstring).
NOW_DEPENDENT = ("response_due", "callback_due", "callback_covered", "open_overdue")

def is_closed(c=T.c):  # type: ignore[no-untyped-def]
    return c.status == vocab.STATUS_CLOSED


def is_open(c=T.c):  # type: ignore[no-untyped-def]
    return c.status.in_(vocab.OPEN_STATUSES)


def rate_population(c=T.c):  # type: ignore[no-untyped-def]
    """The three-rate population: hotline/web demands that were dispatched (excluded tickets are filtered
    out by `scope.ticket_conditions`, like everywhere else)."""
    return and_(c.channel.in_(vocab.RATE_CHANNELS), c.dispatched_at.is_not(None))


IS_CLOSED = is_closed()
IS_OPEN = is_open()


def _past(deadline, now_p):  # type: ignore[no-untyped-def]
    """deadline < now (exact), or: the deadline exists (settled, now_p None)."""
    return deadline.is_not(None) if now_p is None else deadline < now_p


def event_condition(kind: str, flags=None):  # type: ignore[no-untyped-def]
    """The ticket has at least one event of `kind`: an EXISTS probe per ticket (cheap over a few days), or
    — when building rollups over every ticket — a column of `event_flags()` joined to the tickets."""
    if flags is not None:
        return flags.c[f"has_{kind}"] == 1
    return exists(select(literal(1)).where(E.c.ticket_id == T.c.id, E.c.kind == kind))


def event_flags(tickets=None):  # type: ignore[no-untyped-def]
    """One row per ticket with any 退单/延期/督办/吹哨/重办 event: has_<kind> 1/0. Outer-join it on ticket id
    (it reads only events of those kinds, through the (kind, ticket_id) index). `tickets`: a condition on
    `ticket` narrowing it to the tickets being counted (a refresh of a few days)."""
    columns = [func.max(case((E.c.kind == kind, 1), else_=0)).label(f"has_{kind}") for kind in EVENT_KINDS]
    stmt = select(E.c.ticket_id, *columns).where(E.c.kind.in_(EVENT_KINDS))
    if tickets is not None:
        stmt = stmt.where(E.c.ticket_id.in_(select(T.c.id).where(tickets)))
    return stmt.group_by(E.c.ticket_id).subquery("ev")


def stage_spans() -> dict[str, tuple[Any, Any, tuple]]:
    """Per timed stage: (start time, end time, extra conditions). The stage time is end − start over tickets
    with both times (and the extras); a ticket whose end lies before its start is a data error, counted in
    `<stage>_reversed` and left out of the durations."""
    return {
        "dispatched": (T.c.received_at, T.c.dispatched_at, ()),  # 受理 → 派单
        "signed": (T.c.dispatched_at, T.c.signed_at, ()),  # 派单 → 签收
        "contacted": (func.coalesce(T.c.signed_at, T.c.dispatched_at), T.c.contacted_at, ()),  # 签收 → 联系
        "closed": (T.c.received_at, T.c.closed_at, (IS_CLOSED,)),  # 受理 → 办结
        "callback": (T.c.closed_at, T.c.callback_at, (IS_CLOSED,)),  # 办结 → 回访
    }


def stage_duration_conditions(stage: str) -> list:
    """The conditions under which a ticket has a (valid, not reversed) duration for `stage`."""
    start, end, extra = stage_spans()[stage]
    return [start.is_not(None), end.is_not(None), end >= start, *extra]


def stage_seconds(stage: str):  # type: ignore[no-untyped-def]
    start, end, _ = stage_spans()[stage]
    return seconds_between(start, end)


def stage_durations():  # type: ignore[no-untyped-def]
    """(FROM clause, stage code, duration in seconds, conditions) giving one row per ticket and timed stage
    with a valid duration, from one pass over the tickets: the tickets joined to a five-row table of stage
    codes (index into STAGE_TIMES), each row picking its stage's start and end. Reading the tickets once
    instead of once per stage is what a rollup build of durations costs."""
    stages = union_all(*(select(literal_column(str(i)).label("stage")) for i in range(len(STAGE_TIMES)))).subquery("stages")
    spans = stage_spans()

    def pick(part: int):  # type: ignore[no-untyped-def]
        return case(*((stages.c.stage == i, spans[name][part]) for i, name in enumerate(STAGE_TIMES)))

    start, end = pick(0), pick(1)
    closed_only = [i for i, name in enumerate(STAGE_TIMES) if spans[name][2]]  # stages that need IS_CLOSED
    conditions = [start.is_not(None), end.is_not(None), end >= start, or_(stages.c.stage.not_in(closed_only), IS_CLOSED)]
    return T.join(stages, true()), stages.c.stage, seconds_between(start, end), conditions


def duration_bucket(seconds):  # type: ignore[no-untyped-def]
    """The `metrics.durations` bucket of a duration in seconds, in SQL (FLOOR and LN on every dialect)."""
    d = durations
    value = func.abs(seconds) * 1.0  # a float on every dialect (PostgreSQL's EXTRACT gives NUMERIC)
    return case(
        (value < d.FINE_LIMIT, func.floor(value / d.FINE_WIDTH)),
        (value < d.HOURLY_LIMIT, d.HOURLY_FIRST - 1 + func.floor(value / d.HOUR)),
        else_=d.GEOMETRIC_FIRST + func.floor(func.ln(value / d.HOURLY_LIMIT) / func.ln(d.GROWTH)),
    )


def conditions(now: dt.datetime | None, flags=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Per count of ROLLUP_COUNT_COLUMNS, the condition a ticket meets to be counted (None: every ticket).
    `now` None gives the settled form."""
    now_p = None if now is None else stamp("now", now)
    population = rate_population()
    answered = and_(population, T.c.callback_at.is_not(None))
    callback_due = and_(population, or_(IS_CLOSED, _past(T.c.due_at, now_p)))
    grid = T.c.channel == vocab.CHANNEL_GRID
    found: dict[str, Any] = {
        "tickets": None,
        "dispatched": population,
        "response_due": and_(population, or_(T.c.contacted_at.is_not(None), _past(T.c.contact_due_at, now_p))),
        "contacted_on_time": and_(population, T.c.contacted_at <= T.c.contact_due_at),
        "callbacks_answered": answered,
        "solved": and_(answered, T.c.resolution == vocab.RESOLUTION_SOLVED),
        "partly": and_(answered, T.c.resolution == vocab.RESOLUTION_PARTLY),
        "unsolved": and_(answered, T.c.resolution == vocab.RESOLUTION_UNSOLVED),
        "satisfied": and_(answered, T.c.satisfaction == vocab.SATISFACTION_SATISFIED),
        "basic": and_(answered, T.c.satisfaction == vocab.SATISFACTION_BASIC),
        "unsatisfied": and_(answered, T.c.satisfaction == vocab.SATISFACTION_UNSATISFIED),
        "callback_due": callback_due,
        "callback_covered": and_(callback_due, T.c.callback_at.is_not(None)),
        "closed": IS_CLOSED,
        "closed_on_time": and_(IS_CLOSED, T.c.closed_at <= T.c.due_at),
        "open": IS_OPEN,
        "open_overdue": and_(IS_OPEN, _past(T.c.due_at, now_p)),
        "grid_cases": grid,
        "grid_closed": and_(grid, IS_CLOSED),
    }
    # The funnel is nested: a stage also requires every earlier one (满意 includes 基本满意).
    reached = {
        "dispatched": T.c.dispatched_at.is_not(None),
        "signed": T.c.signed_at.is_not(None),
        "contacted": T.c.contacted_at.is_not(None),
        "closed": IS_CLOSED,
        "callback": T.c.callback_at.is_not(None),
        "satisfied": T.c.satisfaction.in_((vocab.SATISFACTION_SATISFIED, vocab.SATISFACTION_BASIC)),
    }
    so_far: list = []
    for stage, column in zip(FUNNEL_STAGES[1:], FUNNEL_COLUMNS):
        so_far.append(reached[stage])
        found[column] = and_(*so_far)
    for kind, column in zip(EVENT_KINDS, EVENT_COLUMNS):
        found[column] = event_condition(kind, flags)
    for stage, column in zip(STAGE_TIMES, REVERSED_COLUMNS):
        start, end, extra = stage_spans()[stage]
        found[column] = and_(start.is_not(None), end.is_not(None), end < start, *extra)
    assert tuple(found) == ROLLUP_COUNT_COLUMNS
    return found


def count_exprs(columns: Iterable[str], now: dt.datetime | None, flags=None) -> list:  # type: ignore[no-untyped-def]
    """Labelled aggregate expressions of `columns` over `ticket`: exact at `now`, settled when `now` is None."""
    columns = tuple(columns)
    conds = conditions(now, flags)
    return [(func.count() if conds[c] is None else count_if(conds[c])).label(c) for c in columns]


# The columns a correction reads (scope, filter, grouping and the clock-dependent conditions): never a
# personal or identifying one, so the public screen's statements may read them too.
PENDING_COLUMNS = (
    "id", "street_id", "community_id", "grid_cell_id", "category", "channel", "excluded", "received_at",
    "status", "due_at", "contacted_at", "contact_due_at", "dispatched_at", "callback_at",
)


def pending(now: dt.datetime):  # type: ignore[no-untyped-def]
    """The tickets whose settled and exact counts can differ at `now` — open and not yet due, or not contacted
    and still inside the contact window — as a subquery of PENDING_COLUMNS.

    Two disjoint branches, each read through its own index ((status, due_at); contact_due_at): a UNION ALL
    under an aggregate is never merged into the outer query (SQLite's flattener), so the planners read these
    few rows instead of walking the window's tickets by received_at.
    """
    now_p = stamp("now", now)
    columns = [T.c[name] for name in PENDING_COLUMNS]
    not_yet_due = and_(IS_OPEN, T.c.due_at >= now_p)
    outside_first = or_(T.c.status.not_in(vocab.OPEN_STATUSES), T.c.due_at.is_(None), T.c.due_at < now_p)
    uncontacted = and_(T.c.contacted_at.is_(None), T.c.contact_due_at >= now_p, outside_first)
    return union_all(select(*columns).where(not_yet_due), select(*columns).where(uncontacted)).subquery("pending")


def correction_exprs(columns: Iterable[str], now: dt.datetime, c=T.c) -> list:  # type: ignore[no-untyped-def]
    """Labelled −(settled − exact) for `columns` (0 for clock-independent ones) over the columns `c` (those of
    `pending(now)`): added to settled sums, they give the exact counts at `now`."""
    now_p = stamp("now", now)
    population = rate_population(c)
    not_yet_due = and_(is_open(c), c.due_at >= now_p)
    differs = {
        "response_due": and_(population, c.contacted_at.is_(None), c.contact_due_at >= now_p),
        "callback_due": and_(population, not_yet_due),
        "callback_covered": and_(population, not_yet_due, c.callback_at.is_not(None)),
        "open_overdue": not_yet_due,
    }
    return [(-count_if(differs[name]) if name in differs else literal_column("0")).label(name) for name in columns]


def is_clock_dependent(columns: Iterable[str]) -> bool:
    return any(c in NOW_DEPENDENT for c in columns)


def summed(expr):  # type: ignore[no-untyped-def]
    """SUM of a count as a BIGINT, 0 over no rows: every driver then returns a plain integer (PostgreSQL's
    SUM of BIGINT is NUMERIC, MySQL's is DECIMAL), so frames need no per-column conversion."""
    return cast(func.coalesce(func.sum(expr), 0), BigInteger)


def in_ranges(column, ranges: list[tuple[Any, Any]], name: str):  # type: ignore[no-untyped-def]
    """column in any of the half-open [start, end) ranges — plain comparisons, so an index on the column
    serves each range. `name` keeps the bound parameters of two range lists in one statement apart."""
    if not ranges:
        return literal(False)
    return or_(*(and_(column >= _bound(f"{name}{i}a", a), column < _bound(f"{name}{i}b", b)) for i, (a, b) in enumerate(ranges)))


def not_in_ranges(column, ranges: list[tuple[Any, Any]], name: str):  # type: ignore[no-untyped-def]
    """NOT (column in any of the ranges); true when there are none."""
    return not_(in_ranges(column, ranges, name)) if ranges else literal(True)


def _bound(name: str, value: Any):  # type: ignore[no-untyped-def]
    if isinstance(value, dt.datetime):
        return stamp(name, value)
    return bindparam(name, value, type_=Date())
