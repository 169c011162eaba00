"""Keeping the rollups (pre-aggregated daily and monthly figures, `schema.ROLLUP_TABLES`) in step with the
tickets: build them, mark what changed, fold the changes in.

* Every write path marks the received days of the tickets it wrote or changed (`mark_days`,
  `mark_tickets`) in its own transaction, so a change and its mark commit together. Readers
  (`data_access.figures`) take marked ("dirty") days from the tickets themselves, so a figure is exact the
  moment the write commits, whether or not the rollups were refreshed since.
* `refresh` recomputes the rollup rows of the dirty days (and of the months holding them) and clears
  exactly the marks it read — a mark written meanwhile stays for the next refresh. The writers call it
  (`cli.py simulate` every minute, `cli.py import` at the end); `cli.py rollup --refresh` does it by hand.
* `rebuild` recomputes everything (`cli.py rollup --rebuild`, the end of `cli.py sample`); it runs in one
  transaction, so readers keep seeing the old rollups until it commits.
* The rollups hold *settled* counts (`ticket_measures`); readers correct the few tickets whose deadlines
  are still ahead, so nothing here depends on the clock.

Each table is filled from the tickets or, where a finer table of the same grain holds its dimensions, from
that table (a month from its days), so the tickets are read once per family of tables.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from data_access import ticket_measures as tm
from data_access.schema import ROLLUP_TABLES, RollupTable, Ticket, create_schema, rollup_dirty, rollup_state
from data_access.scope import ticket_conditions
from data_access.sqlfuncs import day_of, month_of
from domain import periods

T = Ticket.__table__

# Bump when a count's definition, a table or the bucket layout changes: readers then fall back to the tickets
# until `cli.py rollup --rebuild` has run with the new definitions.
ROLLUP_VERSION = 2  # 2: rollup_state.generation
IN_CHUNK = 500  # days or ids per IN (...) list


@dataclass(frozen=True)
class RollupState:
    version: int
    generation: int | None
    built_at: dt.datetime
    refreshed_at: dt.datetime
    tickets: int

    @property
    def current(self) -> bool:
        return self.version == ROLLUP_VERSION


@dataclass(frozen=True)
class RefreshSummary:
    days: int
    months: int
    seconds: float


# ------------------------------------------------------------------------------------------ marks


def mark_days(conn: Connection, days: Iterable[dt.date]) -> None:
    """Mark received days whose tickets were written or changed in this transaction."""
    distinct = sorted({d.date() if isinstance(d, dt.datetime) else d for d in days if d is not None})
    if distinct:
        conn.execute(insert(rollup_dirty), [{"day": d} for d in distinct])


def mark_tickets(conn: Connection, ticket_ids: Iterable[int]) -> None:
    """Mark the received days of these tickets (call it after changing them, in the same transaction)."""
    ids = sorted({int(i) for i in ticket_ids})
    for chunk in _chunks(ids):
        days = select(day_of(T.c.received_at).label("day")).where(T.c.id.in_(chunk)).distinct()
        conn.execute(insert(rollup_dirty).from_select(["day"], days))


def dirty_days(conn: Connection) -> set[dt.date]:
    """The days marked since the last refresh."""
    return {_as_date(d) for d in conn.execute(select(rollup_dirty.c.day).distinct()).scalars()}


def stamp(conn: Connection) -> tuple[int, int | None] | None:
    """(version, generation) of the rollups in one small read — the generation grows with every rebuild and
    refresh; None if never built. Read column by name, so a state table of an older version (without a
    generation) still tells its version (the rollup_state table must exist: see `state`)."""
    row = conn.execute(text("SELECT * FROM rollup_state WHERE id = 1")).mappings().first()
    return None if row is None else (int(row["version"]), row.get("generation"))


def state(conn: Connection) -> RollupState | None:
    """When and with which definitions the rollups were built; None if never (or the tables are missing)."""
    from sqlalchemy import inspect

    if not inspect(conn).has_table(rollup_state.name):
        return None
    row = conn.execute(text("SELECT * FROM rollup_state WHERE id = 1")).mappings().first()
    if row is None:
        return None
    return RollupState(
        int(row["version"]), row.get("generation"), _as_datetime(row["built_at"]), _as_datetime(row["refreshed_at"]),
        int(row["tickets"]),
    )


# -------------------------------------------------------------------------------------- build steps


def _source(table: RollupTable) -> RollupTable | None:
    """The table `table` is filled from: its day table (a month table), else the finest table of the same
    grain, unit and kind whose dimensions include its own; None: from the tickets."""
    if table.grain == "month":
        for other in ROLLUP_TABLES:
            if (other.grain, other.unit, other.histogram, other.category, other.channel) == (
                "day", table.unit, table.histogram, table.category, table.channel
            ):
                return other
    candidates = [
        other for other in ROLLUP_TABLES
        if other is not table and (other.grain, other.unit, other.histogram) == (table.grain, table.unit, table.histogram)
        and other.dims > table.dims and set(other.counts) >= set(table.counts)
    ]
    return min(candidates, key=lambda o: len(o.dims)) if candidates else None


def build_order() -> list[RollupTable]:
    """Every rollup table after the one it is filled from."""
    done: list[RollupTable] = []
    pending = list(ROLLUP_TABLES)
    while pending:
        for table in pending:
            source = _source(table)
            if source is None or source in done:
                done.append(table)
                pending.remove(table)
                break
        else:  # pragma: no cover - a cycle would be a bug in _source
            raise RuntimeError("rollup tables depend on each other in a cycle")
    return done


def _period(table: RollupTable, column):  # type: ignore[no-untyped-def]
    return day_of(column) if table.grain == "day" else month_of(column)


def _ticket_keys(table: RollupTable) -> list:
    keys = [
        _period(table, T.c.received_at).label("period_start"),
        func.coalesce(T.c.street_id, 0).label("street_id"),
    ]
    if table.unit != "street":
        keys.append(func.coalesce(T.c.community_id, 0).label("community_id"))
    if table.unit == "grid_cell":
        keys.append(func.coalesce(T.c.grid_cell_id, 0).label("grid_cell_id"))
    if table.category:
        keys.append(T.c.category.label("category"))
    if table.channel:
        keys.append(T.c.channel.label("channel"))
    return keys


def _key_names(table: RollupTable) -> list[str]:
    return [c.name for c in table.table.primary_key.columns if c.name not in ("stage", "bucket")]


def _from_tickets(table: RollupTable, received_ranges: list[tuple[dt.datetime, dt.datetime]] | None):  # type: ignore[no-untyped-def]
    """SELECT of `table`'s rows computed from the tickets (all, or those received in the ranges)."""
    where = ticket_conditions_all()
    if received_ranges is not None:
        where.append(tm.in_ranges(T.c.received_at, received_ranges, "rcv"))
    keys = _ticket_keys(table)
    if table.histogram:
        source, stage, seconds, conditions = tm.stage_durations()
        group = [*keys, stage.label("stage"), tm.duration_bucket(seconds).label("bucket")]
        return select(*group, func.count().label("n")).select_from(source).where(*where, *conditions).group_by(*group)
    needs_events = any(c in tm.EVENT_COLUMNS for c in table.counts)
    narrow = None if received_ranges is None else tm.in_ranges(T.c.received_at, received_ranges, "evt")
    flags = tm.event_flags(narrow) if needs_events else None
    stmt = select(*keys, *tm.count_exprs(table.counts, None, flags=flags))
    if flags is not None:
        stmt = stmt.select_from(T.outerjoin(flags, flags.c.ticket_id == T.c.id))
    return stmt.where(*where).group_by(*keys)


