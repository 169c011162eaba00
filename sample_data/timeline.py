"""When demands arrive: daily volume by category and source, and the time of day of each ticket.

The year is a matrix of intensities, one row per day of the period and one column per (category, source)
pair — source "public" (hotline, web, visit) or "grid" (found on patrol) — plus one column per hot spot.
A multinomial draw over the whole matrix fixes how many tickets each day and column get, so the period's
total is exact and tickets can then be produced day by day in order. Seasonality, the weekly pattern,
holidays, a slight growth trend, storm days and the 每月一题 topic are all multipliers of that matrix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from domain.deadlines import is_workday
from sample_data import catalog

DAY = 86_400
GROWTH = 0.10  # volume at the end of the period vs the start (slight growth)
STORM_DAYS = 5  # heavy-rain days in July–August that flood the hotline with 排水防汛 calls
STORM_BOOST = 12.0
# Target share of grid-patrol cases; seasonality and the cap below pull the result down a little.
GRID_SHARE = 0.17

# Relative weight of Mon..Sun; grid patrol mostly works on working days.
WEEKDAY_PUBLIC = np.array([1.08, 1.05, 1.03, 1.01, 0.99, 0.82, 0.70])
WEEKDAY_GRID = np.array([1.10, 1.10, 1.10, 1.08, 1.05, 0.40, 0.30])
HOLIDAY_PUBLIC, HOLIDAY_GRID = 0.72, 0.30

# Hourly profiles (relative calls per hour 0..23).
HOURS = {
    "hotline": [
        0.4,
        0.25,
        0.15,
        0.1,
        0.1,
        0.2,
        0.6,
        1.5,
        3.5,
        5.5,
        6,
        5.5,
        4,
        4.5,
        5.5,
        5.5,
        5,
        4.5,
        4,
        4,
        3.8,
        3,
        1.8,
        0.9,
    ],
    "web": [
        0.6,
        0.4,
        0.25,
        0.2,
        0.2,
        0.3,
        0.6,
        1.2,
        2.2,
        3.2,
        3.5,
        3.4,
        3,
        3,
        3.2,
        3.2,
        3.2,
        3.3,
        3.5,
        4,
        4.4,
        4.2,
        3.2,
        1.6,
    ],
    "visit": [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 3, 4, 3, 0.5, 0.5, 3, 3.5, 3, 1, 0, 0, 0, 0, 0, 0],
    "grid": [0, 0, 0, 0, 0, 0, 0, 0.3, 3, 5, 5, 4, 1, 0.8, 3, 4.5, 4, 2.5, 0.2, 0, 0, 0, 0, 0],
    "night": [
        2.5,
        2,
        1.2,
        0.6,
        0.4,
        0.8,
        2,
        2.6,
        2.4,
        2.2,
        2,
        1.8,
        2,
        2.4,
        2.2,
        2,
        2,
        2.2,
        2.6,
        3.4,
        4.4,
        5.2,
        5.4,
        4.2,
    ],
}
PROFILE_NAMES = tuple(HOURS)
_CDF_KNOTS = {k: np.concatenate([[0.0], np.cumsum(v) / np.sum(v)]) for k, v in HOURS.items()}


def _season(key: str, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Seasonal multiplier of a category by calendar date (arrays of month 1..12 and day 1..31)."""
    m = month
    if key == "heating":  # season Nov 15 – Mar 15, big spike when the heating starts
        out = np.full(m.shape, 0.12)
        out[(m == 10) & (day >= 15)] = 0.5
        out[(m == 11) & (day < 15)] = 1.2
        out[(m == 11) & (day >= 15)] = 8.0
        out[m == 12] = 4.5
        out[m == 1] = 4.0
        out[m == 2] = 3.0
        out[(m == 3) & (day <= 15)] = 2.0
        return out
    table = {
        "flood": {6: 4.0, 7: 6.0, 8: 5.0, 5: 1.3, 9: 1.3},
        "summer": {6: 1.35, 7: 1.4, 8: 1.35, 5: 1.15, 9: 1.15, 12: 0.8, 1: 0.75, 2: 0.8},
        "building": {12: 0.5, 1: 0.4, 2: 0.5, 3: 1.1, 4: 1.2, 5: 1.2, 6: 1.2, 9: 1.2, 10: 1.2},
        "bikes": {4: 1.3, 5: 1.35, 9: 1.3, 10: 1.3, 12: 0.7, 1: 0.65, 2: 0.7},
        "dark": {11: 1.25, 12: 1.3, 1: 1.3, 2: 1.2, 6: 0.8, 7: 0.8},
        "wages": {12: 1.8, 1: 2.4, 2: 1.2},
        "school": {6: 1.6, 7: 1.8, 8: 1.3, 9: 1.7, 10: 0.85, 11: 0.85, 12: 0.8, 1: 0.8, 2: 0.8, 3: 0.85},
        "water": {6: 1.25, 7: 1.3, 8: 1.25},
        "power": {6: 1.3, 7: 1.6, 8: 1.6, 12: 1.15, 1: 1.15},
        "gas": {11: 1.4, 12: 1.5, 1: 1.5, 2: 1.3},
        "green": {4: 2.2, 5: 2.0, 6: 1.2, 7: 1.2, 8: 1.1, 12: 0.5, 1: 0.5, 2: 0.5},
    }.get(key, {})
    out = np.ones(m.shape)
    for month_no, factor in table.items():
        out[m == month_no] = factor
    return out


