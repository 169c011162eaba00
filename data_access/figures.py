"""Figures for any scope, filter and grouping: from the rollups where they can answer, from the tickets where
they cannot — exact at `now` either way (DESIGN.md "Scale").

`sum_counts(conn, scope, flt, columns=…, keys=…, now=…)` returns the counts of `schema.ROLLUP_COUNT_COLUMNS`
named in `columns` (definitions in `ticket_measures`), grouped by `keys` ⊆ {day, street_id, community_id,
grid_cell_id, category, channel}. One statement, the UNION ALL of up to four parts, summed:

1. **whole months** of the window that have no dirty day, from the smallest month table holding the
   dimensions the grouping and the filter need;
2. **the other days** of the window (partial months at its ends, the clean days of months with a dirty
   day), from the matching day table;
3. **dirty days** — days whose tickets changed since the last refresh (`rollups.mark_days`) — and anything
   no rollup table can answer, from the tickets, exact at `now`;
4. a **correction** over the tickets of parts 1–2 whose deadline is still ahead (`ticket_measures.pending`):
   the rollups hold settled counts, this subtracts settled − exact.

One statement, so it reads one consistent snapshot on every database. `sum_histogram` does the same for
the duration histograms (no correction: durations do not move with the clock), and `stage_medians` reads
medians from them — within 1 % + 0.5 h of the exact value (`metrics.durations`).

Without built, current rollups (`rollups.state`), or on a connection with `execution_options(**RAW)` (the
reference for `cli.py rollup --verify` and the tests), everything is computed from the tickets, medians
exactly.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Iterable, Sequence

import pandas as pd
from sqlalchemy import Connection, Date, and_, bindparam, func, inspect, literal_column, or_, select, union_all

from data_access import rollups
from data_access import ticket_measures as tm
from data_access.schema import ROLLUP_TABLES, RollupTable, Ticket, rollup_state
from data_access.scope import Scope, TicketFilter, rollup_conditions, ticket_conditions
from data_access.sql import as_counts, as_dates, exact_median, fetch
from data_access.sqlfuncs import day_of, unindexed
from domain import periods
from metrics import durations

T = Ticket.__table__

KEYS = ("day", "street_id", "community_id", "grid_cell_id", "category", "channel")
RAW = {"figures_from_tickets": True}  # conn.execution_options(**RAW): skip the rollups
SHARED = {"share_pending": True}  # engine.execution_options(**SHARED): a reader that never writes tickets

_TICKET_KEYS = {
    "day": day_of(T.c.received_at),
    "street_id": T.c.street_id,
    "community_id": T.c.community_id,
    "grid_cell_id": T.c.grid_cell_id,
    "category": T.c.category,
    "channel": T.c.channel,
}

# Columns the scope and filter narrow on: in a correction they must not steer SQLite's index choice.
_FILTER_COLUMNS = frozenset({"received_at", "street_id", "community_id", "category", "channel", "excluded"})

# Engines whose database has the rollup tables (they do not disappear while the app runs).
_HAS_TABLES: "weakref.WeakSet" = weakref.WeakSet()


def rollups_in_use(conn: Connection) -> bool:
    """Whether figures on this connection come from the rollups: built with the current definitions, and
    not switched off for the connection (RAW)."""
    if conn.get_execution_options().get("figures_from_tickets"):
        return False
    engine = conn.engine
    if engine not in _HAS_TABLES:
        if not inspect(conn).has_table(rollup_state.name):
            return False
        _HAS_TABLES.add(engine)
    stamp = rollups.stamp(conn)
    return stamp is not None and stamp[0] == rollups.ROLLUP_VERSION


# ---------------------------------------------------------------------------------------------- plan


@dataclass
class Plan:
    """Where each part of a window is read from (see the module docstring)."""

    month_table: RollupTable | None = None
    months_from: dt.date | None = None  # first month start (None: no lower bound)
    months_to: dt.date | None = None  # last month start (None: no upper bound)
    skip_months: list[dt.date] = field(default_factory=list)  # months holding a dirty day
    day_table: RollupTable | None = None
    day_ranges: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # [first, last + 1) from day_table
    skip_days: list[dt.date] = field(default_factory=list)  # dirty days inside day_ranges
    raw_ranges: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # [first, last + 1) from the tickets
    everything_raw: bool = False

    @property
    def uses_rollups(self) -> bool:
        return self.month_table is not None or bool(self.day_ranges)


def _choose(grain: str, dims: set[str], columns: Sequence[str], histogram: bool) -> RollupTable | None:
    """The smallest rollup table of this grain that has every needed dimension and count."""
    fits = [
        t for t in ROLLUP_TABLES
        if t.grain == grain and t.histogram == histogram and dims <= t.dims and set(columns) <= set(t.counts)
    ]
    return min(fits, key=lambda t: len(t.dims)) if fits else None


def _needed_dims(scope: Scope, flt: TicketFilter, keys: Sequence[str]) -> set[str]:
    dims = set(keys)
    if scope.community_ids is not None or flt.community_ids is not None:
        dims.add("community_id")
    if flt.categories is not None:
        dims.add("category")
    if flt.channels is not None:
        dims.add("channel")
    return dims


def make_plan(
    flt: TicketFilter, dims: set[str], columns: Sequence[str], dirty: set[dt.date], *, histogram: bool = False
) -> Plan:
    """Split the filter's window between month rows, day rows and the tickets (pure; see the module doc)."""
    since, until = flt.since, flt.until
    plan = Plan()
    if since is not None and until is not None and since > until:
        return plan
    end = None if until is None else until + dt.timedelta(days=1)  # exclusive
    in_window = sorted(d for d in dirty if (since is None or d >= since) and (end is None or d < end))
    dirty_months = sorted({periods.month_start(d) for d in in_window})
    plan.month_table = None if "day" in dims else _choose("month", dims, columns, histogram)
    plan.day_table = _choose("day", dims, columns, histogram)

    spans: list[tuple[dt.date | None, dt.date | None]] = []  # day spans not covered by month rows
    if plan.month_table is not None:
        first_full = since if since is None or since.day == 1 else _next_month(since)
        last_full = None if end is None else periods.month_start(end) - dt.timedelta(days=1)  # last day of a full month
        if first_full is not None and last_full is not None and first_full > last_full:
            plan.month_table = None  # no whole month in the window
        else:
            plan.months_from = first_full
            plan.months_to = None if last_full is None else periods.month_start(last_full)
            plan.skip_months = dirty_months
            if since is not None and first_full is not None and since < first_full:
                spans.append((since, first_full))
            if end is not None and last_full is not None and last_full + dt.timedelta(days=1) < end:
                spans.append((last_full + dt.timedelta(days=1), end))
            for month in dirty_months:
                lo, hi = max(month, since or month), _next_month(month)
                spans.append((lo, hi if end is None else min(hi, end)))
    if plan.month_table is None:
        spans = [(since, end)]

    if plan.day_table is None:
        if any(a is None or b is None for a, b in spans):
            plan.everything_raw = True
            return plan
        plan.raw_ranges = _merge([(a, b) for a, b in spans if a < b])  # type: ignore[operator]
        return plan
    plan.day_ranges = [(a, b) for a, b in spans if a is None or b is None or a < b]  # type: ignore[misc]
    plan.skip_days = in_window
    plan.raw_ranges = _merge([(d, d + dt.timedelta(days=1)) for d in in_window])
    return plan


