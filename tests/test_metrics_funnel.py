"""The funnel's conversions, drop-offs, event shares and stage hours, worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from metrics import funnel

NAN = float("nan")

# The case book's November funnel (see tests/test_flow_queries.py).
CASEBOOK = dict(zip(funnel.STAGES, (9, 8, 5, 4, 3, 3, 2)))


def _same(got, expected) -> bool:
    return all((math.isnan(g) and math.isnan(e)) or g == pytest.approx(e) for g, e in zip(got, expected, strict=True))


@pytest.mark.parametrize(
    "counts, conversion, from_received, drop_off",
    [
        (
            CASEBOOK,
            [NAN, 8 / 9, 5 / 8, 4 / 5, 3 / 4, 3 / 3, 2 / 3],
            [1, 8 / 9, 5 / 9, 4 / 9, 3 / 9, 3 / 9, 2 / 9],
            [NAN, 1, 3, 1, 1, 0, 1],
        ),
        (
            # Everything reaches every stage: conversions all 1, nothing lost.
            dict.fromkeys(funnel.STAGES, 4),
            [NAN, 1, 1, 1, 1, 1, 1],
            [1, 1, 1, 1, 1, 1, 1],
            [NAN, 0, 0, 0, 0, 0, 0],
        ),
        (
            # Only enquiries answered on the spot: nothing dispatched, so later conversions are 0 ÷ 0.
            {**dict.fromkeys(funnel.STAGES, 0), "received": 3},
            [NAN, 0, NAN, NAN, NAN, NAN, NAN],
            [1, 0, 0, 0, 0, 0, 0],
            [NAN, 3, 0, 0, 0, 0, 0],
        ),
        (
            dict.fromkeys(funnel.STAGES, 0),
            [NAN] * 7,
            [NAN] * 7,
            [NAN, 0, 0, 0, 0, 0, 0],
        ),
    ],
    ids=["casebook-november", "no-losses", "nothing-dispatched", "no-tickets"],
)
def test_funnel_frame(counts, conversion, from_received, drop_off):
    frame = funnel.funnel_frame(counts)
    assert list(frame.columns) == list(funnel.FUNNEL_COLUMNS)
    assert list(frame["stage"]) == list(funnel.STAGES)
    assert list(frame["count"]) == [counts[s] for s in funnel.STAGES]
    assert _same(frame["conversion"], conversion)
    assert _same(frame["from_received"], from_received)
    assert _same(frame["drop_off"], drop_off)


def test_funnel_frame_reads_missing_counts_as_zero():
    frame = funnel.funnel_frame({**CASEBOOK, "satisfied": None})
    assert frame["count"].iloc[-1] == 0 and frame["drop_off"].iloc[-1] == 3


def test_funnel_frame_refuses_a_missing_stage():
    counts = {s: 1 for s in funnel.STAGES if s != "callback"}
    with pytest.raises(ValueError, match="callback"):
        funnel.funnel_frame(counts)


def test_grouped_funnel_stacks_one_funnel_per_group():
    frame = pd.DataFrame(
        [
            {"group": "东湖街道", **dict(zip(funnel.STAGES, (4, 4, 4, 4, 3, 3, 2)))},
            {"group": "西苑街道", **dict(zip(funnel.STAGES, (5, 4, 1, 0, 0, 0, 0)))},
        ]
    )
    long = funnel.grouped_funnel(frame, "group")
    assert list(long.columns) == ["group", *funnel.FUNNEL_COLUMNS]
    assert len(long) == 14
    west = long[long["group"] == "西苑街道"]
    assert _same(west["conversion"], [NAN, 4 / 5, 1 / 4, 0, NAN, NAN, NAN])
    east = long[long["group"] == "东湖街道"]
    assert _same(east["from_received"], [1, 1, 1, 1, 3 / 4, 3 / 4, 2 / 4])


def test_grouped_funnel_of_no_groups_is_empty():
    long = funnel.grouped_funnel(pd.DataFrame(columns=["group", *funnel.STAGES]), "group")
    assert long.empty and list(long.columns) == ["group", *funnel.FUNNEL_COLUMNS]


@pytest.mark.parametrize(
    "dispatched, tickets, shares",
    [
        (8, (1, 1, 1, 1, 0), [1 / 8, 1 / 8, 1 / 8, 1 / 8, 0]),  # the case book's November
        (200, (10, 5, 0, 40, 2), [0.05, 0.025, 0, 0.2, 0.01]),
        (0, (0, 0, 0, 0, 0), [NAN] * 5),
    ],
    ids=["casebook-november", "two-hundred-dispatched", "nothing-dispatched"],
)
def test_event_shares(dispatched, tickets, shares):
    counts = {"dispatched": dispatched, **{f"{e}_tickets": n for e, n in zip(funnel.EVENTS, tickets)}}
    frame = funnel.event_shares(counts)
    assert list(frame["event"]) == list(funnel.EVENTS)
    assert list(frame["tickets"]) == list(tickets)
    assert set(frame["dispatched"]) == {dispatched}
    assert _same(frame["share"], shares)


def test_stage_hours_orders_stages_and_converts_seconds():
    medians = pd.DataFrame(
        {
            "stage": ["closed", "dispatched", "callback"],  # out of order, two stages missing
            "n": [5, 8, 3],
            "reversed": [1, 0, 0],
            "median_seconds": [86400.0, 1200.0, 169200.0],
        }
    )
    out = funnel.stage_hours(medians)
    assert list(out["stage"]) == list(funnel.TIMED_STAGES)
    assert _same(out["median_hours"], [1 / 3, NAN, NAN, 24, 47])
    assert list(out["n"]) == [8, 0, 0, 5, 3]
    assert list(out["reversed"]) == [0, 0, 0, 1, 0]
