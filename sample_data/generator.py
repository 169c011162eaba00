"""Build a realistic synthetic district into a case database (deterministic for a seed and `now`).

    summary = build_sample(engine, tickets=100_000, months=12, seed=20261121, now=now)

The map comes from `geography.py`, the volume over the year from `timeline.py`, each ticket's attributes
from `tickets.py`, its history from `lifecycle.py` and the callers from `personal.py`; `rows.py` turns them
into columns. Tickets are made in chunks of about CHUNK_TICKETS (whole days; the chunking is part of what
the seed fixes) and bulk-loaded with explicit ids (`data_access.bulk`: COPY on PostgreSQL, indexes built
after the load), so millions of tickets stream through in bounded memory. The stories the data tells are
listed in shared/DOMAIN.md and in the docstrings of those modules.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, Table, text

from data_access import rollups
from data_access.bulk import Batch, bulk_loading
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
from domain import vocab
from domain.clock import local_now
from domain.settings import DEFAULT_SETTINGS, Settings
from sample_data import catalog, rows, timeline
from sample_data.geography import Geography, build_geography
from sample_data.lifecycle import Life, simulate
from sample_data.tickets import Draft, make_drafts, make_places, reopen_drafts

CHUNK_TICKETS = 20_000
# The tables written chunk by chunk, parents first.
LOADED_TABLES = (Ticket.__table__, TicketPersonal.__table__, TicketEvent.__table__, Callback.__table__)
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
        for table, values in _reference_rows(geo, departments):
            conn.execute(table.insert(), values)

    period = timeline.make_period(now, months)
    day_idx, col_idx, columns = timeline.draw_counts(period, tickets, rng)
    next_id = 1
    with bulk_loading(engine, LOADED_TABLES) as write:
        writer = _Writer(write, geo)
        for lo, hi in _chunks(day_idx, CHUNK_TICKETS):
            days, cols = day_idx[lo:hi], col_idx[lo:hi]
            draft = make_drafts(days, cols, columns, period, places, next_id, settings, rng)
            life = simulate(draft, places, period.now_s, settings, rng)
            next_id += len(draft)
            batches = [(draft, life)]
            if len(life.reopen_pos):
                again = reopen_drafts(draft, life.reopen_pos, life.reopen_at, next_id, settings)
                again_life = simulate(again, places, period.now_s, settings, rng, allow_reopen=False)
                batches.append((again, again_life))
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
    rollups.analyze(engine)  # the planners must know the sizes before the rollups read the tickets
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


class _Writer:
    """Turns drafts and lives into rows and hands them to `write` (bulk.bulk_loading), one batch per chunk."""

    def __init__(self, write: Callable[[Batch], None], geo: Geography) -> None:
        self.write_batch = write
        self.geo = geo
        self.tickets = self.events = self.callbacks = 0

    def write(self, batches: list[tuple[Draft, Life]]) -> None:
        parts: dict[Table, list[rows.Columns]] = {table: [] for table in LOADED_TABLES}
        for draft, life in batches:
            ticket_columns, personal_columns = rows.tickets(draft, life, self.geo)
            parts[Ticket.__table__].append(ticket_columns)
            parts[TicketPersonal.__table__].append(personal_columns)
            parts[TicketEvent.__table__].append(rows.events(draft, life, self.events + 1))
            parts[Callback.__table__].append(rows.callbacks(draft, life, self.callbacks + 1))
            self.tickets += len(draft)
            self.events += len(parts[TicketEvent.__table__][-1]["id"])
            self.callbacks += len(parts[Callback.__table__][-1]["id"])
        merged = {table: rows.concat(columns) for table, columns in parts.items()}
        self.write_batch([(table, list(cols), zip(*cols.values())) for table, cols in merged.items()])