@dataclass(frozen=True)
class Period:
    """The days of the period: day 0 holds `start`, the last day holds `now`."""

    start_s: int  # seconds since 1970 of the first instant (naive local time)
    now_s: int
    days: np.ndarray  # datetime64[D]

    @property
    def day_start_s(self) -> np.ndarray:
        return self.days.astype("datetime64[s]").astype(np.int64)


def to_seconds(moment: dt.datetime) -> int:
    return int((moment - dt.datetime(1970, 1, 1)).total_seconds())


def months_before(now: dt.datetime, months: int) -> dt.datetime:
    """`now` moved back by whole calendar months (the day clamped to the month's length)."""
    total = now.year * 12 + now.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return now.replace(year=year, month=month, day=min(now.day, last))


def make_period(now: dt.datetime, months: int) -> Period:
    start = months_before(now, months)
    days = np.arange(np.datetime64(start.date()), np.datetime64(now.date()) + 1)
    return Period(to_seconds(start), to_seconds(now), days)


@dataclass(frozen=True)
class Columns:
    """What each column of the intensity matrix is."""

    category: np.ndarray  # index into catalog.CATEGORIES
    grid: np.ndarray  # bool: found by grid patrol
    hot_spot: np.ndarray  # index into catalog.HOT_SPOTS, or -1


def _day_fraction(period: Period) -> np.ndarray:
    """Share of each day's (hotline-profile) calls that fall inside the period: the ends are partial."""
    frac = np.ones(len(period.days))
    starts = period.day_start_s
    knots = _CDF_KNOTS["hotline"]
    hour_axis = np.arange(25) * 3600
    frac[0] -= np.interp(period.start_s - starts[0], hour_axis, knots)
    frac[-1] -= 1 - np.interp(period.now_s - starts[-1], hour_axis, knots)
    return np.clip(frac, 0, 1)


def _grid_scale() -> float:
    # Scale the categories' grid affinities so that ~15 % of all cases are found on patrol.
    shares = np.array([c.share for c in catalog.CATEGORIES])
    grid = np.array([c.grid for c in catalog.CATEGORIES])
    return GRID_SHARE / float((shares * grid).sum() / shares.sum())


def intensity(period: Period, rng: np.random.Generator) -> tuple[np.ndarray, Columns]:
    """(days x columns) relative intensity of regular tickets, and the column descriptions."""
    days = period.days
    month = (days.astype("datetime64[M]").astype(int) % 12) + 1
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    dates = days.astype(dt.date)
    workday = np.array([is_workday(d) for d in dates])
    public_w = WEEKDAY_PUBLIC[weekday].copy()
    grid_w = WEEKDAY_GRID[weekday].copy()
    holiday = ~workday & (weekday < 5)
    adjusted = workday & (weekday >= 5)  # 调休: a working weekend
    public_w[holiday], grid_w[holiday] = HOLIDAY_PUBLIC, HOLIDAY_GRID
    public_w[adjusted], grid_w[adjusted] = 1.0, 1.05
    t = np.linspace(0, 1, len(days))
    base = (1 - GROWTH / 2 + GROWTH * t) * _day_fraction(period)
    summer = np.nonzero((month == 7) | (month == 8))[0]
    storms = rng.choice(summer, size=min(STORM_DAYS, len(summer)), replace=False) if len(summer) else []
    take_up = (period.now_s - catalog.TOPIC_TAKEUP_DAYS * DAY - period.day_start_s) / DAY  # < 0 after take-up
    grid_scale = _grid_scale()
    cols_cat, cols_grid, cols = [], [], []
    for ci, cat in enumerate(catalog.CATEGORIES):
        season = _season(cat.season, month, dom)
        g = min(0.85, cat.grid * grid_scale)
        public = cat.share * (1 - g) * season * base * public_w
        grid = cat.share * g * season * base * grid_w
        if cat.name in ("排水防汛", "供电"):
            boost = STORM_BOOST if cat.name == "排水防汛" else 2.5
            public[storms] *= boost
            grid[storms] *= boost / 2
        if cat.name == catalog.TOPIC_CATEGORY:
            pub_m, grid_m = topic_multipliers(-take_up)
            public, grid = public * pub_m, grid * grid_m
        cols.append(public)
        cols_cat.append(ci)
        cols_grid.append(False)
        if g > 0:
            cols.append(grid)
            cols_cat.append(ci)
            cols_grid.append(True)
    columns = Columns(np.array(cols_cat), np.array(cols_grid), np.full(len(cols), -1))
    return np.stack(cols, axis=1), columns


