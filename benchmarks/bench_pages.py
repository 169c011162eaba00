"""Benchmark: the data work of every page, exactly as the page asks for it, and each page's server time.

    python cli.py bench --pages [--sizes 1000000] [--backends sqlite,postgresql] [--repeat 3]

For each backend and size it builds (or reuses) a sample district with its rollups, then for every page and
scenario (the default period, this year, one street as its secretary, one community):

1. **records** the calls the real page script makes to the cached data seams (`ui/data/`): the page runs
   under AppTest with every seam function wrapped by a recorder, so the benchmark times what the page asks
   for, not a copy of it that could drift;
2. **replays** them in a fresh process: *cold* — empty caches, a new engine and connection, as after a
   restart; *repeat* — the median over `repeat` more replays with the caches cleared (the database warm);
   *cached* — the replay answered by Streamlit's caches, what a second viewer within the minute waits for;
3. times the **page script** itself (AppTest, caches warm): wall and CPU milliseconds per page view — the
   server's cost of one viewer's click, rendering included.

Beside it, the naive baseline: every ticket loaded into pandas and the overview's figures computed there
(`benchmarks.naive`), once per database. Not a test: run it by hand; the figures go into the closing note.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PUBLIC_APP = str(ROOT / "public_app.py")  # the public screen as its own app (the same render function as /public)
SEAM_MODULES = ("ui.data", "ui.data.flow", "ui.data.grid_map", "ui.data.overdue", "ui.data.public", "ui.data.quality")
SIDEBAR_CALLS = {("ui.data", "streets"), ("ui.data", "communities"), ("ui.data", "categories")}
PAGES = {
    "overview": "views/overview.py",
    "grid_map": "views/grid_map.py",
    "overdue": "views/overdue.py",
    "funnel": "views/funnel.py",
    "satisfaction": "views/satisfaction.py",
    "community": "views/community.py",
    "public": None,  # the public screen: one full rotation of its panels
}
PUBLIC_PANELS = 5


@dataclass
class Call:
    module: str
    name: str
    args: tuple
    kwargs: dict

    def run(self) -> Any:
        import importlib

        return getattr(importlib.import_module(self.module), self.name)(*self.args, **self.kwargs)


@dataclass
class Scenario:
    name: str
    params: dict[str, str]
    account: Any = "supervisor"  # a role code (whole district) or an auth_policy.Account


@dataclass
class PageTiming:
    page: str
    scenario: str
    calls: int
    cold_s: float = float("nan")
    repeat_s: float = float("nan")
    cached_s: float = float("nan")
    script_ms: float = float("nan")
    script_cpu_ms: float = float("nan")
    rss_mb: float = float("nan")
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------- recording


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Wrap every cached seam function so each call is also written down (in order)."""
    import importlib

    calls: list[Call] = []
    originals: list[tuple[Any, str, Any]] = []
    for module_name in SEAM_MODULES:
        module = importlib.import_module(module_name)
        for name, fn in list(vars(module).items()):
            if type(fn).__name__ not in ("CachedFunc", "CacheDataFunc") and not hasattr(fn, "clear"):
                continue
            if name in ("engine_for", "last_good") or not callable(fn):
                continue

            def recorder(*args, _fn=fn, _module=module_name, _name=name, **kwargs):  # type: ignore[no-untyped-def]
                calls.append(Call(_module, _name, args, kwargs))
                return _fn(*args, **kwargs)

            originals.append((module, name, fn))
            setattr(module, name, recorder)
    try:
        yield calls
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


def _app(scenario: Scenario, now: dt.datetime):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from ui import keys

    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[keys.NOW_OVERRIDE] = now
    at.session_state[keys.TEST_ACCOUNT] = scenario.account
    for name, value in scenario.params.items():
        at.query_params[name] = value
    return at


def record_page(page: str, scenario: Scenario, now: dt.datetime) -> list[Call]:
    """The seam calls of one page view (the sidebar's included)."""
    import streamlit as st

    st.cache_data.clear()
    with recording() as calls:
        if page == "public":
            for panel in range(PUBLIC_PANELS):
                _raise_on_exception(_public_app(now, panel).run(), page, scenario)
            return list(calls)
        at = _app(scenario, now)
        at.run()
        sidebar = [c for c in calls if (c.module, c.name) in SIDEBAR_CALLS]
        if PAGES[page] != "views/overview.py":
            calls.clear()
            at.switch_page(PAGES[page]).run()
        _raise_on_exception(at, page, scenario)
        own = [c for c in calls if (c.module, c.name) not in SIDEBAR_CALLS]
        return sidebar + own


def _public_app(now: dt.datetime, panel: int):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from ui import keys

    at = AppTest.from_file(PUBLIC_APP, default_timeout=300)
    at.session_state[keys.NOW_OVERRIDE] = now
    at.query_params["panel"] = str(panel)
    return at


def _raise_on_exception(at, page: str, scenario: Scenario) -> None:  # type: ignore[no-untyped-def]
    if at.exception:
        raise RuntimeError(f"{page} / {scenario.name}: {at.exception[0].value}")