def ticket_conditions_all() -> list:
    """The tickets every rollup counts: all that are not excluded (剔单), in every unit."""
    from data_access.scope import ALL, Scope

    return ticket_conditions(Scope.district(), ALL)


def _from_table(table: RollupTable, source: RollupTable, periods_in: list[tuple[dt.date, dt.date]] | None):  # type: ignore[no-untyped-def]
    """SELECT of `table`'s rows summed from a finer table (rows whose period lies in the ranges, or all)."""
    src = source.table
    period = src.c.period_start if table.grain == source.grain else month_of(src.c.period_start)
    keys = [period.label("period_start"), *(src.c[name] for name in _key_names(table)[1:])]
    if table.histogram:
        keys += [src.c.stage, src.c.bucket]
        values = [func.sum(src.c.n).label("n")]
    else:
        values = [func.sum(src.c[c]).label(c) for c in table.counts]
    stmt = select(*keys, *values).group_by(*keys)
    if periods_in is not None:
        stmt = stmt.where(tm.in_ranges(src.c.period_start, periods_in, "per"))
    return stmt


def _fill(conn: Connection, table: RollupTable, days: list[dt.date] | None) -> None:
    """Delete and recompute `table`'s rows: of these days (and the months holding them), or all rows."""
    source = _source(table)
    if days is None:
        conn.execute(delete(table.table))
        select_rows = _from_tables_or_tickets(table, source, None, None)
    else:
        if table.grain == "day":
            starts = days
            day_ranges = _day_ranges(days)
        else:
            starts = sorted({periods.month_start(d) for d in days})
            day_ranges = [(m, _next_month(m)) for m in starts]
        for chunk in _chunks(starts):
            conn.execute(delete(table.table).where(table.table.c.period_start.in_(chunk)))
        received = [(_midnight(a), _midnight(b)) for a, b in day_ranges]
        select_rows = _from_tables_or_tickets(table, source, received, day_ranges)
    names = [c.name for c in select_rows.selected_columns]
    conn.execute(insert(table.table).from_select(names, select_rows))


