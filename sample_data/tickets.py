"""What each ticket is: channel, kind, category, urgency, place, lead department and caller — vectorised.

`make_drafts` turns the (day, column) draws of `timeline.draw_counts` for one chunk into a `Draft`: one
numpy array per attribute, sorted by the time of receipt. Deadlines come from `domain.deadlines` (the same
code the importers use), so the lifecycle in `lifecycle.py` can be laid out against them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from domain import vocab
from domain.deadlines import derive_deadlines
from domain.settings import Settings
from sample_data import catalog, timeline
from sample_data.geography import Geography

CH_HOTLINE, CH_GRID, CH_WEB, CH_VISIT = (
    vocab.CHANNELS.index(c)
    for c in (vocab.CHANNEL_HOTLINE, vocab.CHANNEL_GRID, vocab.CHANNEL_WEB, vocab.CHANNEL_VISIT)
)
K = {k: vocab.KINDS.index(k) for k in vocab.KINDS}
U_EMERGENCY, U_UTILITY, U_GENERAL, U_COMPLEX = (
    vocab.URGENCIES.index(u)
    for u in (vocab.URGENCY_EMERGENCY, vocab.URGENCY_UTILITY, vocab.URGENCY_GENERAL, vocab.URGENCY_COMPLEX)
)

PUBLIC_CHANNELS = np.array([0.75, 0.08, 0.02])  # hotline, web, visit (grid cases are their own column)
KIND_WEIGHTS = {  # public demands that are not a 咨询 subcategory; 咨询 subcategories are 85 % enquiries
    vocab.KIND_ENQUIRY: 0.17,
    vocab.KIND_HELP: 0.33,
    vocab.KIND_COMPLAINT: 0.34,
    vocab.KIND_REPORT: 0.07,
    vocab.KIND_SUGGESTION: 0.06,
    vocab.KIND_PRAISE: 0.03,
}
ON_THE_SPOT = 0.6  # share of hotline/web enquiries answered during the call, never dispatched
EXCLUDED = 0.014  # share of dispatched public demands later excluded (剔单): ~1 % of all tickets
NO_COORDS = 0.02  # hotline tickets without a geocoded point
REPEAT_CALLER = 0.25  # public demands made by one of the few frequent callers of their grid cell
CALLERS_PER_CELL = 8
UNIQUE_CALLER_BASE = 10_000_000  # caller keys above this are one-off callers (key = base + ticket id)

# Subcategories flattened: global index -> category, and each category's slice of them.
SUBS = [(ci, sub) for ci, cat in enumerate(catalog.CATEGORIES) for sub in cat.subcategories]
SUB_NAMES = [s.name for _, s in SUBS]
SUB_ENQUIRY = np.array([s.name.endswith("咨询") for _, s in SUBS])
SUB_EMERGENCY = np.array(
    [catalog.CATEGORIES[ci].emergency if s.emergency is None else s.emergency for ci, s in SUBS]
)
CAT_COMPLEX = np.array([c.complex for c in catalog.CATEGORIES])
CAT_UTILITY = np.array([c.utility for c in catalog.CATEGORIES])
CAT_NIGHT = np.array([c.night for c in catalog.CATEGORIES])
CAT_LEAD_SHARE = np.array([c.lead_share for c in catalog.CATEGORIES])


@dataclass
class Draft:
    """One array per attribute; position i is one ticket."""

    id: np.ndarray
    rec: np.ndarray  # received_at, seconds since 1970 (naive local)
    channel: np.ndarray  # index into vocab.CHANNELS
    kind: np.ndarray  # index into vocab.KINDS
    cat: np.ndarray
    sub: np.ndarray  # index into SUBS
    urgency: np.ndarray  # index into vocab.URGENCIES
    cell: np.ndarray
    hot: np.ndarray  # hot spot index or -1
    onspot: np.ndarray  # enquiry answered on the spot
    excluded: np.ndarray
    exclude_reason: np.ndarray  # index into catalog.EXCLUDE_REASONS or -1
    lead: np.ndarray  # department id, 0 for none
    caller: np.ndarray  # caller key, 0 for none (grid cases)
    lat: np.ndarray  # NaN when not geocoded
    lon: np.ndarray
    reopen_of: np.ndarray  # id of the ticket this one re-handles, 0 for none
    contact_due: np.ndarray
    due0: np.ndarray  # due_at before any extension

    def take(self, idx: np.ndarray) -> Draft:
        return Draft(**{f.name: getattr(self, f.name)[idx] for f in dataclasses.fields(self)})

    def __len__(self) -> int:
        return len(self.rec)


@dataclass(frozen=True)
class Places:
    """Per-cell lookups and the cell weights of each category, precomputed once per build."""

    geo: Geography
    public_cdf: np.ndarray  # (categories, cells) cumulative weights of public demands
    grid_cdf: np.ndarray  # (categories, cells) cumulative weights of grid cases
    street_dept: np.ndarray  # department id of each street
    cat_lead: np.ndarray  # department id of each category's agency/utility, 0 for street only
    hot_cell: np.ndarray  # cell of each hot spot
    helpers: np.ndarray  # (categories, 3) departments that answer a whistle, first `helper_count` valid
    helper_count: np.ndarray


def make_places(geo: Geography, dept_ids: dict[str, int], street_dept: np.ndarray) -> Places:
    comm = geo.cell_community
    q = geo.community_quality[comm]
    old = geo.community_old[comm]
    shop = geo.community_commercial[comm]
    base = geo.cell_population * geo.cell_problem
    pub, grid = [], []
    for cat in catalog.CATEGORIES:
        affinity = 1 + cat.old_town * old + cat.commercial * shop
        pub.append(base * affinity * np.exp(-0.3 * q))  # weak places generate more complaints
        grid.append(base * affinity * np.exp(0.3 * q))  # strong places find more on patrol (未诉先办)
    return Places(
        geo=geo,
        public_cdf=_row_cdf(np.array(pub)),
        grid_cdf=_row_cdf(np.array(grid)),
        street_dept=street_dept,
        cat_lead=np.array([dept_ids.get(c.lead, 0) for c in catalog.CATEGORIES]),
        hot_cell=np.array([_hot_spot_cell(geo, s) for s in catalog.HOT_SPOTS]),
        helpers=np.array(
            [[dept_ids[h] for h in _helpers(c)] + [0] * (3 - len(_helpers(c))) for c in catalog.CATEGORIES]
        ),
        helper_count=np.array([len(_helpers(c)) for c in catalog.CATEGORIES]),
    )


def _helpers(cat: catalog.Category) -> tuple[str, ...]:
    return (cat.helpers or ("区城管委",))[:3]


def _row_cdf(weights: np.ndarray) -> np.ndarray:
    return np.cumsum(weights, axis=1) / np.sum(weights, axis=1, keepdims=True)


def _hot_spot_cell(geo: Geography, spot: catalog.HotSpot) -> int:
    """The most populous cell of the community that fits the hot spot's story."""
    weak_street = int(np.argmin(geo.street_quality))
    score = {
        "old_weak": geo.community_old + 10 * (geo.community_street == weak_street),
        "commercial": geo.community_commercial,
        "old": geo.community_old - 10 * (geo.community_street == weak_street),
        "dense": geo.community_population / np.maximum(1, np.bincount(geo.cell_community)),
    }[spot.pick]
    community = int(np.argmax(score))
    cells = np.nonzero(geo.cell_community == community)[0]
    return int(cells[np.argmax(geo.cell_population[cells])])