def time_script(page: str, scenario: Scenario, now: dt.datetime, runs: int = 3) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of one page script run with warm caches (AppTest; the public screen:
    its first panel)."""
    if page == "public":
        at = _public_app(now, 0)
    else:
        at = _app(scenario, now)
        at.run()
        if PAGES[page] != "views/overview.py":
            at.switch_page(PAGES[page])
    at.run()  # warms the caches
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        at.run()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    _raise_on_exception(at, page, scenario)
    return statistics.median(walls), statistics.median(cpus)


# ----------------------------------------------------------------------------------------- replaying


def replay(calls: list[Call], repeat: int) -> dict[str, float]:
    """Run in a fresh process: cold, repeat (caches cleared), cached timings of the calls, and peak RSS.

    The modules are imported first: a server imports them when it starts, not on a viewer's first click.
    Cold still pays everything else a fresh process pays (engine, first connection, first compilation of
    each statement)."""
    import importlib

    import streamlit as st

    for module in {call.module for call in calls}:
        importlib.import_module(module)

    def once() -> float:
        started = time.perf_counter()
        for call in calls:
            call.run()
        return time.perf_counter() - started

    cold = once()
    repeats = []
    for _ in range(repeat):
        st.cache_data.clear()
        repeats.append(once())
    cached = once()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"cold_s": cold, "repeat_s": statistics.median(repeats) if repeats else float("nan"), "cached_s": cached, "rss_mb": rss_mb}


def replay_in_fresh_process(calls: list[Call], url: str, repeat: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as fh:
        pickle.dump(calls, fh)
        path = fh.name
    try:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONWARNINGS": "ignore"}
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_pages", "--replay", path, "--repeat", str(repeat)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "replay failed")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(path)


# -------------------------------------------------------------------------------------------- driver


def scenarios(url: str) -> list[Scenario]:
    """The default period, this year, one street (as its secretary), one community (supervisor)."""
    from data_access import queries
    from data_access.engine import make_engine
    from data_access.scope import Scope
    from domain.auth_policy import Account

    engine = make_engine(url)
    with engine.connect() as conn:
        streets = queries.streets(conn, Scope.district())
        communities = queries.communities(conn, Scope.district())
    engine.dispose()
    street = streets.iloc[0]
    community = communities.iloc[len(communities) // 2]
    secretary = Account(id=0, username="bench-secretary", display_name="bench", role="secretary", street_id=int(street["id"]))
    return [
        Scenario("default", {}),
        Scenario("this_year", {"period": "this_year"}),
        Scenario("one_street", {}, secretary),
        Scenario("one_community", {"community": str(community["code"])}),
    ]


def bench_database(url: str, now: dt.datetime, repeat: int, pages: list[str], print_row: Callable[[PageTiming], None]) -> list[PageTiming]:
    """Every page × scenario on one database."""
    os.environ["DATABASE_URL"] = url
    os.environ["DASHBOARD_TEST_MODE"] = "1"  # AppTest signs in through the test seam (ui/auth.py)
    import streamlit as st

    st.cache_resource.clear()
    results = []
    for scenario in scenarios(url):
        for page in pages:
            if page == "public" and scenario.name != "default":
                continue  # the public screen has no filters
            timing = PageTiming(page, scenario.name, 0)
            try:
                calls = record_page(page, scenario, now)
                timing.calls = len(calls)
                timing.__dict__.update(replay_in_fresh_process(calls, url, repeat))
                timing.script_ms, timing.script_cpu_ms = time_script(page, scenario, now)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports a failing page and goes on
                timing.errors.append(f"{type(exc).__name__}: {exc}")
            results.append(timing)
            print_row(timing)
    return results


def _ensure_rollups(url: str, now: dt.datetime) -> None:
    """A reused sample built before the rollups existed gets them (the pages would read the tickets)."""
    from data_access import figures, rollups
    from data_access.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        current = figures.rollups_in_use(conn)
    if not current:
        rollups.rebuild(engine, now=now)
    engine.dispose()


def naive_seconds(url: str, now: dt.datetime) -> float:
    """The naive way's time for the overview's figures over the whole sample: every ticket into pandas."""
    from benchmarks.bench_queries import naive_figures
    from data_access.engine import make_engine

    engine = make_engine(url)
    started = time.perf_counter()
    naive_figures(engine, now, None)
    engine.dispose()
    return time.perf_counter() - started


HEADER = (
    f"{'backend':<11}{'tickets':>11}  {'page':<13}{'scenario':<14}{'calls':>6}{'cold s':>9}{'repeat s':>10}{'cached s':>10}"
    f"{'script ms':>11}{'cpu ms':>8}{'rss MB':>8}"
)


def sample_clock(url: str) -> dt.datetime:
    """The sample's own "now": its last received ticket, to the minute (a sample built earlier ends then;
    reading it at today's clock would leave its last days empty and every deadline long past)."""
    from sqlalchemy import func, select

    from data_access.engine import make_engine
    from data_access.sql import T, as_datetime

    engine = make_engine(url)
    with engine.connect() as conn:
        last = as_datetime(conn.execute(select(func.max(T.c.received_at))).scalar())
    engine.dispose()
    return (last or dt.datetime.now()).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def bench_url(backend: str, size: int, server_urls: dict[str, str], now: dt.datetime) -> tuple[str, int, float | None]:
    """(URL, tickets, build seconds or None) of the benchmark sample of this backend and size, built if
    missing (at `now`), with current rollups."""
    from benchmarks.bench_queries import BENCH_DIR, _ticket_count, ensure_sample, server_url_for
    from data_access.engine import make_engine

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{BENCH_DIR / f'bench_{size}.db'}" if backend == "sqlite" else server_url_for(server_urls[backend], size)
    engine = make_engine(url)
    built = ensure_sample(engine, size, now)
    tickets = _ticket_count(engine)
    engine.dispose()
    _ensure_rollups(url, now)
    return url, tickets, built