# -------------------------------------------------------------------------------------------- counts


def sum_counts(
    conn: Connection,
    scope: Scope,
    flt: TicketFilter,
    *,
    columns: Sequence[str],
    keys: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """`keys` then `columns` (int64): the counts of the non-excluded tickets in scope that the filter selects,
    grouped by `keys`, exact at `now` (needed for the clock-dependent counts). Groups without tickets do not
    appear (a grouped frame may be empty; an ungrouped one is one row, zeros when nothing matches). Missing
    unit ids come out as NULL, as from the tickets."""
    columns, keys = tuple(columns), tuple(keys)
    unknown = [k for k in keys if k not in KEYS] + [c for c in columns if c not in tm.ROLLUP_COUNT_COLUMNS]
    if unknown:
        raise ValueError(f"unknown key or count: {', '.join(unknown)}")
    if now is None and tm.is_clock_dependent(columns):
        raise ValueError("these counts depend on the clock: pass now")
    raw_keys = [_TICKET_KEYS[k].label(k) for k in keys]
    if not rollups_in_use(conn):
        stmt = select(*raw_keys, *tm.count_exprs(columns, now)).where(*ticket_conditions(scope, flt))
        return _counts_frame(fetch(conn, scope, stmt.group_by(*raw_keys) if keys else stmt), keys, columns)

    plan = make_plan(flt, _needed_dims(scope, flt, keys), columns, rollups.dirty_days(conn))
    parts = []
    for table, conds in _rollup_sources(plan):
        tb = table.table
        parts.append(select(*_rollup_keys(tb, keys), *(tb.c[c].label(c) for c in columns)).where(*conds, *rollup_conditions(scope, flt, table)))
    if plan.everything_raw or plan.raw_ranges:
        where = [*ticket_conditions(scope, flt)]
        if not plan.everything_raw:
            where.append(tm.in_ranges(T.c.received_at, _as_times(plan.raw_ranges), "raw"))
        parts.append(select(*raw_keys, *tm.count_exprs(columns, now)).where(*where).group_by(*raw_keys))
    if not parts:
        frame = _counts_frame(pd.DataFrame(columns=[*keys, *columns]), keys, columns)
    else:
        union = union_all(*parts).subquery("parts")
        outer_keys = [union.c[k] for k in keys]
        stmt = select(*outer_keys, *(tm.summed(union.c[c]).label(c) for c in columns))
        frame = _counts_frame(fetch(conn, scope, stmt.group_by(*outer_keys) if keys else stmt), keys, columns)
    if plan.uses_rollups and now is not None and tm.is_clock_dependent(columns):
        pending = _narrow(pending_corrections(conn, now), scope, flt, plan.raw_ranges)
        frame = _corrected(frame, pending, keys, [c for c in columns if c in tm.NOW_DEPENDENT])
    return frame


# ------------------------------------------------------------------------------- clock corrections

_PENDING_LOCK = threading.Lock()
_PENDING: dict[str, tuple[tuple, pd.DataFrame]] = {}  # per database: (minute, rollup state) → corrections
_COMPUTING: dict[str, threading.Lock] = {}  # per database: held while one reader computes them


def pending_corrections(conn: Connection, now: dt.datetime) -> pd.DataFrame:
    """KEYS then tm.NOW_DEPENDENT: −(settled − exact) of the clock-dependent counts over every pending
    ticket at `now` (open and not yet due, or uncontacted inside the contact window), per received day,
    unit, category and channel.

    Every figure of the same minute needs a slice of this, whatever its scope, window or grouping; reading
    the pending tickets (tens of thousands at 10,000,000 tickets) once per minute and rollup state — not
    once per figure and viewer — is what keeps many viewers fast. On connections of an engine with
    `execution_options(**SHARED)` (the app's read-only engine, `ui.data.engine_for`) it is kept per
    database, for the minute and the rollups' build/refresh stamp it was computed under: a refresh changes
    what the rollups hold, so it starts a new entry; tickets changed since the refresh are on dirty days,
    which readers take from the tickets and remove from these corrections (`_narrow`). Elsewhere (writers,
    tests writing in a transaction) it is read afresh: a shared entry must never hold uncommitted writes.
    """
    shared = bool(conn.get_execution_options().get("share_pending"))
    if not shared:
        return _read_pending(conn, now)
    stamp = (now, rollups.stamp(conn))
    url = conn.engine.url.render_as_string(hide_password=False)
    with _PENDING_LOCK:
        computing = _COMPUTING.setdefault(url, threading.Lock())
    # One reader computes; viewers arriving meanwhile (a minute's turn, a cold start) wait for its result
    # instead of each reading the same pending tickets.
    with computing:
        with _PENDING_LOCK:
            kept = _PENDING.get(url)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        frame = _read_pending(conn, now)
        with _PENDING_LOCK:
            _PENDING[url] = (stamp, frame)
    return frame


def _read_pending(conn: Connection, now: dt.datetime) -> pd.DataFrame:
    scope = Scope.public_screen()  # no unit restriction; the strictest column check
    stmt = _correction(scope, TicketFilter(), KEYS, tm.NOW_DEPENDENT, now, Plan())
    return _counts_frame(fetch(conn, scope, stmt), KEYS, tm.NOW_DEPENDENT)


def _narrow(frame: pd.DataFrame, scope: Scope, flt: TicketFilter, raw_ranges: list[tuple[dt.date, dt.date]]) -> pd.DataFrame:
    """The rows of a corrections frame that a scope and filter select, outside the days read from the
    tickets (the same narrowing as `ticket_conditions`, in memory)."""
    keep = pd.Series(True, index=frame.index)
    for column, ids in (("street_id", scope.street_ids), ("community_id", scope.community_ids),
                        ("street_id", flt.street_ids), ("community_id", flt.community_ids)):
        if ids is not None:
            keep &= frame[column].isin(list(ids)).fillna(False)
    if flt.categories is not None:
        keep &= frame["category"].isin(list(flt.categories))
    if flt.channels is not None:
        keep &= frame["channel"].isin(list(flt.channels))
    if flt.since is not None:
        keep &= frame["day"] >= flt.since
    if flt.until is not None:
        keep &= frame["day"] <= flt.until
    for first, end in raw_ranges:
        keep &= ~((frame["day"] >= first) & (frame["day"] < end))
    return frame[keep.astype(bool)]


def _corrected(frame: pd.DataFrame, pending: pd.DataFrame, keys: Sequence[str], columns: list[str]) -> pd.DataFrame:
    """`frame` (settled sums) with the pending corrections of `columns` added, per group of `keys`."""
    if not keys:
        totals = pending[columns].sum()
        frame = frame.copy()
        for col in columns:
            frame.loc[0, col] = int(frame.loc[0, col]) + int(totals[col])
        return frame
    grouped = pending.groupby(list(keys), dropna=False)[columns].sum().reset_index()
    merged = frame.merge(grouped, on=list(keys), how="outer", suffixes=("", "_correction"))
    for col in columns:
        merged[col] = merged[col].fillna(0) + merged[f"{col}_correction"].fillna(0)
    count_columns = [c for c in frame.columns if c not in keys]
    merged[count_columns] = merged[count_columns].fillna(0).astype("int64")
    return merged[list(frame.columns)].reset_index(drop=True)


def _correction(scope: Scope, flt: TicketFilter, keys: Sequence[str], columns: Sequence[str], now: dt.datetime, plan: Plan):  # type: ignore[no-untyped-def]
    """The statement of −(settled − exact) of the clock-dependent columns over the pending tickets of the
    days the rollups answer (everything in the window but `plan.raw_ranges`), grouped by `keys`."""
    pending = tm.pending(now)
    # The filter's columns must not lead SQLite away from the pending indexes (see sqlfuncs.unindexed).
    filters = SimpleNamespace(**{name: unindexed(col) if name in _FILTER_COLUMNS else col for name, col in pending.c.items()})
    group = [(day_of(pending.c.received_at) if k == "day" else pending.c[k]).label(k) for k in keys]
    where = ticket_conditions(scope, flt, columns=filters)
    where.append(tm.not_in_ranges(filters.received_at, _as_times(plan.raw_ranges), "cor"))
    stmt = select(*group, *tm.correction_exprs(columns, now, pending.c)).select_from(pending).where(*where)
    return stmt.group_by(*group) if keys else stmt


def _rollup_sources(plan: Plan) -> list[tuple[RollupTable, list]]:
    """(table, time conditions) of the rollup parts of a plan."""
    sources = []
    if plan.month_table is not None:
        col = plan.month_table.table.c.period_start
        conds = []
        if plan.months_from is not None:
            conds.append(col >= bindparam("months_from", plan.months_from, type_=Date()))
        if plan.months_to is not None:
            conds.append(col <= bindparam("months_to", plan.months_to, type_=Date()))
        if plan.skip_months:
            conds.append(col.not_in(plan.skip_months))
        sources.append((plan.month_table, conds))
    if plan.day_table is not None and plan.day_ranges:
        col = plan.day_table.table.c.period_start
        spans = []
        for i, (a, b) in enumerate(plan.day_ranges):
            bounds = []
            if a is not None:
                bounds.append(col >= bindparam(f"days{i}a", a, type_=Date()))
            if b is not None:
                bounds.append(col < bindparam(f"days{i}b", b, type_=Date()))
            spans.append(and_(*bounds) if bounds else literal_column("1") == literal_column("1"))
        conds = [or_(*spans)]
        if plan.skip_days:
            conds.append(col.not_in(plan.skip_days))
        sources.append((plan.day_table, conds))
    return sources


def _rollup_keys(tb, keys: Sequence[str]) -> list:  # type: ignore[no-untyped-def]
    out = []
    for key in keys:
        if key == "day":
            out.append(tb.c.period_start.label("day"))
        elif key.endswith("_id"):
            out.append(func.nullif(tb.c[key], 0).label(key))  # 0 stands for "none" in a key column
        else:
            out.append(tb.c[key].label(key))
    return out


def _counts_frame(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    frame = as_counts(frame, columns)
    if not keys and frame.empty:
        frame = pd.DataFrame([{c: 0 for c in columns}])
    for key in keys:
        if key.endswith("_id"):
            frame[key] = pd.array(pd.to_numeric(frame[key]), dtype="Int64")
        elif key == "day":
            frame[key] = as_dates(frame[key]) if len(frame) else pd.Series(dtype="object")
    return frame[[*keys, *columns]].reset_index(drop=True)


# ----------------------------------------------------------------------------------------- durations


def sum_histogram(conn: Connection, scope: Scope, flt: TicketFilter, stages: Sequence[str] = tm.STAGE_TIMES) -> pd.DataFrame:
    """stage, bucket, n: how many durations of each stage fall in each `metrics.durations` bucket, over the
    non-excluded tickets in scope that the filter selects (rollups where they can answer, else the tickets)."""
    codes = {stage: tm.STAGE_TIMES.index(stage) for stage in stages}
    plan = make_plan(flt, _needed_dims(scope, flt, ()), (), rollups.dirty_days(conn), histogram=True)
    parts = []
    for table, conds in _rollup_sources(plan):
        tb = table.table
        parts.append(
            select(tb.c.stage, tb.c.bucket, tb.c.n).where(*conds, *rollup_conditions(scope, flt, table), tb.c.stage.in_(list(codes.values())))
        )
    if plan.everything_raw or plan.raw_ranges:
        where = [*ticket_conditions(scope, flt)]
        if not plan.everything_raw:
            where.append(tm.in_ranges(T.c.received_at, _as_times(plan.raw_ranges), "raw"))
        for stage, code in codes.items():
            bucket = tm.duration_bucket(tm.stage_seconds(stage))
            parts.append(
                select(literal_column(str(code)).label("stage"), bucket.label("bucket"), func.count().label("n"))
                .where(*where, *tm.stage_duration_conditions(stage))
                .group_by(bucket)
            )
    if not parts:
        return pd.DataFrame({"stage": pd.Series(dtype="object"), "bucket": pd.Series(dtype="int64"), "n": pd.Series(dtype="int64")})
    union = union_all(*parts).subquery("parts")
    stmt = select(union.c.stage, union.c.bucket, func.sum(union.c.n).label("n")).group_by(union.c.stage, union.c.bucket)
    frame = fetch(conn, scope, stmt)
    names = {code: stage for stage, code in codes.items()}
    frame["stage"] = [names[int(c)] for c in pd.to_numeric(frame["stage"])]
    frame["bucket"] = pd.to_numeric(frame["bucket"]).astype("int64")
    frame["n"] = pd.to_numeric(frame["n"]).astype("int64")
    return frame


def stage_medians(conn: Connection, scope: Scope, flt: TicketFilter, stages: Sequence[str] = tm.STAGE_TIMES) -> pd.DataFrame:
    """stage, n, median_seconds (NaN when n is 0), approximate: the median duration of each stage.

    From the duration histograms (approximate=True: within 1 % + 0.5 h of the exact median, see
    `metrics.durations`) when the rollups are in use; else exactly, with `sql.exact_median`.
    """
    rows = []
    if rollups_in_use(conn):
        hist = sum_histogram(conn, scope, flt, stages)
        for stage in stages:
            part = hist[hist["stage"] == stage]
            n, median = durations.median_from_counts(part["bucket"], part["n"])
            rows.append({"stage": stage, "n": n, "median_seconds": float("nan") if median is None else median, "approximate": True})
    else:
        for stage in stages:
            conds = [*ticket_conditions(scope, flt), *tm.stage_duration_conditions(stage)]
            n, median = exact_median(conn, scope, tm.stage_seconds(stage), conds)
            rows.append({"stage": stage, "n": n, "median_seconds": float("nan") if median is None else median, "approximate": False})
    return pd.DataFrame(rows, columns=["stage", "n", "median_seconds", "approximate"])


# ------------------------------------------------------------------------------------------- helpers


def _next_month(day: dt.date) -> dt.date:
    return periods.month_end(day) + dt.timedelta(days=1)


def _merge(ranges: Iterable[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    merged: list[tuple[dt.date, dt.date]] = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _as_times(ranges: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(dt.datetime.combine(a, dt.time()), dt.datetime.combine(b, dt.time())) for a, b in ranges]
