"""Duration buckets and medians from bucket counts (metrics.durations): the stated bound, hand-worked
medians, and the database computing the same bucket as Python on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import literal, select

from data_access.ticket_measures import duration_bucket
from metrics import durations as d

HOUR = 3600.0


@pytest.mark.parametrize(
    "seconds, bucket",
    [
        (0, 0), (299.9, 0), (300, 1), (3599, 11),  # 5-minute buckets under an hour
        (3600, 12), (7199, 12), (7200, 13), (49 * HOUR, 60), (50 * HOUR - 1, 60),  # hourly to 50 h
        (50 * HOUR, 61), (50 * HOUR * 1.02, 62), (50 * HOUR * 1.02**10 + 1, 71),  # 2 % wide from 50 h
    ],
    ids=lambda v: str(v),
)
def test_bucket_layout(seconds, bucket):
    assert d.bucket_of(seconds) == bucket


@given(st.floats(min_value=0, max_value=3.2e7, allow_nan=False))
def test_a_bucket_holds_its_value_and_its_middle_keeps_the_bound(seconds):
    low, high = d.bucket_bounds(d.bucket_of(seconds))
    assert low <= seconds < high * (1 + 1e-12)
    assert d.within_bound(d.bucket_midpoint(d.bucket_of(seconds)), seconds)
    if seconds < HOUR:
        assert abs(d.bucket_midpoint(d.bucket_of(seconds)) - seconds) <= 150  # 2.5 minutes


def test_negative_durations_are_refused():
    with pytest.raises(ValueError):
        d.bucket_of(-1)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([], None),
        ([10 * HOUR], 10.5 * HOUR),  # one value: its bucket's middle
        ([1 * HOUR, 10 * HOUR, 30 * HOUR], 10.5 * HOUR),  # odd: the middle one
        ([1 * HOUR, 10 * HOUR, 20 * HOUR, 30 * HOUR], (10.5 + 20.5) / 2 * HOUR),  # even: mean of the middle two
        ([600, 660, 700], 750),  # the same 5-minute bucket [10, 15) min
    ],
    ids=["empty", "one", "odd", "even-across-buckets", "same-bucket"],
)
def test_median_from_counts(values, expected):
    buckets = [d.bucket_of(v) for v in values]
    n, median = d.median_from_counts(buckets, [1] * len(buckets))
    assert (n, median) == (len(values), expected)


@given(st.lists(st.floats(min_value=0, max_value=2e6, allow_nan=False), min_size=1, max_size=60))
@example([0.0, 389655.0])  # found by Hypothesis: two middle values far apart, their half-errors add up
def test_median_from_counts_is_within_the_bound_of_the_exact_median(values):
    ordered = sorted(values)
    n = len(ordered)
    exact = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    buckets = [d.bucket_of(v) for v in values]
    _, median = d.median_from_counts(buckets, [1] * n)
    assert median is not None and d.within_bound(median, exact)


@pytest.mark.parametrize(
    "seconds",
    [0, 1, 299, 300, 1800, 3599, 3600, 3601, 86_400, 50 * HOUR - 1, 50 * HOUR, 50 * HOUR + 1, 123_456_7, 9_999_999],
)
def test_the_database_buckets_like_python(engine, seconds):
    with engine.connect() as conn:
        got = conn.execute(select(duration_bucket(literal(seconds)))).scalar_one()
    assert int(got) == d.bucket_of(seconds)
