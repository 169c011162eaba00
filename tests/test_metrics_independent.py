"""`cli.py metrics --json` on a sample district equals an independent computation from the raw tables.

The independent side loads every ticket with plain SQL into pandas (benchmarks/naive.py shares no code
with data_access.queries) and applies DOMAIN.md's formulas written out here, not metrics.rates. The CLI reads
the rollups, as the pages do: counts must be equal, the median within the stated bound (metrics.durations) —
at the sample's clock, at a later one (deadlines have passed since the rollups were built), and after a
live hotline has written and moved tickets that the rollups have not absorbed yet.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics

import pandas as pd
import pytest
from sqlalchemy import text

import cli
from benchmarks import naive
from data_access.engine import make_engine
from domain.settings import DEFAULT_SETTINGS
from metrics import durations

NOW = dt.datetime(2026, 11, 20, 12, 0)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from sample_data.generator import build_sample

    url = f"sqlite:///{tmp_path_factory.mktemp('independent') / 'sample.db'}"
    engine = make_engine(url)
    build_sample(engine, tickets=4000, now=NOW, seed=11)
    with engine.connect() as conn:
        tickets = naive.load_all_tickets(conn)
        units = pd.read_sql(text("SELECT c.id, c.name, s.name AS street FROM community c JOIN street s ON s.id = c.street_id"), conn)
    engine.dispose()
    return url, tickets, units


def expected(frame: pd.DataFrame, now: dt.datetime = NOW) -> dict:
    """DOMAIN.md's definitions, computed from ticket rows at `now`."""
    NOW = now  # noqa: N806 - the formulas below read as in DOMAIN.md
    closed = frame["status"] == "closed"
    pop = frame[frame["channel"].isin(["hotline", "web"]) & frame["dispatched_at"].notna()]
    answered = pop[pop["callback_at"].notna()]
    due = pop[(pop["status"] == "closed") | (pop["due_at"] < NOW)]
    overdue = frame[~closed & (frame["due_at"] < NOW)]
    on_time = frame[closed & (frame["closed_at"] <= frame["due_at"])]
    durations = [
        (c - r).total_seconds() / 3600
        for c, r in zip(frame.loc[closed, "closed_at"], frame.loc[closed, "received_at"])
        if c >= r
    ]

    def share(num: float, den: int) -> float | None:
        return None if den == 0 else num / den

    owed = pop[pop["contacted_at"].notna() | (pop["contact_due_at"] < NOW)]
    resp = share(int((owed["contacted_at"] <= owed["contact_due_at"]).sum()), len(owed))
    res = share((answered["resolution"] == "solved").sum() + 0.5 * (answered["resolution"] == "partly").sum(), len(answered))
    sat = share(answered["satisfaction"].isin(["satisfied", "basic"]).sum(), len(answered))
    return {
        "tickets": len(frame),
        "dispatched": len(pop),
        "response_rate": resp,
        "resolution_rate": res,
        "satisfaction_rate": sat,
        "callback_coverage": share(int(due["callback_at"].notna().sum()), len(due)),
        "composite": None if None in (resp, res, sat) else 100 * (0.10 * resp + 0.45 * res + 0.45 * sat),
        "on_time_close_rate": share(len(on_time), int(closed.sum()) + len(overdue)),
        "overdue_open": len(overdue),
        "median_hours_to_close": statistics.median(durations) if durations else None,
    }


def cli_metrics(capsys, url: str, *args: str, now: dt.datetime = NOW) -> dict:
    assert cli.main(["metrics", "--json", "--url", url, "--now", now.isoformat(), *args]) == 0
    return json.loads(capsys.readouterr().out)


def _compare(got: dict, want: dict) -> None:
    for key, value in want.items():
        if key == "median_hours_to_close" and value is not None and got[key] is not None:
            assert durations.within_bound(got[key] * 3600, value * 3600), (key, got[key], value)
            continue
        assert got[key] == (None if value is None else pytest.approx(value, abs=1e-9)), key


@pytest.mark.parametrize(
    "args, since, until",
    [
        ((), None, None),
        (("--since", "2026-10-01", "--until", "2026-10-31"), dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        (("--since", "2026-11-14", "--until", "2026-11-20"), dt.date(2026, 11, 14), dt.date(2026, 11, 20)),
        (("--since", "2026-01-15", "--until", "2026-02-15"), dt.date(2026, 1, 15), dt.date(2026, 2, 15)),
    ],
    ids=["all-time", "october", "last-week", "winter-month"],
)
@pytest.mark.parametrize("later", [dt.timedelta(0), dt.timedelta(days=3, hours=5)], ids=["at-build", "3-days-later"])
def test_district(sample, capsys, args, since, until, later):
    url, tickets, _ = sample
    now = NOW + later
    _compare(cli_metrics(capsys, url, *args, now=now), expected(naive.select_period(tickets, since, until), now))


@pytest.mark.parametrize("index", range(8), ids=lambda i: f"street-{i + 1}")
def test_each_street(sample, capsys, index):
    url, tickets, units = sample
    street = sorted(units["street"].unique())[index]
    frame = naive.select_period(tickets, None, None)
    ids = units.loc[units["street"] == street, "id"]
    _compare(cli_metrics(capsys, url, "--street", street), expected(frame[frame["community_id"].isin(ids)]))


def test_one_community_in_a_month(sample, capsys):
    url, tickets, units = sample
    row = units.sort_values("id").iloc[3]
    frame = naive.select_period(tickets, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    got = cli_metrics(capsys, url, "--street", row["street"], "--community", row["name"], "--since", "2026-09-01", "--until", "2026-09-30")
    _compare(got, expected(frame[frame["community_id"] == row["id"]]))


def test_after_a_live_hotline_wrote_and_moved_tickets(sample, capsys, tmp_path):
    """Tickets written and moved after the rollups were built (dirty days, not yet refreshed) count at once."""
    import random
    import shutil

    from data_access import rollups
    from sample_data.simulate import Places, tick

    url, _, _ = sample
    path = tmp_path / "live.db"
    shutil.copy(url.removeprefix("sqlite:///"), path)
    live = f"sqlite:///{path}"
    engine = make_engine(live)
    rng = random.Random(5)
    with engine.connect() as conn:
        places = Places.load(conn)
    for minute in range(0, 120, 5):  # two hours of a busy hotline, no refresh
        with engine.begin() as conn:
            tick(conn, rng, places, NOW + dt.timedelta(minutes=minute), 3, 100_000 + minute, settings=DEFAULT_SETTINGS)
    with engine.connect() as conn:
        assert rollups.dirty_days(conn), "the writes should have marked days for the rollups"
        tickets = naive.load_all_tickets(conn)
    engine.dispose()
    later = NOW + dt.timedelta(hours=2)
    for args, since, until in (((), None, None), (("--since", "2026-11-14", "--until", "2026-11-20"), dt.date(2026, 11, 14), dt.date(2026, 11, 20))):
        _compare(cli_metrics(capsys, live, *args, now=later), expected(naive.select_period(tickets, since, until), later))
