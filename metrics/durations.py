"""Durations in buckets, and medians read from bucket counts (histograms) instead of a sort of every value.

The rollups count each stage's durations (受理→派单, …, 办结→回访; see `data_access.ticket_measures`) per
bucket. A median read from those counts is the midpoint of the bucket that holds the middle value, so it
is within half a bucket of the exact median. The layout makes that half-bucket small everywhere:

* under 1 hour: 5-minute buckets — within 2.5 minutes;
* 1 hour to 50 hours: 1-hour buckets — within 0.5 hours;
* from 50 hours on: buckets 2 % wide (each edge 1.02 × the one before) — within 1 %.

A middle value read this way is within 1 % or 0.5 h of itself, whichever is larger. For an even count the
median is the mean of the two middle values, and their errors add up by halves: with one middle value near
0 and the other at 108 h, 1 % of the mean is less than the two half-errors together. So the bound stated to
users is the sum: a median from the histogram is within **1 % + 0.5 h** of the exact one (and within 2.5
minutes below an hour). `bucket_of` is the layout in Python; the database computes the same with
`data_access.ticket_measures.duration_bucket` (FLOOR and LN), from these constants.
"""

from __future__ import annotations

import math
from typing import Iterable

import pandas as pd

HOUR = 3600.0
FINE_WIDTH = 300.0  # below an hour: 5-minute buckets
FINE_LIMIT = HOUR
HOURLY_LIMIT = 50 * HOUR  # below: one bucket per hour
GROWTH = 1.02  # above: each bucket 2 % wider than the one before
HOURLY_FIRST = int(FINE_LIMIT / FINE_WIDTH)  # 12: bucket of [1 h, 2 h)
GEOMETRIC_FIRST = HOURLY_FIRST + int((HOURLY_LIMIT - HOUR) / HOUR)  # 61: bucket of [50 h, 51 h)

# What a reader is told about a median read this way (the hover texts say it too).
RELATIVE_BOUND = 0.01
ABSOLUTE_BOUND_SECONDS = 0.5 * HOUR


def bucket_of(seconds: float) -> int:
    """The bucket of a duration (seconds ≥ 0)."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    if seconds < FINE_LIMIT:
        return int(seconds // FINE_WIDTH)
    if seconds < HOURLY_LIMIT:
        return HOURLY_FIRST - 1 + int(seconds // HOUR)
    return GEOMETRIC_FIRST + int(math.floor(math.log(seconds / HOURLY_LIMIT) / math.log(GROWTH)))


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[low, high) of a bucket, in seconds."""
    if bucket < 0:
        raise ValueError(f"no bucket {bucket}")
    if bucket < HOURLY_FIRST:
        return bucket * FINE_WIDTH, (bucket + 1) * FINE_WIDTH
    if bucket < GEOMETRIC_FIRST:
        hours = bucket - HOURLY_FIRST + 1
        return hours * HOUR, (hours + 1) * HOUR
    k = bucket - GEOMETRIC_FIRST
    return HOURLY_LIMIT * GROWTH**k, HOURLY_LIMIT * GROWTH ** (k + 1)


def bucket_midpoint(bucket: int) -> float:
    low, high = bucket_bounds(bucket)
    return (low + high) / 2


def within_bound(estimate: float, exact: float) -> bool:
    """Whether a histogram median keeps the stated bound: within 1 % + 0.5 h of the exact value (a hair of
    floating-point slack for durations that sit exactly on a bucket edge)."""
    allowed = RELATIVE_BOUND * abs(exact) + ABSOLUTE_BOUND_SECONDS
    return abs(estimate - exact) <= allowed * (1 + 1e-9) + 1e-6


def median_from_counts(buckets: Iterable[int], counts: Iterable[int]) -> tuple[int, float | None]:
    """(n, median seconds) of a histogram given as bucket numbers and counts; (0, None) when empty.

    The median of n values is the middle one (odd n) or the mean of the two middle ones (even n); each is
    taken as the midpoint of the bucket holding it.
    """
    frame = pd.DataFrame({"bucket": list(buckets), "n": list(counts)})
    frame = frame[frame["n"] > 0].groupby("bucket", as_index=False)["n"].sum().sort_values("bucket")
    n = int(frame["n"].sum())
    if n == 0:
        return 0, None
    cumulative = frame["n"].cumsum().to_numpy()
    ranks = [(n + 1) // 2] if n % 2 else [n // 2, n // 2 + 1]  # 1-based ranks of the middle value(s)
    picks = [int(frame["bucket"].iloc[int((cumulative >= rank).argmax())]) for rank in ranks]
    return n, sum(bucket_midpoint(b) for b in picks) / len(picks)
