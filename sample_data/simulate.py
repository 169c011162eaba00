"""A live hotline: new tickets arrive and open ones move through their lifecycle, at a realistic pace.

`python cli.py simulate [--per-minute N] [--url URL]` calls `run` to demonstrate (and test) that the
dashboard shows new data without a restart. Every write goes through `data_access.writes`, so deadlines
are derived and callback results kept consistent exactly as for real tickets.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Connection, Engine, false, func, select
from sqlalchemy.exc import OperationalError

from data_access import rollups
from data_access.engine import is_lock_wait
from data_access.schema import Community, Department, GridCell, Ticket
from data_access.writes import add_event, insert_ticket, record_callback, update_ticket
from domain import vocab
from domain.settings import DEFAULT_SETTINGS, Settings

T = Ticket.__table__
G = GridCell.__table__
C = Community.__table__
DEP = Department.__table__

# Categories with their urgency class and weight for new simulated demands (a subset of the sample's mix).
CATEGORIES = (
    ("物业管理", vocab.URGENCY_GENERAL, 14),
    ("噪音扰民", vocab.URGENCY_GENERAL, 10),
    ("环境卫生", vocab.URGENCY_GENERAL, 9),
    ("停车管理", vocab.URGENCY_GENERAL, 8),
    ("供暖", vocab.URGENCY_UTILITY, 8),
    ("供水", vocab.URGENCY_UTILITY, 4),
    ("路灯", vocab.URGENCY_GENERAL, 4),
    ("违章建设", vocab.URGENCY_COMPLEX, 3),
    ("燃气", vocab.URGENCY_EMERGENCY, 1),
)
# How many tickets at most move one stage per tick, per stage (keeps a tick's transaction small).
MAX_MOVES_PER_STAGE = 5
# How often (in the simulator's time) the marked days are folded into the rollups.
ROLLUP_REFRESH_SECONDS = 300.0  # at 10,000,000 tickets a refresh re-reads a month (~20 s); figures stay exact meanwhile
# Minimum minutes a ticket spends in a stage before the simulator moves it on.
STAGE_MINUTES = {vocab.STATUS_RECEIVED: 2, vocab.STATUS_DISPATCHED: 5, vocab.STATUS_SIGNED: 20}


@dataclass
class TickReport:
    """What one tick wrote."""

    created: int = 0
    moved: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Places:
    """Grid cells to place new tickets in: (grid_cell_id, community_id, street_id, lat, lon)."""

    cells: tuple[tuple[int, int, int, float, float], ...]
    departments: tuple[int, ...]

    @classmethod
    def load(cls, conn: Connection) -> "Places":
        rows = conn.execute(
            select(G.c.id, G.c.community_id, C.c.street_id, G.c.centroid_lat, G.c.centroid_lon).join(
                C, C.c.id == G.c.community_id
            ).order_by(G.c.id)
        ).all()
        if not rows:
            raise LookupError("the database has no grid cells: build or import a district first")
        deps = conn.execute(select(DEP.c.id).order_by(DEP.c.id)).scalars().all()
        return cls(cells=tuple(tuple(r) for r in rows), departments=tuple(deps))  # type: ignore[misc]


def _new_ticket(rng: random.Random, places: Places, now: dt.datetime, seq: int) -> dict:
    cell_id, community_id, street_id, lat, lon = rng.choice(places.cells)
    category, urgency, _ = rng.choices(CATEGORIES, weights=[c[2] for c in CATEGORIES])[0]
    channel = rng.choices(vocab.CHANNELS, weights=(75, 15, 8, 2))[0]
    return dict(
        ticket_no=f"SIM{now:%Y%m%d%H%M%S}{seq:04d}",
        channel=channel,
        kind=vocab.KIND_REPORT if channel == vocab.CHANNEL_GRID else rng.choice((vocab.KIND_HELP, vocab.KIND_COMPLAINT)),
        category=category,
        urgency=urgency,
        received_at=now,
        status=vocab.STATUS_RECEIVED,
        street_id=street_id,
        community_id=community_id,
        grid_cell_id=cell_id,
        lat=lat + rng.uniform(-0.0005, 0.0005),
        lon=lon + rng.uniform(-0.0005, 0.0005),
        lead_department_id=rng.choice(places.departments) if places.departments else None,
    )


def _oldest(conn: Connection, status: str, older_than: dt.datetime, extra=None) -> list:  # type: ignore[no-untyped-def]
    stmt = select(T.c.id, T.c.channel, T.c.due_at, T.c.contacted_at).where(
        T.c.status == status, T.c.received_at <= older_than, T.c.excluded == false()
    )
    if extra is not None:
        stmt = stmt.where(extra)
    return conn.execute(stmt.order_by(T.c.received_at, T.c.id).limit(MAX_MOVES_PER_STAGE)).all()


def tick(
    conn: Connection, rng: random.Random, places: Places, now: dt.datetime, new_tickets: int, seq: int, settings: Settings = DEFAULT_SETTINGS
) -> TickReport:
    """One step of the live hotline at `now`: write `new_tickets` demands and move open ones on."""
    report = TickReport()
    for i in range(new_tickets):
        insert_ticket(conn, _new_ticket(rng, places, now, seq + i), settings)
        report.created += 1

    def moved(stage: str) -> None:
        report.moved[stage] = report.moved.get(stage, 0) + 1

    minutes = lambda m: now - dt.timedelta(minutes=m)  # noqa: E731
    for row in _oldest(conn, vocab.STATUS_RECEIVED, minutes(STAGE_MINUTES[vocab.STATUS_RECEIVED])):
        update_ticket(conn, row.id, status=vocab.STATUS_DISPATCHED, dispatched_at=now)
        add_event(conn, row.id, vocab.EVENT_DISPATCH, now)
        moved("dispatched")
    for row in _oldest(conn, vocab.STATUS_DISPATCHED, minutes(STAGE_MINUTES[vocab.STATUS_DISPATCHED])):
        update_ticket(conn, row.id, status=vocab.STATUS_SIGNED, signed_at=now, contacted_at=now)
        add_event(conn, row.id, vocab.EVENT_SIGN, now)
        add_event(conn, row.id, vocab.EVENT_CONTACT, now)
        moved("signed")
    for row in _oldest(conn, vocab.STATUS_SIGNED, minutes(STAGE_MINUTES[vocab.STATUS_SIGNED])):
        if rng.random() < 0.7:  # most signed tickets are handled; some stay open and may run late
            update_ticket(conn, row.id, status=vocab.STATUS_CLOSED, closed_at=now)
            add_event(conn, row.id, vocab.EVENT_CLOSE, now)
            moved("closed")
    # The hotline calls back closed hotline/web tickets that have no answered callback yet.
    due = conn.execute(
        select(T.c.id, T.c.closed_at, T.c.due_at)
        .where(T.c.status == vocab.STATUS_CLOSED, T.c.callback_at.is_(None), T.c.channel.in_(vocab.RATE_CHANNELS),
               T.c.closed_at <= minutes(STAGE_MINUTES[vocab.STATUS_SIGNED]), T.c.excluded == false())
        .order_by(T.c.closed_at.desc())
        .limit(MAX_MOVES_PER_STAGE)
    ).all()
    for row in due:
        reached = rng.random() < 0.93
        on_time = row.due_at is None or row.closed_at <= row.due_at
        if reached:
            good = rng.random() < (0.95 if on_time else 0.7)
            record_callback(
                conn, row.id, now, reached=True,
                resolution=vocab.RESOLUTION_SOLVED if good else rng.choice((vocab.RESOLUTION_PARTLY, vocab.RESOLUTION_UNSOLVED)),
                satisfaction=vocab.SATISFACTION_SATISFIED if good else rng.choice((vocab.SATISFACTION_BASIC, vocab.SATISFACTION_UNSATISFIED)),
            )
        else:
            record_callback(conn, row.id, now, reached=False)
        moved("called_back")
    return report


def run(
    engine: Engine,
    *,
    per_minute: float,
    clock: Callable[[], dt.datetime],
    seed: int | None = None,
    tick_seconds: float = 5.0,
    ticks: int | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    on_tick: Callable[[dt.datetime, TickReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    refresh_seconds: float = ROLLUP_REFRESH_SECONDS,
    on_wait: Callable[[str], None] | None = None,
) -> int:
    """Run the live hotline until interrupted (or for `ticks` ticks); the number of tickets created.

    Every tick marks what it wrote for the rollups (the pages count it at once, from the tickets); every
    `refresh_seconds` of simulated time, and after the last tick, the marked days are folded into the
    rollups (`rollups.refresh`), so the days read from the tickets stay few.

    When another writer holds the database longer than the busy timeout (a long `import --all-or-nothing`
    on SQLite), the tick is rolled back whole, `on_wait` is told why, and the next tick tries again: nothing
    half-written, and the simulation goes on once the database is free."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        places = Places.load(conn)
        seq = int(conn.execute(select(func.count()).select_from(T)).scalar_one())
    created, done, owed = 0, 0, 0.0
    refreshed: dt.datetime | None = None
    while ticks is None or done < ticks:
        now = clock()
        owed += per_minute * tick_seconds / 60
        new = int(owed)
        owed -= new
        try:
            with engine.begin() as conn:
                report = tick(conn, rng, places, now, new, seq, settings)
        except OperationalError as exc:
            if not is_lock_wait(exc):
                raise
            owed += new  # the tickets of the tick that did not happen are still owed
            if on_wait:
                on_wait(_first_line(exc))
            sleep(tick_seconds)
            continue
        seq += new
        created += report.created
        done += 1
        if on_tick:
            on_tick(now, report)
        last = ticks is not None and done >= ticks
        if last or refreshed is None or (now - refreshed).total_seconds() >= refresh_seconds:
            try:
                rollups.refresh(engine, now=now)
                refreshed = now
            except OperationalError as exc:  # the marks stay; the next tick's refresh takes them in
                if not is_lock_wait(exc):
                    raise
                if on_wait:
                    on_wait(_first_line(exc))
        if not last:
            sleep(tick_seconds)
    return created


def _first_line(exc: OperationalError) -> str:
    return (str(exc.orig or exc).strip().splitlines() or ["locked"])[0]