def topic_multipliers(days_after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(public, grid) multipliers of the 每月一题 category: rising to the take-up, about a third lower after.

    `days_after` is days since the take-up (negative before it).
    """
    before = days_after < 0
    span = max(1.0, float(-days_after.min())) if before.any() else 1.0
    ramp = 0.95 + 0.3 * (1 + np.clip(days_after, -span, 0) / span)  # 0.95 at the start, 1.25 at take-up
    settle = np.exp(-np.clip(days_after, 0, None) / 15.0)  # the effect shows within about a month
    public = np.where(before, ramp, 1.25 * (0.45 + 0.55 * settle))
    grid = np.where(before, ramp, 1.25 * (1.1 - 0.1 * settle))
    return public, grid


def hot_spot_intensity(period: Period) -> np.ndarray:
    """(days x hot spots) relative intensity; each column sums to 1 (or is all zero)."""
    days = period.days
    month = (days.astype("datetime64[M]").astype(int) % 12) + 1
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    before_now = (period.now_s - period.day_start_s) / DAY
    frac = _day_fraction(period)
    cols = []
    take_up = before_now - catalog.TOPIC_TAKEUP_DAYS
    for spot in catalog.HOT_SPOTS:
        if spot.season == "window":
            lo, hi = spot.window_days or (0, 0)
            w = ((before_now <= lo) & (before_now >= hi)).astype(float)
        elif spot.category == catalog.TOPIC_CATEGORY:
            w = topic_multipliers(-take_up)[0] * _season(spot.season, month, dom)
        else:
            w = _season(spot.season, month, dom)
        w = w * frac
        cols.append(w / w.sum() if w.sum() > 0 else w)
    return np.stack(cols, axis=1)


def draw_counts(
    period: Period, tickets: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, Columns]:
    """Per ticket, in order of day: (day index, column index), and the columns.

    Hot spots get their own yearly counts (with a floor, so small samples still show them); the rest of
    `tickets` is spread over the regular matrix.
    """
    regular, columns = intensity(period, rng)
    spots = hot_spot_intensity(period)
    years = len(period.days) / 365.0
    spot_counts = np.array(
        [
            0 if spots[:, h].sum() == 0 else max(s.minimum, round(s.per_100k * tickets / 100_000 * years))
            for h, s in enumerate(catalog.HOT_SPOTS)
        ]
    )
    spot_counts = np.minimum(spot_counts, tickets // (4 * len(catalog.HOT_SPOTS)))
    n_regular = tickets - int(spot_counts.sum())
    p = regular.ravel() / regular.sum()
    counts = rng.multinomial(n_regular, p).reshape(regular.shape)
    spot_day_counts = np.stack(
        [
            rng.multinomial(int(n), spots[:, h]) if n else np.zeros(len(period.days), dtype=np.int64)
            for h, n in enumerate(spot_counts)
        ],
        axis=1,
    )
    all_counts = np.concatenate([counts, spot_day_counts], axis=1)
    spot_cat = [catalog.CATEGORY_INDEX[s.category] for s in catalog.HOT_SPOTS]
    columns = Columns(
        np.concatenate([columns.category, spot_cat]).astype(np.int64),
        np.concatenate([columns.grid, np.zeros(len(spot_cat), bool)]),
        np.concatenate([columns.hot_spot, np.arange(len(spot_cat))]).astype(np.int64),
    )
    flat = all_counts.ravel()
    cells = np.repeat(np.arange(flat.size), flat)
    day_idx, col_idx = np.divmod(cells, all_counts.shape[1])
    return day_idx, col_idx, columns


def time_of_day(
    profile: np.ndarray, lo_s: np.ndarray, hi_s: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Seconds after midnight drawn from each ticket's hourly profile, restricted to [lo_s, hi_s)."""
    out = np.zeros(len(profile), dtype=np.int64)
    hour_axis = np.arange(25) * 3600.0
    for k, name in enumerate(PROFILE_NAMES):
        sel = np.nonzero(profile == k)[0]
        if not len(sel):
            continue
        knots = _CDF_KNOTS[name]
        f_lo = np.interp(lo_s[sel], hour_axis, knots)
        f_hi = np.interp(hi_s[sel], hour_axis, knots)
        u = f_lo + (f_hi - f_lo) * rng.random(len(sel))
        # Invert the piecewise-linear CDF; flat hours (zero weight) are skipped by the strict knots.
        idx = np.clip(np.searchsorted(knots, u, side="right") - 1, 0, 23)
        width = knots[idx + 1] - knots[idx]
        within = np.where(width > 0, (u - knots[idx]) / np.where(width > 0, width, 1), 0.5)
        secs = (idx + within) * 3600
        out[sel] = np.clip(np.floor(secs), lo_s[sel], np.maximum(lo_s[sel], hi_s[sel] - 1)).astype(np.int64)
    return out
