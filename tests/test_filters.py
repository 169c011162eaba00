"""The shared filters' URL form: parsing (malformed or stale values fall back with a notice) and writing."""

from __future__ import annotations

import datetime as dt

import pytest

from ui.filters import CUSTOM, Catalogue, FilterState, parse_query_params, to_query_params

CATALOGUE = Catalogue(
    streets=["S1", "S2"],
    communities={"C1a": "S1", "C1b": "S1", "C2a": "S2"},
    categories=["供暖", "噪音扰民"],
)
TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    "params, expected, ignored",
    [
        ({}, FilterState(), []),
        ({"street": ["S1"]}, FilterState(street="S1"), []),
        ({"community": ["C2a"]}, FilterState(street="S2", community="C2a"), []),
        ({"street": ["S1"], "community": ["C2a"]}, FilterState(street="S1"), [("community", "C2a")]),
        ({"street": ["S9"]}, FilterState(), [("street", "S9")]),
        ({"period": ["this_week"]}, FilterState(period="this_week"), []),
        ({"period": ["fortnight"]}, FilterState(), [("period", "fortnight")]),
        (
            {"period": ["custom"], "since": ["2026-10-01"], "until": ["2026-10-31"]},
            FilterState(period=CUSTOM, since=dt.date(2026, 10, 1), until=dt.date(2026, 10, 31)),
            [],
        ),
        ({"since": ["2026-10-01"], "until": ["2026-10-31"]}, FilterState(period=CUSTOM, since=dt.date(2026, 10, 1), until=dt.date(2026, 10, 31)), []),
        ({"period": ["custom"], "since": ["2026-10-31"], "until": ["2026-10-01"]}, FilterState(), [("period", "2026-10-31..2026-10-01")]),
        ({"period": ["custom"], "since": ["2026-02-30"], "until": ["2026-10-01"]}, FilterState(), [("period", "2026-02-30..2026-10-01")]),
        ({"period": ["custom"], "since": ["2000-01-01"], "until": ["2026-10-01"]}, FilterState(), [("period", "2000-01-01..2026-10-01")]),
        ({"category": ["供暖", "外星人", "供暖"]}, FilterState(categories=("供暖",)), [("category", "外星人")]),
        ({"channel": ["grid", "fax"]}, FilterState(channels=("grid",)), [("channel", "fax")]),
    ],
    ids=[
        "empty", "street", "community-implies-street", "community-outside-street", "unknown-street",
        "preset", "unknown-preset", "custom", "custom-implied", "custom-reversed", "custom-bad-date",
        "custom-too-long", "categories-dedup-unknown", "channels",
    ],
)
def test_parse_query_params(params, expected, ignored):
    state, problems = parse_query_params(params, CATALOGUE, TODAY)
    assert state == expected
    assert problems.ignored == ignored


@pytest.mark.parametrize(
    "state",
    [
        FilterState(),
        FilterState(street="S1", community="C1b", period="last_week", categories=("供暖", "噪音扰民"), channels=("hotline",)),
        FilterState(period=CUSTOM, since=dt.date(2026, 9, 1), until=dt.date(2026, 9, 30)),
    ],
    ids=["defaults", "everything", "custom"],
)
def test_round_trip(state):
    params = {k: v if isinstance(v, list) else [v] for k, v in to_query_params(state).items()}
    parsed, problems = parse_query_params(params, CATALOGUE, TODAY)
    assert parsed == state
    assert problems.ignored == []


def test_defaults_leave_the_url_clean():
    assert to_query_params(FilterState()) == {}


@pytest.mark.parametrize(
    "state, window",
    [
        (FilterState(period="this_month"), (dt.date(2026, 11, 1), dt.date(2026, 11, 20))),
        (FilterState(period="last_month"), (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
        (FilterState(period=CUSTOM, since=dt.date(2026, 1, 5), until=dt.date(2026, 1, 9)), (dt.date(2026, 1, 5), dt.date(2026, 1, 9))),
    ],
    ids=["this-month-so-far", "last-month", "custom"],
)
def test_window(state, window):
    assert state.window(TODAY) == window
