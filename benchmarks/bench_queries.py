"""Benchmark: the dashboard's aggregate queries against the naive load-everything-into-pandas way.

    python cli.py bench [--sizes 100000,1000000] [--backends sqlite,postgresql]
    python -m benchmarks.bench_queries            (same defaults)

For each backend and size it builds (or reuses) a sample district, then times, best of `repeat` runs:
- "aggregate": what the overview page needs — headline counts, counts by street, by community, by day,
  and the exact median time to close — computed in the database (data_access.queries);
- "naive": SELECT every ticket into pandas, then compute the same figures there (benchmarks.naive).
It checks that both give the same numbers and prints both timings, their ratio and the rows moved.
Not a test: run it by hand; the figures go into the closing note.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from benchmarks import naive
from data_access import queries
from data_access.engine import make_engine
from data_access.schema import Ticket
from data_access.scope import Scope, TicketFilter
from domain.clock import local_now

BENCH_DIR = Path(tempfile.gettempdir()) / "street_dashboard_bench"


def _ticket_count(engine) -> int:  # type: ignore[no-untyped-def]
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Ticket.__table__)).scalar_one())
    except (OperationalError, ProgrammingError):
        return 0


def ensure_sample(engine, size: int, now: dt.datetime) -> float | None:  # type: ignore[no-untyped-def]
    """Build a sample of about `size` tickets unless one is there; the build time, or None if reused."""
    from sample_data.generator import build_sample

    have = _ticket_count(engine)
    if size * 0.95 <= have <= size * 1.15:
        return None
    started = time.perf_counter()
    build_sample(engine, tickets=size, now=now)
    return time.perf_counter() - started


def server_url_for(url: str, size: int) -> str:
    """A database of its own per size on a server (created if missing), so each size is built once."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    target = base.set(database=f"{base.database}_{size}")
    # Create it from the server's maintenance database: the base name need not exist.
    admin = make_engine(base.set(database="postgres" if base.get_backend_name() == "postgresql" else None).render_as_string(hide_password=False))
    try:
        if admin.dialect.name == "postgresql":
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)).first()
                if not exists:
                    conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
        else:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{target.database}` CHARACTER SET utf8mb4")
    finally:
        admin.dispose()
    return target.render_as_string(hide_password=False)


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


# The two questions timed: the whole year (every ticket scanned) and the overview's default, the last 30
# days (the received_at index narrows the scan; the naive way still loads everything, then filters).
WINDOWS = {"year": None, "30 days": 30}


def _window(now: dt.datetime, days: int | None) -> tuple[dt.date | None, dt.date | None]:
    if days is None:
        return None, None
    return now.date() - dt.timedelta(days=days - 1), now.date()


def aggregate_figures(engine, now: dt.datetime, days: int | None = None) -> dict:  # type: ignore[no-untyped-def]
    since, until = _window(now, days)
    scope, flt = Scope.district(), TicketFilter(since=since, until=until)
    with engine.connect() as conn:
        return {
            "headline": queries.rate_counts_for(conn, scope, flt, now=now),
            "median_hours": (queries.median_seconds_to_close(conn, scope, flt) or 0) / 3600,
            "by_street": queries.rate_counts(conn, scope, flt, now=now, by="street"),
            "by_community": queries.rate_counts(conn, scope, flt, now=now, by="community"),
            "by_day": queries.rate_counts(conn, scope, flt, now=now, by="day"),
        }


def naive_figures(engine, now: dt.datetime, days: int | None = None) -> dict:  # type: ignore[no-untyped-def]
    since, until = _window(now, days)
    with engine.connect() as conn:
        everything = naive.load_all_tickets(conn)
    frame = naive.select_period(everything, since, until)
    frame = frame.assign(day=frame["received_at"].dt.date)
    return {
        "headline": naive.naive_counts(frame, now),
        "median_hours": naive.naive_median_hours(frame) or 0,
        "by_street": naive.naive_by(frame, "street_id", now),
        "by_community": naive.naive_by(frame, "community_id", now),
        "by_day": naive.naive_by(frame, "day", now),
        "rows_loaded": len(everything),
    }


def _same(agg: dict, nai: dict) -> bool:
    if agg["headline"] != nai["headline"] or abs(agg["median_hours"] - nai["median_hours"]) > 1e-6:
        return False
    by_street = agg["by_street"].set_index("street_id")["tickets"]
    return all(by_street.get(int(k), 0) == v for k, v in zip(nai["by_street"]["street_id"], nai["by_street"]["tickets"]))


def run_benchmarks(
    *, sizes: list[int], backends: list[str], server_urls: dict[str, str], repeat: int = 3
) -> list[dict]:
    """Run and print the benchmark; the rows printed, as dicts."""
    now = local_now()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'backend':<11}{'tickets':>10}{'window':>9}{'build s':>9}{'aggregate s':>13}{'naive s':>10}{'ratio':>8}{'rows out':>10}{'rows naive':>12}  same")
    for backend in backends:
        for size in sizes:
            try:
                if backend == "sqlite":
                    url = f"sqlite:///{BENCH_DIR / f'bench_{size}.db'}"
                else:
                    url = server_url_for(server_urls[backend], size)
                engine = make_engine(url)
                built = ensure_sample(engine, size, now)
                tickets = _ticket_count(engine)
                for window, days in WINDOWS.items():
                    t_agg, agg = _best(lambda: aggregate_figures(engine, now, days), repeat)
                    t_naive, nai = _best(lambda: naive_figures(engine, now, days), max(1, repeat - 1))
                    rows_out = 1 + len(agg["by_street"]) + len(agg["by_community"]) + len(agg["by_day"]) + 2
                    row = dict(
                        backend=backend, tickets=tickets, window=window, build_s=built, aggregate_s=t_agg,
                        naive_s=t_naive, ratio=t_naive / t_agg, rows_out=rows_out, rows_naive=nai["rows_loaded"],
                        same=_same(agg, nai),
                    )
                    rows.append(row)
                    build = "reused" if built is None else f"{built:.1f}"
                    print(
                        f"{backend:<11}{tickets:>10,}{window:>9}{build:>9}{t_agg:>13.3f}{t_naive:>10.3f}{row['ratio']:>7.1f}x"
                        f"{rows_out:>10,}{nai['rows_loaded']:>12,}  {'yes' if row['same'] else 'NO'}",
                        flush=True,
                    )
                    built = None
            except OperationalError as exc:
                print(f"{backend:<11}{size:>10}  skipped: {str(exc.orig).splitlines()[0]}")
                continue
            engine.dispose()
    return rows


if __name__ == "__main__":
    run_benchmarks(
        sizes=[100_000, 1_000_000],
        backends=["sqlite", "postgresql"],
        server_urls={"postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/dash_bench"},
    )
