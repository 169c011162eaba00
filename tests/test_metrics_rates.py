"""Rates from counts: hand-worked tables, then properties that must hold for any consistent counts."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.settings import DEFAULT_SETTINGS, settings_from_mapping
from metrics import rates


def counts(**given_counts: int) -> dict[str, int]:
    """Every count of the contract, 0 unless given."""
    base = dict.fromkeys(rates.COUNT_COLUMNS, 0)
    unknown = set(given_counts) - set(base)
    assert not unknown, unknown
    base.update(given_counts)
    return base


# A typical month of one street, worked by hand in the ids and expected values below.
TYPICAL = counts(
    tickets=15,
    dispatched=10,
    response_due=10,
    contacted_on_time=9,
    callbacks_answered=10,
    solved=7,
    partly=2,
    unsolved=1,
    satisfied=8,
    basic=1,
    unsatisfied=1,
    callback_due=12,
    callback_covered=10,
    closed=11,
    closed_on_time=9,
    open_overdue=1,
    open=4,
)


# ------------------------------------------------------------------------------------ compute_rates


@pytest.mark.parametrize(
    ("given_counts", "expected"),
    [
        (
            TYPICAL,
            {
                "tickets": 15,
                "dispatched": 10,
                "response_rate": 0.9,  # 9/10
                "resolution_rate": 0.8,  # (7 + 0.5·2)/10
                "satisfaction_rate": 0.9,  # (8 + 1·1)/10
                "callback_coverage": 10 / 12,
                "composite": 85.5,  # 100·(0.10·0.9 + 0.45·0.8 + 0.45·0.9) = 9 + 36 + 40.5
                "on_time_close_rate": 0.75,  # 9/(11 + 1)
                "overdue_open": 1,
            },
        ),
        (
            counts(),
            {
                "tickets": 0,
                "dispatched": 0,
                "response_rate": None,
                "resolution_rate": None,
                "satisfaction_rate": None,
                "callback_coverage": None,
                "composite": None,
                "on_time_close_rate": None,
                "overdue_open": 0,
            },
        ),
        (
            counts(tickets=6, dispatched=5, response_due=5, contacted_on_time=4, open=6, open_overdue=0),
            {
                "tickets": 6,
                "dispatched": 5,
                "response_rate": 0.8,  # 4/5
                "resolution_rate": None,  # no answered callback yet
                "satisfaction_rate": None,
                "callback_coverage": None,  # nothing due for a callback
                "composite": None,  # a rate is missing
                "on_time_close_rate": None,  # nothing closed, nothing overdue
                "overdue_open": 0,
            },
        ),
        (
            counts(tickets=4, open=4, open_overdue=4),
            {
                "tickets": 4,
                "dispatched": 0,
                "response_rate": None,
                "resolution_rate": None,
                "satisfaction_rate": None,
                "callback_coverage": None,
                "composite": None,
                "on_time_close_rate": 0.0,  # 0/(0 + 4): grid cases all overdue
                "overdue_open": 4,
            },
        ),
    ],
    ids=["typical-street-month", "all-empty", "dispatched-no-callbacks", "only-open-overdue"],
)
def test_compute_rates(given_counts, expected):
    result = rates.compute_rates(given_counts, DEFAULT_SETTINGS)
    assert list(result) == list(rates.RATE_KEYS)
    for key, value in expected.items():
        if value is None:
            assert result[key] is None, key
        else:
            assert result[key] == pytest.approx(value), key


def test_compute_rates_names_missing_counts():
    partial = counts()
    del partial["callback_due"]
    with pytest.raises(ValueError, match="callback_due"):
        rates.compute_rates(partial)


def test_compute_rates_treats_null_sums_as_zero():
    # SQL SUM over no rows is NULL; it means "none", not an error.
    result = rates.compute_rates(dict.fromkeys(rates.COUNT_COLUMNS, None))
    assert result["tickets"] == 0
    assert result["response_rate"] is None
    assert result["composite"] is None


def test_compute_rates_counts_are_ints():
    result = rates.compute_rates(TYPICAL)
    assert isinstance(result["tickets"], int)
    assert isinstance(result["overdue_open"], int)


# ----------------------------------------------------------------------------------- single rates


@pytest.mark.parametrize(
    ("response_due", "contacted_on_time", "expected"),
    [(10, 9, 0.9), (3, 0, 0.0), (7, 7, 1.0), (0, 0, None)],
    ids=["9-of-10", "none-contacted", "all-contacted", "none-due"],
)
def test_response_rate(response_due, contacted_on_time, expected):
    # 12 dispatched, of which only `response_due` owe a response by now: the rest do not count.
    got = rates.response_rate(counts(dispatched=12, response_due=response_due, contacted_on_time=contacted_on_time))
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("solved", "partly", "unsolved", "alpha", "expected"),
    [
        (7, 2, 1, 0.5, 0.8),  # (7 + 0.5·2)/10
        (7, 2, 1, 0.0, 0.7),  # (7 + 0·2)/10: partly solved is not solved
        (7, 2, 1, 1.0, 0.9),  # (7 + 1·2)/10
        (0, 4, 0, 0.5, 0.5),  # (0 + 0.5·4)/4
        (3, 0, 1, 0.5, 0.75),  # 3/4
        (0, 0, 5, 0.5, 0.0),
        (0, 0, 0, 0.5, None),
    ],
    ids=[
        "7-2-1-default",
        "7-2-1-alpha0",
        "7-2-1-alpha1",
        "all-partly",
        "3-of-4",
        "all-unsolved",
        "no-answers",
    ],
)
def test_resolution_rate(solved, partly, unsolved, alpha, expected):
    settings = settings_from_mapping({"resolution_partial_weight": alpha})
    answered = solved + partly + unsolved
    c = counts(callbacks_answered=answered, solved=solved, partly=partly, unsolved=unsolved)
    got = rates.resolution_rate(c, settings)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("satisfied", "basic", "unsatisfied", "beta", "expected"),
    [
        (8, 1, 1, 1.0, 0.9),  # (8 + 1·1)/10, the default β: only 不满意 is bad
        (8, 1, 1, 0.5, 0.85),  # (8 + 0.5·1)/10
        (6, 3, 1, 0.0, 0.6),  # (6 + 0·3)/10: only 满意 counts
        (0, 0, 5, 1.0, 0.0),
        (0, 0, 0, 1.0, None),
    ],
    ids=["8-1-1-default", "8-1-1-beta-half", "6-3-1-beta0", "all-unsatisfied", "no-answers"],
)
def test_satisfaction_rate(satisfied, basic, unsatisfied, beta, expected):
    settings = settings_from_mapping({"satisfaction_basic_weight": beta})
    answered = satisfied + basic + unsatisfied
    c = counts(callbacks_answered=answered, satisfied=satisfied, basic=basic, unsatisfied=unsatisfied)
    got = rates.satisfaction_rate(c, settings)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("callback_due", "callback_covered", "expected"),
    [(12, 10, 10 / 12), (4, 4, 1.0), (5, 0, 0.0), (0, 0, None)],
    ids=["10-of-12", "all-covered", "none-covered", "none-due"],
)
def test_callback_coverage(callback_due, callback_covered, expected):
    got = rates.callback_coverage(counts(callback_due=callback_due, callback_covered=callback_covered))
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("closed", "closed_on_time", "open_", "open_overdue", "expected"),
    [
        (10, 8, 0, 0, 0.8),  # 8/10
        (10, 8, 3, 2, 8 / 12),  # open overdue count against: 8/(10 + 2)
        (4, 4, 5, 0, 1.0),  # open but not yet due: not in the denominator
        (0, 0, 3, 3, 0.0),  # 0/(0 + 3)
        (0, 0, 2, 0, None),  # nothing closed, nothing overdue
    ],
    ids=[
        "8-of-10-closed",
        "open-overdue-in-denominator",
        "open-not-due-ignored",
        "only-overdue",
        "nothing-due",
    ],
)
def test_on_time_close_rate(closed, closed_on_time, open_, open_overdue, expected):
    c = counts(closed=closed, closed_on_time=closed_on_time, open=open_, open_overdue=open_overdue)
    got = rates.on_time_close_rate(c)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("response", "resolution", "satisfaction", "weights", "expected"),
    [
        (0.9, 0.8, 0.9, None, 85.5),  # 100·(0.10·0.9 + 0.45·0.8 + 0.45·0.9) = 9 + 36 + 40.5
        (0.9993, 0.9381, 0.9493, None, 94.926),  # Tongzhou 2023: 9.993 + 42.2145 + 42.7185
        (1.0, 1.0, 1.0, None, 100.0),
        (0.0, 0.0, 0.0, None, 0.0),
        (0.9, 0.8, 0.9, (0.2, 0.4, 0.4), 86.0),  # 18 + 32 + 36
        (0.9, 0.8, 0.9, (0.3, 0.35, 0.35), 86.5),  # 27 + 28 + 31.5
        (None, 0.8, 0.9, None, None),
        (0.9, None, 0.9, None, None),
        (0.9, 0.8, float("nan"), None, None),
    ],
    ids=[
        "10-45-45-by-hand",
        "tongzhou-2023",
        "perfect",
        "zero",
        "20-40-40",
        "30-35-35",
        "no-response",
        "no-resolution",
        "nan-satisfaction",
    ],
)
def test_composite_score(response, resolution, satisfaction, weights, expected):
    settings = DEFAULT_SETTINGS
    if weights is not None:
        names = ("response", "resolution", "satisfaction")
        settings = settings_from_mapping({"composite_weights": dict(zip(names, weights))})
    got = rates.composite_score(response, resolution, satisfaction, settings)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(5400, 1.5), (7 * 86400, 168.0), (0, 0.0), (None, None), (float("nan"), None), (pd.NA, None)],
    ids=["90-minutes", "seven-days", "zero", "none", "nan", "pd-na"],
)
def test_median_hours(seconds, expected):
    assert rates.median_hours(seconds) == expected


@pytest.mark.parametrize(
    ("grid_closed", "grid_cases", "expected"),
    [(615_678, 642_000, 0.959), (3, 4, 0.75), (0, 0, None)],
    ids=["tongzhou-2023-95.90pct", "3-of-4", "no-cases"],
)
def test_grid_close_rate(grid_closed, grid_cases, expected):
    got = rates.grid_close_rate(grid_closed, grid_cases)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("tickets", "population", "expected"),
    [(1_500, 50_000, 300.0), (0, 1_000, 0.0), (7, 0, None), (7, None, None)],
    ids=["1500-in-5万", "no-tickets", "zero-population", "unknown-population"],
)
def test_tickets_per_10k(tickets, population, expected):
    got = rates.tickets_per_10k(tickets, population)
    assert got == (None if expected is None else pytest.approx(expected))


# ----------------------------------------------------------------------------------------- frames


def test_add_rates_per_row_with_nan_for_empty_denominators():
    frame = pd.DataFrame([{"street": "东华门", **TYPICAL}, {"street": "景山", **counts()}])
    out = rates.add_rates(frame)
    assert list(out.columns) == [*frame.columns, *rates.RATE_COLUMNS]
    first, second = out.iloc[0], out.iloc[1]
    assert first["response_rate"] == pytest.approx(0.9)
    assert first["resolution_rate"] == pytest.approx(0.8)
    assert first["satisfaction_rate"] == pytest.approx(0.9)
    assert first["callback_coverage"] == pytest.approx(10 / 12)
    assert first["composite"] == pytest.approx(85.5)
    assert first["on_time_close_rate"] == pytest.approx(0.75)
    assert first["overdue_open"] == 1
    for column in ("response_rate", "resolution_rate", "satisfaction_rate", "callback_coverage", "composite"):
        assert math.isnan(second[column]), column
    assert out["composite"].dtype == "float64"
    assert out["overdue_open"].dtype == "int64"


def test_add_rates_uses_settings():
    frame = pd.DataFrame([TYPICAL])
    settings = settings_from_mapping(
        {
            "resolution_partial_weight": 0.0,
            "composite_weights": {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4},
        }
    )
    out = rates.add_rates(frame, settings)
    assert out.loc[0, "resolution_rate"] == pytest.approx(0.7)  # 7/10
    assert out.loc[0, "composite"] == pytest.approx(82.0)  # 100·(0.2·0.9 + 0.4·0.7 + 0.4·0.9) = 18 + 28 + 36


def test_add_rates_accepts_nullable_counts_from_sql():
    frame = pd.DataFrame(
        {name: pd.array([TYPICAL[name], pd.NA], dtype="Int64") for name in rates.COUNT_COLUMNS}
    )
    out = rates.add_rates(frame)
    assert out.loc[0, "composite"] == pytest.approx(85.5)
    assert math.isnan(out.loc[1, "response_rate"])
    assert out.loc[1, "overdue_open"] == 0


def test_add_rates_does_not_modify_its_input():
    frame = pd.DataFrame([TYPICAL])
    rates.add_rates(frame)
    assert list(frame.columns) == list(rates.COUNT_COLUMNS)


def test_add_rates_names_missing_columns():
    with pytest.raises(ValueError, match="open_overdue"):
        rates.add_rates(pd.DataFrame([TYPICAL]).drop(columns=["open_overdue"]))


@pytest.mark.parametrize(
    ("function", "columns", "added", "expected"),
    [
        (
            rates.add_median_hours,
            {"median_close_seconds": [5400.0, None]},
            "median_hours_to_close",
            [1.5, None],
        ),
        (
            rates.add_grid_close_rate,
            {"grid_closed": [3, 0], "grid_cases": [4, 0]},
            "grid_close_rate",
            [0.75, None],
        ),
        (
            rates.add_tickets_per_10k,
            {"tickets": [1_500, 7], "population": [50_000, None]},
            "tickets_per_10k",
            [300.0, None],
        ),
    ],
    ids=["median-hours", "grid-close-rate", "tickets-per-10k"],
)
def test_other_frame_measures(function, columns, added, expected):
    out = function(pd.DataFrame(columns))
    assert out[added].dtype == "float64"
    assert out.loc[0, added] == pytest.approx(expected[0])
    assert math.isnan(out.loc[1, added])


# ------------------------------------------------------------------------------------- properties


@st.composite
def consistent_counts(draw):
    """Counts in which every numerator is at most its denominator, as the database produces them."""
    n = st.integers(min_value=0, max_value=10_000)
    dispatched = draw(n)
    tickets = dispatched + draw(n)
    answered = draw(st.integers(0, dispatched))
    solved = draw(st.integers(0, answered))
    partly = draw(st.integers(0, answered - solved))
    satisfied = draw(st.integers(0, answered))
    basic = draw(st.integers(0, answered - satisfied))
    callback_due = draw(st.integers(0, dispatched))
    response_due = draw(st.integers(0, dispatched))
    closed = draw(st.integers(0, tickets))
    open_ = tickets - closed
    return counts(
        tickets=tickets,
        dispatched=dispatched,
        response_due=response_due,
        contacted_on_time=draw(st.integers(0, response_due)),
        callbacks_answered=answered,
        solved=solved,
        partly=partly,
        unsolved=answered - solved - partly,
        satisfied=satisfied,
        basic=basic,
        unsatisfied=answered - satisfied - basic,
        callback_due=callback_due,
        callback_covered=draw(st.integers(0, min(callback_due, answered))),
        closed=closed,
        closed_on_time=draw(st.integers(0, closed)),
        open=open_,
        open_overdue=draw(st.integers(0, open_)),
    )


@st.composite
def valid_settings(draw):
    """α, β in [0, 1] and composite weights (whole percentages) that sum to 100 %."""
    response = draw(st.integers(0, 100))
    resolution = draw(st.integers(0, 100 - response))
    return settings_from_mapping(
        {
            "resolution_partial_weight": draw(st.floats(0, 1)),
            "satisfaction_basic_weight": draw(st.floats(0, 1)),
            "composite_weights": {
                "response": response / 100,
                "resolution": resolution / 100,
                "satisfaction": (100 - response - resolution) / 100,
            },
        }
    )


RATES_IN_UNIT_INTERVAL = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "callback_coverage",
    "on_time_close_rate",
)
# Weights such as 0.1 + 0.45 + 0.45 sum to 1 only up to float rounding.
COMPOSITE_TOLERANCE = 1e-9


@given(consistent_counts(), valid_settings())
def test_rates_stay_in_unit_interval_or_none(given_counts, settings):
    result = rates.compute_rates(given_counts, settings)
    for key in RATES_IN_UNIT_INTERVAL:
        value = result[key]
        assert value is None or (isinstance(value, float) and 0.0 <= value <= 1.0), (key, value)
    composite = result["composite"]
    assert composite is None or -COMPOSITE_TOLERANCE <= composite <= 100 + COMPOSITE_TOLERANCE
    assert (composite is None) == any(
        result[k] is None for k in ("response_rate", "resolution_rate", "satisfaction_rate")
    )


@hypothesis_settings(max_examples=50)
@given(st.lists(consistent_counts(), min_size=1, max_size=5), valid_settings())
def test_frame_rates_equal_scalar_rates(rows, settings):
    out = rates.add_rates(pd.DataFrame(rows), settings)
    for position, row in enumerate(rows):
        scalar = rates.compute_rates(row, settings)
        for key in rates.RATE_COLUMNS:
            value = out.iloc[position][key]
            if scalar[key] is None:
                assert math.isnan(value), key
            else:
                assert value == pytest.approx(scalar[key]), key