def _from_tables_or_tickets(table, source, received, day_ranges):  # type: ignore[no-untyped-def]
    if source is None:
        return _from_tickets(table, received)
    return _from_table(table, source, day_ranges)


def _write_state(conn: Connection, *, now: dt.datetime, built: bool) -> None:
    tickets = int(conn.execute(select(func.count()).select_from(T)).scalar_one())
    if built:
        conn.execute(delete(rollup_state))
        conn.execute(insert(rollup_state).values(
            id=1, version=ROLLUP_VERSION, generation=1, built_at=now, refreshed_at=now, tickets=tickets
        ))
    else:
        conn.execute(rollup_state.update().where(rollup_state.c.id == 1).values(
            generation=rollup_state.c.generation + 1, refreshed_at=now, tickets=tickets
        ))


# ------------------------------------------------------------------------------------------ commands


def rebuild(engine: Engine, *, now: dt.datetime, progress: Callable[[str], None] | None = None) -> float:
    """Recompute every rollup from the tickets in one transaction; the seconds it took. Statistics are
    refreshed afterwards (ANALYZE), so the planners know the new tables' sizes."""
    started = time.perf_counter()
    create_schema(engine)
    with engine.begin() as conn:
        if current_columns(conn) != {c.name for c in rollup_state.columns}:
            rollup_state.drop(conn)  # a state table of an older version: derived data, made anew
            rollup_state.create(conn)
        rebuild_in(conn, now=now, progress=progress)
    analyze(engine)
    return time.perf_counter() - started


def rebuild_in(conn: Connection, *, now: dt.datetime, progress: Callable[[str], None] | None = None) -> None:
    """`rebuild` inside the caller's transaction (the tables must exist)."""
    _sort_memory(conn)
    conn.execute(delete(rollup_dirty))
    for table in build_order():
        if progress:
            progress(table.name)
        _fill(conn, table, None)
    _write_state(conn, now=now, built=True)


def refresh(engine: Engine, *, now: dt.datetime) -> RefreshSummary:
    """Fold the dirty days into the rollups (nothing to do when there are none, or no rollups were built)."""
    started = time.perf_counter()
    with engine.begin() as conn:
        days = refresh_in(conn, now=now)
    months = len({periods.month_start(d) for d in days})
    return RefreshSummary(len(days), months, time.perf_counter() - started)


def refresh_in(conn: Connection, *, now: dt.datetime) -> list[dt.date]:
    """`refresh` inside the caller's transaction; the days it folded in. It clears exactly the marks it read:
    a mark another writer commits meanwhile stays for the next refresh."""
    current = state(conn)
    if current is None or not current.current:
        return []
    marks = conn.execute(select(rollup_dirty.c.id, rollup_dirty.c.day)).all()
    if not marks:
        return []
    days = sorted({_as_date(day) for _, day in marks})
    _sort_memory(conn)
    for table in build_order():
        _fill(conn, table, days)
    for chunk in _chunks([mark_id for mark_id, _ in marks]):
        conn.execute(delete(rollup_dirty).where(rollup_dirty.c.id.in_(chunk)))
    _write_state(conn, now=now, built=False)
    return days


SORT_MEMORY = "256MB"  # PostgreSQL's default 4 MB made the month steps' GROUP BY spill to disk


def _sort_memory(conn: Connection) -> None:
    """More memory for this transaction's sorts and hashes on PostgreSQL (SET LOCAL ends with it)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{SORT_MEMORY}'")


def current_columns(conn: Connection) -> set[str]:
    """The columns the database's rollup_state table has."""
    from sqlalchemy import inspect

    return {c["name"] for c in inspect(conn).get_columns(rollup_state.name)}


def analyze(engine: Engine) -> None:
    """Refresh the query planner's statistics (after a bulk load or a rebuild). SQLite has none until it
    runs ANALYZE and then picks bad indexes; the PostgreSQL server here runs without autovacuum."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        else:
            tables = ", ".join(["ticket", "ticket_event", *(t.name for t in ROLLUP_TABLES)])
            conn.exec_driver_sql(f"ANALYZE TABLE {tables}")
        conn.commit()


# ------------------------------------------------------------------------------------------- helpers


def _chunks(items: list, size: int = IN_CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _day_ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as half-open [first, last + 1) ranges of consecutive days."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] == day:
            ranges[-1] = (ranges[-1][0], day + dt.timedelta(days=1))
        else:
            ranges.append((day, day + dt.timedelta(days=1)))
    return ranges


def _next_month(day: dt.date) -> dt.date:
    return periods.month_end(day) + dt.timedelta(days=1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _as_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