def run_session_benchmarks(*, sizes: list[int], backends: list[str], server_urls: dict[str, str], sessions: int) -> list[dict]:
    """`sessions` viewers at once on each sample (benchmarks.bench_concurrency)."""
    from sqlalchemy.exc import OperationalError

    from benchmarks.bench_concurrency import report, run_sessions
    from domain.clock import local_now

    now = local_now().replace(second=0, microsecond=0)
    found = []
    for backend in backends:
        for size in sizes:
            try:
                url, tickets, _ = bench_url(backend, size, server_urls, now)
            except OperationalError as exc:
                print(f"{backend} {size}: skipped: {str(exc.orig).splitlines()[0]}")
                continue
            clock = sample_clock(url)
            print(f"{backend}, {tickets:,} tickets, at {clock:%Y-%m-%d %H:%M}: {sessions} sessions, each its own page, scope and filters, "
                  "caches cold", flush=True)
            found.append({"backend": backend, "tickets": tickets, **report(run_sessions(url, sessions, clock))})
    return found


def run_page_benchmarks(
    *, sizes: list[int], backends: list[str], server_urls: dict[str, str], repeat: int = 3, pages: list[str] | None = None,
    naive: bool = True,
) -> list[dict]:
    """Build or reuse each sample, then time every page; print a table and return its rows."""
    from sqlalchemy.exc import OperationalError

    from domain.clock import local_now

    now = local_now().replace(second=0, microsecond=0)
    rows: list[dict] = []
    print(HEADER, flush=True)
    for backend in backends:
        for size in sizes:
            try:
                url, tickets, built = bench_url(backend, size, server_urls, now)
            except OperationalError as exc:
                print(f"{backend:<11}{size:>11}  skipped: {str(exc.orig).splitlines()[0]}")
                continue
            if built is not None:
                print(f"{backend:<11}{tickets:>11,}  sample built in {built:.0f} s", flush=True)
            clock = sample_clock(url)
            print(f"{backend:<11}{tickets:>11,}  read at the sample's clock, {clock:%Y-%m-%d %H:%M}", flush=True)

            def show(t: PageTiming, backend: str = backend, tickets: int = tickets) -> None:
                rows.append({"backend": backend, "tickets": tickets, **t.__dict__})
                if t.errors:
                    print(f"{backend:<11}{tickets:>11,}  {t.page:<13}{t.scenario:<14}  FAILED: {t.errors[0]}", flush=True)
                    return
                print(f"{backend:<11}{tickets:>11,}  {t.page:<13}{t.scenario:<14}{t.calls:>6}{t.cold_s:>9.3f}{t.repeat_s:>10.3f}"
                      f"{t.cached_s:>10.4f}{t.script_ms:>11.0f}{t.script_cpu_ms:>8.0f}{t.rss_mb:>8.0f}", flush=True)

            bench_database(url, clock, repeat, pages or list(PAGES), show)
            if naive:
                seconds = naive_seconds(url, clock)
                cold = [r["cold_s"] for r in rows
                        if r["backend"] == backend and r["tickets"] == tickets and r["page"] == "overview" and r["scenario"] == "this_year"]
                ratio = f", {seconds / cold[0]:.0f}× the overview's cold data work this year" if cold and cold[0] == cold[0] else ""
                print(f"{backend:<11}{tickets:>11,}  naive (every ticket into pandas, overview figures): {seconds:.1f} s{ratio}", flush=True)
                rows.append({"backend": backend, "tickets": tickets, "page": "naive", "scenario": "all", "cold_s": seconds})
    return rows


def _main_replay(argv: list[str]) -> int:
    path = argv[argv.index("--replay") + 1]
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 3
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    with open(path, "rb") as fh:
        calls = pickle.load(fh)
    print(json.dumps(replay(calls, repeat)))
    return 0


if __name__ == "__main__":
    if "--replay" in sys.argv:
        raise SystemExit(_main_replay(sys.argv))
