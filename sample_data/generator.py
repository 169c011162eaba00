"""Build a realistic synthetic district into a case database (deterministic for a seed and `now`).

    summary = build_sample(engine, tickets=100_000, months=12, seed=20261121, now=now)

The map comes from `geography.py`, the volume over the year from `timeline.py`, each ticket's attributes
from `tickets.py`, its history from `lifecycle.py` and the callers from `personal.py`. Tickets are made and
written in chunks of about CHUNK_TICKETS (whole days), each chunk in one transaction with explicit ids, so
millions of tickets stream through in bounded memory. The stories the data tells are listed in
shared/DOMAIN.md and in the docstrings of those modules.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from data_access.schema import (
    Callback,
    Community,
    Department,
    District,
    GridCell,
    Street,
    Ticket,
    TicketEvent,
    TicketPersonal,
    create_schema,
    drop_schema,
)
from data_access import rollups
from data_access.writes import prepare_ticket
from metrics import vocab
from metrics.clock import local_now
from metrics.settings import DEFAULT_SETTINGS, Settings
from sample_data import catalog, personal, timeline
from sample_data.geography import Geography, build_geography
from sample_data.lifecycle import NOTES, Life, simulate
from sample_data.tickets import CH_GRID, SUB_NAMES, Draft, make_drafts, make_places, reopen_drafts

CHUNK_TICKETS = 20_000
SERIAL_TABLES = (
    "district",
    "street",
    "community",
    "grid_cell",
    "department",
    "ticket",
    "ticket_event",
    "callback",
)


@dataclass(frozen=True)
class SampleSummary:
    """What `build_sample` wrote (tickets include the re-handling tickets) and how long it took."""

    streets: int
    communities: int
    grid_cells: int
    departments: int
    tickets: int
    events: int
    callbacks: int
    elapsed_seconds: float


def build_sample(
    engine: Engine,
    *,
    tickets: int = 100_000,
    months: int = 12,
    seed: int = 20261121,
    now: dt.datetime | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    progress: Callable[[int, int], None] | None = None,
) -> SampleSummary:
    """Drop and recreate the schema on `engine`, then write the sample district.

    `tickets` demands are received over the `months` months ending at `now` (naive local time; default:
    the deployment's clock at call time, to the second); re-handled tickets (重办) come on top. Same
    arguments and seed give the same database contents. `progress(done, total)` is called after each
    chunk, in tickets.
    """
    if tickets < 0 or months < 1:
        raise ValueError(f"need tickets >= 0 and months >= 1, got tickets={tickets}, months={months}")
    started = time.perf_counter()
    now = (local_now(settings.timezone) if now is None else now).replace(microsecond=0)
    geo = build_geography(np.random.default_rng([seed, 0]))
    rng = np.random.default_rng([seed, 1])
    departments = _departments(geo)
    dept_ids = {name: i for i, (name, _) in enumerate(departments, start=1)}
    street_dept = np.array([dept_ids[n] for n in geo.street_names])
    places = make_places(geo, dept_ids, street_dept)

    drop_schema(engine)
    create_schema(engine)
    with engine.begin() as conn:
        for table, rows in _reference_rows(geo, departments):
            conn.execute(table.insert(), rows)

    period = timeline.make_period(now, months)
    day_idx, col_idx, columns = timeline.draw_counts(period, tickets, rng)
    writer = _Writer(engine, geo)
    next_id = 1
    for lo, hi in _chunks(day_idx, CHUNK_TICKETS):
        draft = make_drafts(day_idx[lo:hi], col_idx[lo:hi], columns, period, places, next_id, settings, rng)
        life = simulate(draft, places, period.now_s, settings, rng)
        next_id += len(draft)
        batches = [(draft, life)]
        if len(life.reopen_pos):
            again = reopen_drafts(draft, life.reopen_pos, life.reopen_at, next_id, settings)
            batches.append((again, simulate(again, places, period.now_s, settings, rng, allow_reopen=False)))
            next_id += len(again)
        writer.write(batches)
        if progress is not None:
            progress(hi, len(day_idx))
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in SERIAL_TABLES:  # explicit ids leave the sequences behind
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
    # The pages read pre-aggregated figures (data_access.rollups): build them from what was just written.
    rollups.rebuild(engine, now=now)
    return SampleSummary(
        streets=len(geo.street_names),
        communities=len(geo.community_names),
        grid_cells=len(geo.cell_codes),
        departments=len(departments),
        tickets=writer.tickets,
        events=writer.events,
        callbacks=writer.callbacks,
        elapsed_seconds=round(time.perf_counter() - started, 3),
    )


def _departments(geo: Geography) -> list[tuple[str, str]]:
    return (
        [(n, vocab.DEPARTMENT_STREET) for n in geo.street_names]
        + [(n, vocab.DEPARTMENT_AGENCY) for n in catalog.AGENCIES]
        + [(n, vocab.DEPARTMENT_UTILITY) for n in catalog.UTILITIES]
    )


def _reference_rows(geo: Geography, departments: list[tuple[str, str]]) -> list[tuple[Any, list[dict]]]:
    street_pop = geo.street_population.tolist()
    comm_pop = geo.community_population.tolist()
    return [
        (
            District.__table__,
            [dict(id=1, code="D01", name=geo.district_name, population=int(sum(street_pop)))],
        ),
        (
            Street.__table__,
            [
                dict(id=i + 1, code=geo.street_codes[i], name=name, district_id=1, population=street_pop[i])
                for i, name in enumerate(geo.street_names)
            ],
        ),
        (
            Community.__table__,
            [
                dict(
                    id=i + 1,
                    code=geo.community_codes[i],
                    name=name,
                    street_id=int(geo.community_street[i]) + 1,
                    population=comm_pop[i],
                )
                for i, name in enumerate(geo.community_names)
            ],
        ),
        (
            GridCell.__table__,
            [
                dict(
                    id=i + 1,
                    code=code,
                    name=geo.cell_names[i],
                    community_id=int(geo.cell_community[i]) + 1,
                    boundary=geo.boundary_geojson(i),
                    centroid_lon=float(geo.cell_centroids[i, 0]),
                    centroid_lat=float(geo.cell_centroids[i, 1]),
                    population=int(geo.cell_population[i]),
                )
                for i, code in enumerate(geo.cell_codes)
            ],
        ),
        (Department.__table__, [dict(id=i, name=n, kind=k) for i, (n, k) in enumerate(departments, start=1)]),
    ]


def _chunks(day_idx: np.ndarray, size: int) -> Iterator[tuple[int, int]]:
    """Ranges of about `size` tickets that end on a day boundary (tickets are sorted by day)."""
    lo, n = 0, len(day_idx)
    while lo < n:
        hi = min(n, lo + size)
        if hi < n:
            hi = int(np.searchsorted(day_idx, day_idx[hi - 1], side="right"))
        yield lo, hi
        lo = hi


def _times(seconds: np.ndarray) -> list[dt.datetime | None]:
    """Seconds since 1970 → naive datetimes; NaT (int64 min) → None."""
    return seconds.astype("datetime64[s]").tolist()


def _codes(values: np.ndarray, vocabulary: tuple[str, ...] | list[str]) -> list[str | None]:
    return [vocabulary[v] if v >= 0 else None for v in values.tolist()]


def _floats(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values.tolist()]


class _Writer:
    """Turns drafts and lives into rows and inserts them, one transaction per chunk."""

    def __init__(self, engine: Engine, geo: Geography) -> None:
        self.engine = engine
        self.geo = geo
        self.tickets = self.events = self.callbacks = 0
        self._event_id = self._callback_id = 1

    def write(self, batches: list[tuple[Draft, Life]]) -> None:
        ticket_rows: list[dict] = []
        personal_rows: list[dict] = []
        event_rows: list[dict] = []
        callback_rows: list[dict] = []
        for draft, life in batches:
            ticket_rows += self._tickets(draft, life, personal_rows)
            event_rows += self._events(draft, life)
            callback_rows += self._callbacks(draft, life)
        with self.engine.begin() as conn:
            conn.execute(Ticket.__table__.insert(), ticket_rows)
            if personal_rows:
                conn.execute(TicketPersonal.__table__.insert(), personal_rows)
            if event_rows:
                conn.execute(TicketEvent.__table__.insert(), event_rows)
            if callback_rows:
                conn.execute(Callback.__table__.insert(), callback_rows)
        self.tickets += len(ticket_rows)
        self.events += len(event_rows)
        self.callbacks += len(callback_rows)

    def _tickets(self, d: Draft, life: Life, personal_rows: list[dict]) -> list[dict]:
        geo = self.geo
        received = _times(d.rec)
        grid = (d.channel == CH_GRID).tolist()
        community = geo.cell_community[d.cell]
        public = np.nonzero(d.channel != CH_GRID)[0]
        phone_of: dict[int, str] = {}
        if len(public):
            sub = d.take(public)
            phones = personal.phones(sub.caller)
            names = personal.person_names(sub.caller)
            places = personal.addresses(sub, geo)
            texts = personal.contents(sub, places)
            for k, pos in enumerate(public.tolist()):
                phone_of[pos] = phones[k]
                personal_rows.append(
                    dict(
                        ticket_id=int(d.id[pos]),
                        caller_name=names[k],
                        caller_phone=phones[k],
                        address=places[k],
                        content=texts[k],
                    )
                )
        columns = dict(
            id=d.id.tolist(),
            channel=_codes(d.channel, vocab.CHANNELS),
            kind=_codes(d.kind, vocab.KINDS),
            category=[catalog.CATEGORIES[c].name for c in d.cat.tolist()],
            subcategory=[SUB_NAMES[s] for s in d.sub.tolist()],
            topic=[
                catalog.TOPIC if catalog.CATEGORIES[c].name == catalog.TOPIC_CATEGORY else None
                for c in d.cat.tolist()
            ],
            urgency=_codes(d.urgency, vocab.URGENCIES),
            received_at=received,
            dispatched_at=_times(life.dispatched),
            signed_at=_times(life.signed),
            contacted_at=_times(life.contacted),
            contact_due_at=_times(d.contact_due),
            due_at=_times(life.due),
            closed_at=_times(life.closed),
            status=_codes(life.status, vocab.STATUSES),
            street_id=(geo.community_street[community] + 1).tolist(),
            community_id=(community + 1).tolist(),
            grid_cell_id=(d.cell + 1).tolist(),
            lat=_floats(d.lat),
            lon=_floats(d.lon),
            lead_department_id=[v or None for v in d.lead.tolist()],
            whistle=life.whistle.tolist(),
            excluded=d.excluded.tolist(),
            exclude_reason=[
                catalog.EXCLUDE_REASONS[r][0] if r >= 0 else None for r in d.exclude_reason.tolist()
            ],
            reopened_from_id=[v or None for v in d.reopen_of.tolist()],
            callback_at=_times(life.callback_at),
            resolution=_codes(life.resolution, vocab.RESOLUTIONS),
            satisfaction=_codes(life.satisfaction, vocab.SATISFACTIONS),
        )
        keys = list(columns)
        rows = []
        for i, values in enumerate(zip(*columns.values())):
            row = dict(zip(keys, values))
            row["ticket_no"] = f"{'WG' if grid[i] else 'GD'}{received[i]:%Y%m%d}{row['id']:07d}"
            row["caller_hash"] = personal.caller_hash(phone_of[i]) if i in phone_of else None
            rows.append(prepare_ticket(row))
        return rows

    def _events(self, d: Draft, life: Life) -> list[dict]:
        pos, at, kind, dept, note = life.events.arrays()
        ids = range(self._event_id, self._event_id + len(pos))
        self._event_id += len(pos)
        return [
            dict(
                id=i,
                ticket_id=t,
                at=a,
                kind=vocab.EVENT_KINDS[k],
                department_id=p or None,
                note=NOTES[n] if n >= 0 else None,
            )
            for i, t, a, k, p, n in zip(
                ids, d.id[pos].tolist(), _times(at), kind.tolist(), dept.tolist(), note.tolist()
            )
        ]

    def _callbacks(self, d: Draft, life: Life) -> list[dict]:
        pos, at, reached, res, sat = life.callbacks
        order = np.lexsort((at, pos))
        pos, at, reached, res, sat = pos[order], at[order], reached[order], res[order], sat[order]
        ids = range(self._callback_id, self._callback_id + len(pos))
        self._callback_id += len(pos)
        return [
            dict(id=i, ticket_id=t, at=a, reached=r, resolution=rs, satisfaction=st)
            for i, t, a, r, rs, st in zip(
                ids,
                d.id[pos].tolist(),
                _times(at),
                reached.tolist(),
                _codes(res, vocab.RESOLUTIONS),
                _codes(sat, vocab.SATISFACTIONS),
            )
        ]
