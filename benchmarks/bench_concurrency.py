"""Benchmark: many viewers at once — N sessions drive the app's data seams from threads, caches cold.

    python cli.py bench --sessions 25 [--sizes 1000000] [--backends sqlite]

Each session is a page view with its own scope and filters (a street's secretary, the district supervisor
on another period, a community, a category…). Its seam calls are recorded from the real page script
(`bench_pages.record_page`), so the sessions ask exactly what those pages ask. Then Streamlit's caches are
cleared and every session replays its calls in its own thread, all released at once, as N viewers clicking
together on one app process. Prints each session's latency, p50/p95/max and errors.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import threading
import time
from dataclasses import dataclass

from benchmarks.bench_pages import PAGES, Call, Scenario, record_page


@dataclass
class Session:
    page: str
    scenario: Scenario
    calls: list[Call]
    seconds: float = float("nan")
    error: str | None = None


def session_mix(url: str, n: int, seed: int = 3) -> list[tuple[str, Scenario]]:
    """`n` (page, scenario) pairs with different scopes and filters."""
    from data_access import queries
    from data_access.engine import make_engine
    from data_access.scope import Scope
    from domain.auth_policy import Account

    engine = make_engine(url)
    with engine.connect() as conn:
        streets = queries.streets(conn, Scope.district())
        communities = queries.communities(conn, Scope.district())
        categories = queries.categories(conn, Scope.district())
    engine.dispose()
    rng = random.Random(seed)
    periods = ["last_30_days", "this_year", "this_month", "last_month", "this_week", "last_week"]
    pages = [p for p in PAGES if p != "public"]
    mix = []
    for i in range(n):
        params = {"period": periods[i % len(periods)]}
        account: object = "supervisor"
        kind = i % 4
        if kind == 1:  # a street's secretary
            street = streets.iloc[i % len(streets)]
            account = Account(id=0, username=f"sec{i}", display_name="bench", role="secretary", street_id=int(street["id"]))
        elif kind == 2:
            params["community"] = str(communities.iloc[(i * 7) % len(communities)]["code"])
        elif kind == 3 and categories:
            params["category"] = rng.choice(categories)
        mix.append((pages[i % len(pages)], Scenario(f"s{i}", params, account)))
    return mix


def run_sessions(url: str, n: int, now: dt.datetime) -> list[Session]:
    """Record `n` sessions, clear the caches, replay them all at once from threads."""
    import streamlit as st

    os.environ["DATABASE_URL"] = url
    os.environ["DASHBOARD_TEST_MODE"] = "1"
    sessions = [Session(page, scenario, record_page(page, scenario, now)) for page, scenario in session_mix(url, n)]
    st.cache_data.clear()
    st.cache_resource.clear()
    start = threading.Barrier(len(sessions))

    def drive(session: Session) -> None:
        start.wait()
        began = time.perf_counter()
        try:
            for call in session.calls:
                call.run()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the others
            session.error = f"{type(exc).__name__}: {exc}"
        session.seconds = time.perf_counter() - began

    threads = [threading.Thread(target=drive, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sessions


def report(sessions: list[Session]) -> dict[str, float]:
    times = sorted(s.seconds for s in sessions)
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    for s in sessions:
        shown = {k: v for k, v in s.scenario.params.items()}
        who = s.scenario.account if isinstance(s.scenario.account, str) else f"secretary of street {s.scenario.account.street_id}"
        print(f"  {s.page:<13}{who:<26}{str(shown):<52}{len(s.calls):>4} calls {s.seconds:7.2f} s{'  ERROR ' + s.error if s.error else ''}")
    summary = {"sessions": len(sessions), "p50_s": statistics.median(times), "p95_s": p95, "max_s": times[-1],
               "errors": sum(1 for s in sessions if s.error)}
    print(f"  {summary['sessions']} sessions at once: p50 {summary['p50_s']:.2f} s, p95 {summary['p95_s']:.2f} s, "
          f"max {summary['max_s']:.2f} s, {summary['errors']} errors", flush=True)
    return summary
