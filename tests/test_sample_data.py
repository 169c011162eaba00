"""The sample district generator: determinism, a sound map, consistent tickets, and the stories it tells.

One sample (SAMPLE_TICKETS over a year ending at NOW) is built once per module into a temporary SQLite file
and every test reads it; it is large enough that the stories (e.g. the topic's fall) stand out of the noise.
The determinism tests build smaller samples. Geometry checks use small pure-Python helpers defined here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from data_access.engine import make_engine
from domain import vocab
from domain.deadlines import derive_deadlines, extend
from sample_data import catalog, personal
from sample_data.generator import build_sample

NOW = dt.datetime(2026, 11, 20, 12, 0, 0)
SAMPLE_TICKETS = 10_000
SMALL_TICKETS = 1_500
SEED = 20261121


def _build(path, seed: int = SEED, tickets: int = SAMPLE_TICKETS, progress=None):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{path}")
    summary = build_sample(engine, tickets=tickets, seed=seed, now=NOW, progress=progress)
    return engine, summary


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    engine, _ = _build(tmp_path_factory.mktemp("small") / "small.db", tickets=SMALL_TICKETS)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    calls: list[tuple[int, int]] = []
    engine, summary = _build(
        tmp_path_factory.mktemp("sample") / "sample.db", progress=lambda d, t: calls.append((d, t))
    )
    yield engine, summary, calls
    engine.dispose()


@pytest.fixture(scope="module")
def sample_db(built):
    """The module's sample (named so, not `engine`, to keep clear of conftest's backend fixture)."""
    return built[0]


def _frame(engine, sql: str, dates: tuple[str, ...] = ()) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn)
    for col in dates:
        frame[col] = pd.to_datetime(frame[col])
    return frame


TICKET_DATES = (
    "received_at",
    "dispatched_at",
    "signed_at",
    "contacted_at",
    "contact_due_at",
    "due_at",
    "closed_at",
    "callback_at",
)


@pytest.fixture(scope="module")
def tickets(sample_db) -> pd.DataFrame:
    return _frame(sample_db, "SELECT * FROM ticket ORDER BY id", TICKET_DATES)


@pytest.fixture(scope="module")
def cells(sample_db) -> pd.DataFrame:
    frame = _frame(sample_db, "SELECT * FROM grid_cell ORDER BY id")
    frame["ring"] = [json.loads(b)["coordinates"][0] for b in frame["boundary"]]
    return frame


# --- geometry helpers ----------------------------------------------------------------------------------


def ring_area(ring: list) -> float:
    """Signed shoelace area of a ring (closed or open); positive when counter-clockwise."""
    pts = ring[:-1] if ring[0] == ring[-1] else ring
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1])) / 2


def is_convex_ccw(ring: list) -> bool:
    pts = ring[:-1]
    n = len(pts)
    for i in range(n):
        (ax, ay), (bx, by), (cx, cy) = pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        if (bx - ax) * (cy - by) - (by - ay) * (cx - bx) <= 0:
            return False
    return True


def clip(subject: list, clipper: list) -> list:
    """Sutherland–Hodgman: the part of polygon `subject` inside the convex counter-clockwise `clipper`."""
    out = subject[:-1] if subject[0] == subject[-1] else list(subject)
    edges = clipper[:-1] if clipper[0] == clipper[-1] else clipper
    for a, b in zip(edges, edges[1:] + edges[:1]):
        pts, out = out, []
        for p, q in zip(pts, pts[1:] + pts[:1]):
            if _left_of(a, b, q):
                if not _left_of(a, b, p):
                    out.append(_cross(p, q, a, b))
                out.append(q)
            elif _left_of(a, b, p):
                out.append(_cross(p, q, a, b))
        if not out:
            return []
    return out


def _left_of(a, b, p) -> bool:  # type: ignore[no-untyped-def]
    """Whether p is on or left of the directed line a→b."""
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0


def _cross(p, q, a, b):  # type: ignore[no-untyped-def]
    x1, y1, x2, y2 = *p, *q
    x3, y3, x4, y4 = *a, *b
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
    return (x1 + t * (x2 - x1), y1 + t * (y2 - y1))


def overlap_area(a: list, b: list) -> float:
    part = clip(a, b)
    return abs(ring_area(part)) if len(part) >= 3 else 0.0


def point_in_ring(x: float, y: float, ring: list) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_overlap_helper_detects_an_overlap():
    square = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]
    shifted = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]
    neighbour = [[2, 0], [4, 0], [4, 2], [2, 2], [2, 0]]
    assert overlap_area(square, shifted) == pytest.approx(1.0)
    assert overlap_area(square, neighbour) == pytest.approx(0.0)


# --- determinism and the build itself -------------------------------------------------------------------


def test_same_seed_and_now_give_identical_database(small, tmp_path):
    again, _ = _build(tmp_path / "again.db", tickets=SMALL_TICKETS)
    for table in ("ticket", "ticket_event", "callback", "ticket_personal", "grid_cell"):
        first = _frame(small, f"SELECT * FROM {table} ORDER BY 1")
        second = _frame(again, f"SELECT * FROM {table} ORDER BY 1")
        pd.testing.assert_frame_equal(first, second, obj=table)
    again.dispose()


def test_a_different_seed_gives_different_tickets(small, tmp_path):
    other, _ = _build(tmp_path / "other.db", seed=SEED + 1, tickets=SMALL_TICKETS)
    ours = _frame(small, "SELECT received_at, category FROM ticket ORDER BY id")
    theirs = _frame(other, "SELECT received_at, category FROM ticket ORDER BY id")
    other.dispose()
    n = min(len(ours), len(theirs))
    assert (ours.iloc[:n].values == theirs.iloc[:n].values).all(axis=1).mean() < 0.01


def test_progress_reaches_the_requested_ticket_count(built):
    _, _, calls = built
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (SAMPLE_TICKETS, SAMPLE_TICKETS)


def test_summary_counts_match_the_tables(sample_db, built):
    summary = built[1]
    counts = _frame(
        sample_db,
        "SELECT (SELECT COUNT(*) FROM ticket) t, (SELECT COUNT(*) FROM ticket_event) e, "
        "(SELECT COUNT(*) FROM callback) c",
    ).iloc[0]
    assert (summary.tickets, summary.events, summary.callbacks) == (counts.t, counts.e, counts.c)


@pytest.mark.parametrize("table, minimum", [("street", 8), ("community", 36), ("grid_cell", 260)])
def test_the_district_has_enough_units(sample_db, table, minimum):
    assert _frame(sample_db, f"SELECT COUNT(*) n FROM {table}")["n"][0] >= minimum


def test_department_names_are_unique_and_of_every_kind(sample_db):
    deps = _frame(sample_db, "SELECT name, kind FROM department")
    assert deps["name"].is_unique
    assert set(deps["kind"]) == set(vocab.DEPARTMENT_KINDS)


# --- the map -------------------------------------------------------------------------------------------


def test_every_boundary_is_a_closed_counter_clockwise_polygon(cells):
    for ring, raw in zip(cells["ring"], cells["boundary"]):
        assert json.loads(raw)["type"] == "Polygon"
        assert len(ring) >= 4 and ring[0] == ring[-1]
        assert ring_area(ring) > 0


def test_centroids_lie_inside_their_cells(cells):
    assert all(
        point_in_ring(x, y, ring)
        for x, y, ring in zip(cells["centroid_lon"], cells["centroid_lat"], cells["ring"])
    )


def test_grid_cells_do_not_overlap(cells):
    rings = list(cells["ring"])
    assert all(is_convex_ccw(r) for r in rings)  # the clipping below needs convex cells
    boxes = [
        (min(p[0] for p in r), min(p[1] for p in r), max(p[0] for p in r), max(p[1] for p in r))
        for r in rings
    ]
    smallest = min(ring_area(r) for r in rings)
    worst, pairs = 0.0, 0
    for i in range(len(rings)):
        for j in range(i + 1, len(rings)):
            a, b = boxes[i], boxes[j]
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                pairs += 1
                worst = max(worst, overlap_area(rings[i], rings[j]))
    assert pairs > len(rings)  # neighbours were really compared
    assert worst < smallest * 1e-6


def test_grid_cells_tile_edge_to_edge(cells):
    # Every edge is used once (the district's outline) or twice, in opposite directions (shared with a
    # neighbour): no gaps or slivers between cells.
    directed = Counter()
    for ring in cells["ring"]:
        for p, q in itertools.pairwise(ring):
            directed[(tuple(p), tuple(q))] += 1
    assert max(directed.values()) == 1
    shared = sum(1 for (p, q) in directed if (q, p) in directed)
    assert shared > len(directed) / 2


def test_populations_add_up_from_cells_to_district(sample_db):
    cell_sum = _frame(
        sample_db, "SELECT community_id id, SUM(population) p FROM grid_cell GROUP BY community_id"
    )
    comm = _frame(sample_db, "SELECT id, population, street_id FROM community").merge(cell_sum, on="id")
    assert (comm["population"] == comm["p"]).all()
    streets = _frame(sample_db, "SELECT id, population FROM street").set_index("id")["population"]
    assert (comm.groupby("street_id")["population"].sum() == streets).all()
    assert _frame(sample_db, "SELECT population FROM district")["population"][0] == streets.sum()
    cells_pop = _frame(sample_db, "SELECT population FROM grid_cell")["population"]
    assert cells_pop.between(800, 2500).all()


# --- tickets -------------------------------------------------------------------------------------------


def test_every_ticket_point_lies_inside_its_grid_cell(tickets, cells):
    rings = dict(zip(cells["id"], cells["ring"]))
    located = tickets.dropna(subset=["lat"])
    assert len(located) > 0.95 * len(tickets)
    outside = [
        i
        for i, x, y, g in zip(located["id"], located["lon"], located["lat"], located["grid_cell_id"])
        if not point_in_ring(x, y, rings[g])
    ]
    assert outside == []


def test_ticket_street_and_community_agree_with_its_cell(sample_db):
    bad = _frame(
        sample_db,
        "SELECT COUNT(*) n FROM ticket t JOIN grid_cell g ON g.id = t.grid_cell_id "
        "JOIN community c ON c.id = g.community_id "
        "WHERE t.community_id <> c.id OR t.street_id <> c.street_id",
    )
    assert bad["n"][0] == 0


@pytest.mark.parametrize("urgency", vocab.URGENCIES)
def test_deadlines_match_derive_deadlines_plus_extensions(sample_db, tickets, urgency):
    ext = _frame(sample_db, "SELECT ticket_id, note FROM ticket_event WHERE kind = 'extend'")
    days = {t: int(re.search(r"(\d+)天", n).group(1)) for t, n in zip(ext["ticket_id"], ext["note"])}
    mine = tickets[tickets["urgency"] == urgency]
    assert len(mine) > 0
    for tid, received, contact_due, due in zip(
        mine["id"], mine["received_at"], mine["contact_due_at"], mine["due_at"]
    ):
        want_contact, want_due = derive_deadlines(received.to_pydatetime(), urgency)
        if tid in days:
            want_due = extend(want_due, days[tid] * 24)
        assert (contact_due, due) == (want_contact, want_due), tid


def test_some_tickets_have_an_extension(sample_db):
    assert _frame(sample_db, "SELECT COUNT(*) n FROM ticket_event WHERE kind = 'extend'")["n"][0] > 0


def test_no_ticket_or_event_is_after_now(sample_db, tickets):
    assert tickets["received_at"].max() <= NOW
    stamps = tickets[[c for c in TICKET_DATES if c not in ("contact_due_at", "due_at")]]
    assert (stamps.max() <= NOW).all()
    assert pd.to_datetime(_frame(sample_db, "SELECT MAX(at) m FROM ticket_event")["m"])[0] <= NOW


def test_open_overdue_tickets_exist_at_now(tickets):
    overdue = tickets[(tickets["status"] != vocab.STATUS_CLOSED) & (tickets["due_at"] < NOW)]
    assert len(overdue) >= 5
    assert (NOW - overdue["due_at"]).max() > dt.timedelta(days=7)


def test_recent_tickets_are_still_open(tickets):
    recent = tickets[tickets["received_at"] > NOW - dt.timedelta(days=1)]
    assert (recent["status"] != vocab.STATUS_CLOSED).any()
    assert set(tickets["status"]) <= set(vocab.STATUSES)


def test_lifecycle_timestamps_are_in_order(tickets):
    t = tickets
    for earlier, later in [
        ("received_at", "dispatched_at"),
        ("dispatched_at", "signed_at"),
        ("signed_at", "contacted_at"),
        ("received_at", "closed_at"),
    ]:
        both = t[earlier].notna() & t[later].notna()
        assert (t.loc[both, earlier] <= t.loc[both, later]).all(), (earlier, later)
    closed = t["status"] == vocab.STATUS_CLOSED
    assert t.loc[closed, "closed_at"].notna().all() and t.loc[~closed, "closed_at"].isna().all()


def test_enquiries_answered_on_the_spot_are_never_dispatched(tickets):
    spot = tickets[tickets["dispatched_at"].isna() & (tickets["status"] == vocab.STATUS_CLOSED)]
    assert len(spot) > 0
    assert (spot["kind"] == vocab.KIND_ENQUIRY).all()
    assert ((spot["closed_at"] - spot["received_at"]) < dt.timedelta(minutes=20)).all()


@pytest.mark.parametrize(
    "channel, low, high", [("hotline", 0.65, 0.85), ("grid", 0.10, 0.22), ("web", 0.04, 0.12)]
)
def test_channel_mix_is_realistic(tickets, channel, low, high):
    assert low < (tickets["channel"] == channel).mean() < high


def test_grid_cases_get_no_callbacks_and_no_personal_data(sample_db):
    row = _frame(
        sample_db,
        "SELECT (SELECT COUNT(*) FROM callback c JOIN ticket t ON t.id = c.ticket_id "
        "WHERE t.channel = 'grid') cb, (SELECT COUNT(*) FROM ticket_personal p JOIN ticket t "
        "ON t.id = p.ticket_id WHERE t.channel = 'grid') pers",
    ).iloc[0]
    assert (row.cb, row.pers) == (0, 0)


def test_personal_data_looks_real_and_the_caller_hash_is_salted(sample_db):
    rows = _frame(
        sample_db,
        "SELECT p.caller_name, p.caller_phone, p.address, t.caller_hash FROM ticket_personal p "
        "JOIN ticket t ON t.id = p.ticket_id",
    )
    assert rows["caller_phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert rows["caller_name"].str.len().between(2, 3).all()
    assert all(
        h == hashlib.sha256((personal.CALLER_SALT + p).encode()).hexdigest()
        for p, h in zip(rows["caller_phone"], rows["caller_hash"])
    )
    assert rows["caller_hash"].duplicated().any()  # some callers call again


def test_reopened_tickets_point_to_an_original_with_a_reopen_event(sample_db):
    rows = _frame(
        sample_db,
        "SELECT t.reopened_from_id o, (SELECT COUNT(*) FROM ticket_event e WHERE e.ticket_id = "
        "t.reopened_from_id AND e.kind = 'reopen') n FROM ticket t WHERE t.reopened_from_id IS NOT NULL",
    )
    assert len(rows) > 0 and (rows["n"] == 1).all()


def test_whistle_flag_matches_whistle_events_followed_by_reports(sample_db, tickets):
    events = _frame(sample_db, "SELECT ticket_id, kind FROM ticket_event WHERE kind IN ('whistle', 'report')")
    whistled = set(events.loc[events["kind"] == "whistle", "ticket_id"])
    assert whistled == set(tickets.loc[tickets["whistle"].astype(bool), "id"])
    assert set(events.loc[events["kind"] == "report", "ticket_id"]) <= whistled


# --- callbacks -----------------------------------------------------------------------------------------


def test_ticket_callback_fields_are_the_last_reached_callback(sample_db, tickets):
    cbs = _frame(
        sample_db,
        "SELECT ticket_id, at, reached, resolution, satisfaction FROM callback ORDER BY ticket_id, at, id",
        ("at",),
    )
    last = cbs[cbs["reached"].astype(bool)].groupby("ticket_id").last()
    t = tickets.set_index("id")
    assert t["callback_at"].notna().sum() == len(last)
    joined = last.join(t[["callback_at", "resolution", "satisfaction"]].add_suffix("_ticket"))
    assert (joined["at"] == joined["callback_at_ticket"]).all()
    assert (joined["resolution"] == joined["resolution_ticket"]).all()
    assert (joined["satisfaction"] == joined["satisfaction_ticket"]).all()
    assert (~cbs["reached"].astype(bool)).any()  # some attempts do not get through


def test_late_tickets_are_less_satisfied_than_on_time_ones(tickets):
    rated = tickets[tickets["satisfaction"].notna() & tickets["closed_at"].notna()]
    late = rated["closed_at"] > rated["due_at"]
    unsat = rated["satisfaction"] == vocab.SATISFACTION_UNSATISFIED
    assert unsat[late].mean() > 2 * unsat[~late].mean()


def test_streets_differ_in_satisfaction(tickets):
    rated = tickets[tickets["satisfaction"].notna()]
    rate = rated.groupby("street_id")["satisfaction"].apply(
        lambda s: (s != vocab.SATISFACTION_UNSATISFIED).mean()
    )
    assert rate.max() - rate.min() > 0.10


# --- stories -------------------------------------------------------------------------------------------


def _monthly(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby(frame["received_at"].dt.month).size()


def test_heating_calls_are_far_more_in_winter_than_in_summer(tickets):
    per_month = _monthly(tickets[tickets["category"] == "供暖"]).reindex(range(1, 13), fill_value=0)
    assert per_month[[12, 1]].sum() > 5 * per_month[[6, 7]].sum()


def test_topic_volume_falls_after_it_is_taken_up(tickets):
    topic = tickets[tickets["topic"] == catalog.TOPIC]
    take_up = NOW - dt.timedelta(days=catalog.TOPIC_TAKEUP_DAYS)
    start = tickets["received_at"].min()
    before = topic[topic["received_at"] < take_up]
    after = topic[topic["received_at"] >= take_up + dt.timedelta(days=30)]  # once the measures bite
    per_day_before = len(before) / (take_up - start).days
    per_day_after = len(after) / (NOW - take_up - dt.timedelta(days=30)).days
    assert per_day_after < 0.9 * per_day_before


def test_hot_spots_repeat_one_category_in_one_cell_within_30_days(tickets):
    # One sorted key per ticket: (cell, category) group first, then seconds; a group spans far less than
    # GROUP_SPAN, so "the same group within 30 days" is a plain range of keys.
    group_span = 10**10
    group = tickets.groupby(["grid_cell_id", "category"]).ngroup().to_numpy()
    seconds = (tickets["received_at"] - tickets["received_at"].min()).dt.total_seconds().to_numpy()
    keys = np.sort(group * group_span + seconds)
    in_window = keys.searchsorted(keys + 30 * 86_400, side="right") - np.arange(len(keys))
    assert in_window.max() >= 3


def test_hot_spot_places_keep_their_address(sample_db):
    rows = _frame(sample_db, "SELECT p.address FROM ticket_personal p")
    by_place = defaultdict(int)
    for address in rows["address"]:
        for spot in catalog.HOT_SPOTS:
            if address.endswith(spot.place):
                by_place[spot.place] += 1
    assert len(by_place) >= 3 and min(by_place.values()) >= 3


@pytest.mark.parametrize("tickets, months", [(-1, 12), (100, 0)], ids=["negative-tickets", "no-months"])
def test_nonsense_arguments_are_refused_before_touching_the_database(small, tickets, months):
    with pytest.raises(ValueError):
        build_sample(small, tickets=tickets, months=months, now=NOW)
    assert _frame(small, "SELECT COUNT(*) n FROM ticket")["n"][0] > 0