def _pick(cdf_rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of a matrix of cumulative probabilities."""
    u = rng.random(len(cdf_rows))[:, None]
    return np.minimum((cdf_rows < u).sum(axis=1), cdf_rows.shape[1] - 1)


def _sub_cdf() -> np.ndarray:
    n_cat = len(catalog.CATEGORIES)
    out = np.zeros((n_cat, len(SUBS)))
    for i, (ci, sub) in enumerate(SUBS):
        out[ci, i] = sub.weight
    return np.cumsum(out, axis=1) / out.sum(axis=1, keepdims=True)


SUB_CDF = _sub_cdf()
_EPOCH = dt.datetime(1970, 1, 1)


def make_drafts(
    day_idx: np.ndarray,
    col_idx: np.ndarray,
    columns: timeline.Columns,
    period: timeline.Period,
    places: Places,
    first_id: int,
    settings: Settings,
    rng: np.random.Generator,
) -> Draft:
    """The tickets of one chunk, sorted by time of receipt, with ids from `first_id`."""
    n = len(day_idx)
    geo = places.geo
    cat = columns.category[col_idx]
    is_grid = columns.grid[col_idx]
    hot = columns.hot_spot[col_idx]
    is_hot = hot >= 0
    channel = np.where(
        is_grid,
        CH_GRID,
        np.array([CH_HOTLINE, CH_WEB, CH_VISIT])[
            _pick(np.broadcast_to(np.cumsum(PUBLIC_CHANNELS) / PUBLIC_CHANNELS.sum(), (n, 3)), rng)
        ],
    )
    channel[is_hot] = np.where(rng.random(int(is_hot.sum())) < 0.9, CH_HOTLINE, CH_WEB)
    # Time of receipt, from the channel's hourly profile, inside the period.
    profile = np.select(
        [is_grid, channel == CH_VISIT, CAT_NIGHT[cat], channel == CH_WEB],
        [timeline.PROFILE_NAMES.index(p) for p in ("grid", "visit", "night", "web")],
        timeline.PROFILE_NAMES.index("hotline"),
    )
    day_start = period.day_start_s[day_idx]
    lo = np.maximum(0, period.start_s - day_start)
    hi = np.minimum(timeline.DAY, period.now_s - day_start)
    rec = day_start + timeline.time_of_day(profile, lo, hi, rng)
    order = np.argsort(rec, kind="stable")
    rec, cat, is_grid, hot, is_hot, channel = (
        rec[order],
        cat[order],
        is_grid[order],
        hot[order],
        is_hot[order],
        channel[order],
    )
    # Place.
    cell = np.empty(n, dtype=np.int64)
    for ci in np.unique(cat):
        for grid_flag, cdf in ((False, places.public_cdf), (True, places.grid_cdf)):
            sel = np.nonzero((cat == ci) & (is_grid == grid_flag) & ~is_hot)[0]
            if len(sel):
                cell[sel] = np.minimum(np.searchsorted(cdf[ci], rng.random(len(sel))), cdf.shape[1] - 1)
    cell[is_hot] = places.hot_cell[hot[is_hot]]
    # What it is about.
    sub = _pick(SUB_CDF[cat], rng)
    for h, spot in enumerate(catalog.HOT_SPOTS):
        sub[hot == h] = SUB_NAMES.index(spot.subcategory)
    public = ~is_grid
    kind_w = np.array([KIND_WEIGHTS[k] for k in vocab.KINDS])
    kind = _pick(np.broadcast_to(np.cumsum(kind_w) / kind_w.sum(), (n, len(kind_w))), rng)
    kind[public & SUB_ENQUIRY[sub]] = np.where(
        rng.random(int((public & SUB_ENQUIRY[sub]).sum())) < 0.85, K[vocab.KIND_ENQUIRY], K[vocab.KIND_HELP]
    )
    kind[is_grid] = np.where(rng.random(int(is_grid.sum())) < 0.6, K[vocab.KIND_REPORT], K[vocab.KIND_HELP])
    kind[is_hot] = np.where(rng.random(int(is_hot.sum())) < 0.75, K[vocab.KIND_COMPLAINT], K[vocab.KIND_HELP])
    onspot = (
        (kind == K[vocab.KIND_ENQUIRY])
        & np.isin(channel, (CH_HOTLINE, CH_WEB))
        & (rng.random(n) < ON_THE_SPOT)
    )
    # Urgency class.
    u1, u2 = rng.random(n), rng.random(n)
    urgency = np.where(CAT_UTILITY[cat], U_UTILITY, np.where(u2 < CAT_COMPLEX[cat], U_COMPLEX, U_GENERAL))
    urgency[u1 < SUB_EMERGENCY[sub]] = U_EMERGENCY
    urgency[onspot | (kind == K[vocab.KIND_PRAISE])] = U_GENERAL
    # Lead department: the street of the place unless the category's agency/utility takes it.
    street = geo.cell_street[cell]
    takes = (places.cat_lead[cat] > 0) & (rng.random(n) < CAT_LEAD_SHARE[cat]) & public
    lead = np.where(takes, places.cat_lead[cat], places.street_dept[street])
    lead[onspot] = 0
    excluded = public & ~onspot & (rng.random(n) < EXCLUDED)
    reasons = np.array([w for _, w in catalog.EXCLUDE_REASONS])
    reason = np.where(
        excluded, _pick(np.broadcast_to(np.cumsum(reasons) / reasons.sum(), (n, len(reasons))), rng), -1
    )
    ids = first_id + np.arange(n, dtype=np.int64)
    # Callers: a quarter are the cell's frequent callers (hot spots: half), the rest call once.
    repeat = rng.random(n) < np.where(is_hot, 0.5, REPEAT_CALLER)
    slot = np.minimum(rng.zipf(1.6, n) - 1, CALLERS_PER_CELL - 1)
    caller = np.where(repeat, 1 + cell * CALLERS_PER_CELL + slot, UNIQUE_CALLER_BASE + ids)
    caller[is_grid] = 0
    lat, lon = geo.points_in_cells(cell, rng)
    lon[is_hot], lat[is_hot] = geo.cell_centroids[cell[is_hot]].T
    no_point = (channel == CH_HOTLINE) & ~is_hot & (rng.random(n) < NO_COORDS)
    lat[no_point] = np.nan
    lon[no_point] = np.nan
    contact_due, due0 = deadlines(rec, urgency, settings)
    return Draft(
        id=ids,
        rec=rec,
        channel=channel,
        kind=kind,
        cat=cat,
        sub=sub,
        urgency=urgency,
        cell=cell,
        hot=hot,
        onspot=onspot,
        excluded=excluded,
        exclude_reason=reason,
        lead=lead,
        caller=caller,
        lat=lat,
        lon=lon,
        reopen_of=np.zeros(n, dtype=np.int64),
        contact_due=contact_due,
        due0=due0,
    )


def deadlines(rec: np.ndarray, urgency: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """(contact_due, due) in seconds, from domain.deadlines.derive_deadlines for every ticket."""
    contact = per_day(rec, urgency, lambda t, u: derive_deadlines(t, vocab.URGENCIES[u], settings)[0])
    due = per_day(rec, urgency, lambda t, u: derive_deadlines(t, vocab.URGENCIES[u], settings)[1])
    return contact, due


def per_day(at: np.ndarray, key: np.ndarray, shift: Callable[[dt.datetime, int], dt.datetime]) -> np.ndarray:
    """`shift(time, key)` in seconds for every time `at` (seconds) with its small non-negative `key`.

    `shift` is called once per (day, key), at midnight, and its offset is added: exact for every deadline of
    domain.deadlines, which moves a time by a fixed span or by whole (working) days at the same clock time —
    the same offset for every time of one day. Millions of tickets need a few thousand calls.
    """
    width = int(key.max(initial=0)) + 1
    pairs, inverse = np.unique(at // timeline.DAY * width + key, return_inverse=True)
    midnights = pairs // width * timeline.DAY
    keys = (pairs % width).tolist()
    moved = [shift(_EPOCH + dt.timedelta(seconds=m), k) for m, k in zip(midnights.tolist(), keys)]
    offsets = np.array(moved, dtype="datetime64[s]").astype(np.int64) - midnights
    return at + offsets[inverse]


def reopen_drafts(
    original: Draft, pos: np.ndarray, received: np.ndarray, first_id: int, settings: Settings
) -> Draft:
    """New tickets re-handling (重办) the originals at `pos`, received at `received`."""
    d = original.take(pos)
    n = len(d)
    d.id = first_id + np.arange(n, dtype=np.int64)
    d.reopen_of = original.id[pos]
    d.rec = received
    d.channel = np.full(n, CH_HOTLINE)
    d.kind = np.full(n, K[vocab.KIND_COMPLAINT])
    d.onspot = np.zeros(n, bool)
    d.excluded = np.zeros(n, bool)
    d.exclude_reason = np.full(n, -1)
    d.contact_due, d.due0 = deadlines(d.rec, d.urgency, settings)
    return d
