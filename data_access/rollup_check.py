"""`cli.py rollup --verify`: the figures the pages read (rollups plus the days that moved since) against the
same figures computed from the tickets alone, for many random scopes, windows, filters and groupings on the
current database.

Counts must be equal; medians within the stated bound of the exact median (`metrics.durations`). The
random draws cover what the pages ask for: the district, one street, one community; windows of a day to a
year (whole months, month edges, open-ended, empty); category and channel filters; every grouping.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from data_access import figures, queries
from data_access import ticket_measures as tm
from data_access.scope import Scope, TicketFilter
from data_access.sql import T, as_datetime
from domain import vocab
from metrics import durations

GROUPINGS = ((), ("street_id",), ("community_id",), ("grid_cell_id",), ("category",), ("channel",), ("day",), ("day", "category"))


@dataclass(frozen=True)
class Case:
    scope: Scope
    flt: TicketFilter
    keys: tuple[str, ...]

    def describe(self) -> str:
        f = self.flt
        parts = [f"{f.since or '…'}–{f.until or '…'}"]
        if self.scope.street_ids:
            parts.append(f"street {sorted(self.scope.street_ids)}")
        if f.community_ids:
            parts.append(f"community {list(f.community_ids)}")
        if f.categories:
            parts.append(f"categories {list(f.categories)}")
        if f.channels:
            parts.append(f"channels {list(f.channels)}")
        parts.append(f"by {'+'.join(self.keys) or 'nothing'}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Result:
    cases: int
    medians: int
    differences: list[str]
    seconds: float


def random_cases(conn: Connection, n: int, rng: random.Random) -> list[Case]:
    """`n` random questions a page could ask of this database."""
    first, last = (as_datetime(v) for v in conn.execute(select(func.min(T.c.received_at), func.max(T.c.received_at))).one())
    if first is None or last is None:
        return []
    streets = queries.streets(conn, Scope.district())
    communities = queries.communities(conn, Scope.district())
    categories = queries.categories(conn, Scope.district())
    span = max((last.date() - first.date()).days, 0)
    cases = []
    for _ in range(n):
        roll = rng.random()
        scope, community = Scope.district(), None
        if roll < 0.35 and len(streets):
            scope = Scope.streets([int(rng.choice(list(streets["id"])))])
        elif roll < 0.55 and len(communities):
            community = int(rng.choice(list(communities["id"])))
        start = first.date() + dt.timedelta(days=rng.randint(0, span))
        shape = rng.random()
        if shape < 0.15:
            since, until = None, None
        elif shape < 0.35:  # whole months
            since = start.replace(day=1)
            until = (since + dt.timedelta(days=32 * rng.randint(1, 6))).replace(day=1) - dt.timedelta(days=1)
        elif shape < 0.45:
            since, until = start, None
        elif shape < 0.5:
            since, until = None, start
        else:
            since, until = start, start + dt.timedelta(days=rng.choice([0, 1, 6, 13, 29, 45, 90, 200, 364]))
        cats = tuple(rng.sample(categories, k=min(len(categories), rng.randint(1, 3)))) if categories and rng.random() < 0.25 else None
        chans = tuple(rng.sample(vocab.CHANNELS, k=rng.randint(1, 2))) if rng.random() < 0.15 else None
        flt = TicketFilter(since=since, until=until, community_ids=(community,) if community else None, categories=cats, channels=chans)
        cases.append(Case(scope, flt, rng.choice(GROUPINGS)))
    return cases


def _columns(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tm.RATE_COUNT_COLUMNS if "grid_cell_id" in keys else tm.ROLLUP_COUNT_COLUMNS


def _normalised(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Rows with any non-zero count, sorted by the keys, keys as text (NULL as '')."""
    counts = frame.drop(columns=list(keys))
    frame = frame[(counts != 0).any(axis=1)].copy()
    for key in keys:
        frame[key] = frame[key].astype("string").fillna("")
    return frame.sort_values(list(keys)).reset_index(drop=True) if keys else frame.reset_index(drop=True)


def compare_case(engine: Engine, case: Case, now: dt.datetime) -> list[str]:
    """The differences between the rollup path and the tickets for one case (empty: they agree)."""
    columns = _columns(case.keys)
    with engine.connect() as conn:
        fast = figures.sum_counts(conn, case.scope, case.flt, columns=columns, keys=case.keys, now=now)
    with engine.connect() as conn:
        exact = figures.sum_counts(conn.execution_options(**figures.RAW), case.scope, case.flt, columns=columns, keys=case.keys, now=now)
    a, b = _normalised(fast, case.keys), _normalised(exact, case.keys)
    if a.equals(b):
        return []
    merged = a.merge(b, on=list(case.keys), how="outer", suffixes=("_rollups", "_tickets")).fillna(0)
    found = []
    for col in columns:
        diff = merged[merged[f"{col}_rollups"] != merged[f"{col}_tickets"]]
        for _, row in diff.head(3).iterrows():
            where = ", ".join(f"{k}={row[k]}" for k in case.keys) or "total"
            found.append(f"{case.describe()}: {col} at {where}: rollups {int(row[f'{col}_rollups'])}, tickets {int(row[f'{col}_tickets'])}")
    return found or [f"{case.describe()}: frames differ"]


def compare_medians(engine: Engine, case: Case) -> list[str]:
    """Stage medians from the histograms against the exact medians (sorted in the database)."""
    with engine.connect() as conn:
        fast = figures.stage_medians(conn, case.scope, case.flt)
    with engine.connect() as conn:
        exact = figures.stage_medians(conn.execution_options(**figures.RAW), case.scope, case.flt)
    found = []
    for (_, f), (_, e) in zip(fast.iterrows(), exact.iterrows()):
        if int(f["n"]) != int(e["n"]):
            found.append(f"{case.describe()}: median {f['stage']}: n {f['n']} vs {e['n']}")
        elif e["n"] and not durations.within_bound(float(f["median_seconds"]), float(e["median_seconds"])):
            found.append(
                f"{case.describe()}: median {f['stage']}: histogram {f['median_seconds']:.0f} s, exact {e['median_seconds']:.0f} s "
                f"(outside 1 % + 0.5 h)"
            )
    return found


def verify(
    engine: Engine, *, now: dt.datetime, samples: int = 40, median_samples: int = 10, seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Compare `samples` random cases (and the medians of `median_samples` of them)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    with engine.connect() as conn:
        if not figures.rollups_in_use(conn):
            return Result(0, 0, ["the rollups are not built (or were built by another version): run `cli.py rollup --rebuild`"], 0.0)
        cases = random_cases(conn, samples, rng)
    differences: list[str] = []
    for i, case in enumerate(cases):
        found = compare_case(engine, case, now)
        if i < median_samples:
            found += compare_medians(engine, case)
        differences += found
        if progress:
            progress(f"{i + 1:>3}/{len(cases)}  {'DIFFERS' if found else 'same'}  {case.describe()}")
    return Result(len(cases), min(median_samples, len(cases)), differences, time.perf_counter() - started)
