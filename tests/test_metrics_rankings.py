"""Rankings: competition ranks on ties, the min-sample and no-score guards, deterministic order."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.settings import DEFAULT_SETTINGS, settings_from_mapping
from metrics import rankings
from metrics.rankings import REASON_NO_SCORE, REASON_SMALL_SAMPLE

NAN = float("nan")


def units(*rows: tuple) -> pd.DataFrame:
    """A frame of (name, score, tickets) rows."""
    return pd.DataFrame(rows, columns=["name", "score", "tickets"])


def outcome(ranking: pd.DataFrame) -> list[tuple]:
    """(name, rank or None, reason or None) in output order."""
    return [
        (row.name, None if pd.isna(row.rank) else int(row.rank), row.unranked_reason)
        for row in ranking.itertuples(index=False)
    ]


@pytest.mark.parametrize(
    ("frame", "options", "expected"),
    [
        (
            units(("a", 0.9, 50), ("b", 0.8, 50), ("c", 0.8, 50), ("d", 0.7, 50)),
            {},
            [("a", 1, None), ("b", 2, None), ("c", 2, None), ("d", 4, None)],
        ),
        (
            units(("z", 0.8, 50), ("y", 0.8, 50), ("x", 0.9, 50)),
            {},
            [("x", 1, None), ("y", 2, None), ("z", 2, None)],
        ),
        (
            units(("a", 0.8, 50), ("b", 0.8, 50), ("c", 0.8, 50)),
            {},
            [("a", 1, None), ("b", 1, None), ("c", 1, None)],
        ),
        (
            units(("a", 10.0, 50), ("b", 5.0, 50), ("c", 5.0, 50), ("d", 20.0, 50)),
            {"higher_is_better": False},
            [("b", 1, None), ("c", 1, None), ("a", 3, None), ("d", 4, None)],
        ),
        (
            units(("a", 0.99, 29), ("b", 0.50, 30), ("c", 0.70, 31)),
            {},
            [("c", 1, None), ("b", 2, None), ("a", None, REASON_SMALL_SAMPLE)],
        ),
        (
            units(("a", 0.9, 100), ("b", NAN, 100), ("c", 0.8, 100)),
            {},
            [("a", 1, None), ("c", 2, None), ("b", None, REASON_NO_SCORE)],
        ),
        (
            units(("a", NAN, 3), ("b", 0.9, 40)),
            {},
            [("b", 1, None), ("a", None, REASON_SMALL_SAMPLE)],
        ),
        (
            units(("a", 0.9, 40), ("b", 0.8, 60), ("c", 0.7, 60)),
            {"settings": settings_from_mapping({"min_ranked_tickets": 50})},
            [("b", 1, None), ("c", 2, None), ("a", None, REASON_SMALL_SAMPLE)],
        ),
        (
            units(("a", 0.9, 50), ("b", 0.95, 5), ("c", 0.8, 50), ("d", NAN, 50), ("e", 0.85, 1)),
            {},
            [
                ("a", 1, None),
                ("c", 2, None),
                ("b", None, REASON_SMALL_SAMPLE),  # unranked: by score, then name, undefined last
                ("e", None, REASON_SMALL_SAMPLE),
                ("d", None, REASON_NO_SCORE),
            ],
        ),
        (
            units(("a", 0.1 + 0.2, 50), ("b", 0.3, 50)),  # 0.30000000000000004 vs 0.3
            {},
            [("a", 1, None), ("b", 1, None)],
        ),
        (
            units(("a", 0.9, 1), ("b", NAN, 0)),
            {},
            [("a", None, REASON_SMALL_SAMPLE), ("b", None, REASON_SMALL_SAMPLE)],
        ),
        (
            units(("东城", 0.9, 50), ("东华门", 0.9, 50), ("安定门", 0.95, 50)),
            {},
            [("安定门", 1, None), ("东华门", 2, None), ("东城", 2, None)],  # ties by code point: 华 < 城
        ),
        (
            pd.DataFrame(
                {"name": ["a", "b"], "score": [0.9, 0.8], "tickets": [1, 1], "dispatched": [40, 40]}
            ),
            {"sample": "dispatched"},
            [("a", 1, None), ("b", 2, None)],
        ),
    ],
    ids=[
        "competition-ties-1-2-2-4",
        "tie-ordered-by-name",
        "all-tied",
        "lower-is-better",
        "below-30-not-ranked",
        "no-score-kept-last",
        "small-sample-wins-over-no-score",
        "min-tickets-override",
        "unranked-take-no-rank-numbers",
        "float-noise-ties",
        "nobody-ranked",
        "chinese-names-code-point-order",
        "sample-column-choice",
    ],
)
def test_rank_units(frame, options, expected):
    assert outcome(rankings.rank_units(frame, "score", "name", **options)) == expected


def test_rank_units_output_columns():
    frame = units(("a", 0.9, 50), ("b", None, 50))
    out = rankings.rank_units(frame, "score", "name")
    assert list(out.columns) == ["name", "score", "tickets", "rank", "ranked", "unranked_reason"]
    assert str(out["rank"].dtype) == "Int64"
    assert out["ranked"].tolist() == [True, False]
    assert out["unranked_reason"].tolist() == [None, REASON_NO_SCORE]
    assert list(out.index) == [0, 1]


def test_rank_units_leaves_its_input_alone():
    frame = units(("b", 0.8, 50), ("a", 0.9, 50))
    rankings.rank_units(frame, "score", "name")
    assert list(frame.columns) == ["name", "score", "tickets"]
    assert frame["name"].tolist() == ["b", "a"]


def test_rank_units_by_name_then_code():
    frame = pd.DataFrame(
        {"name": ["和平", "和平"], "code": ["110102", "110101"], "score": [0.9, 0.9], "tickets": [50, 50]}
    )
    out = rankings.rank_units(frame, "score", ["name", "code"])
    assert out["code"].tolist() == ["110101", "110102"]
    assert out["rank"].tolist() == [1, 1]


def test_rank_units_rejects_duplicate_units():
    with pytest.raises(ValueError, match="appears twice"):
        rankings.rank_units(units(("a", 0.9, 50), ("a", 0.8, 50)), "score", "name")


def test_rank_units_treats_none_and_inf_as_no_score():
    frame = pd.DataFrame(
        {"name": ["a", "b", "c"], "score": [None, float("inf"), 0.5], "tickets": [50, 50, 50]}
    )
    out = rankings.rank_units(frame, "score", "name", settings=DEFAULT_SETTINGS)
    assert outcome(out) == [("c", 1, None), ("a", None, REASON_NO_SCORE), ("b", None, REASON_NO_SCORE)]


# ------------------------------------------------------------------------------------ red/black lists

# Ranks: a 1, b 2, c 2, d 4, e 5, f 6; g is a small sample and never listed.
LEAGUE = units(
    ("a", 0.99, 50),
    ("b", 0.95, 50),
    ("c", 0.95, 50),
    ("d", 0.90, 50),
    ("e", 0.85, 50),
    ("f", 0.80, 50),
    ("g", 0.10, 3),
)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, ["a"]), (2, ["a", "b", "c"]), (3, ["a", "b", "c"]), (4, ["a", "b", "c", "d"]), (0, [])],
    ids=["top-1", "top-2-includes-tie", "top-3", "top-4", "top-0"],
)
def test_top_n(n, expected):
    ranking = rankings.rank_units(LEAGUE, "score", "name")
    assert rankings.top_n(ranking, n)["name"].tolist() == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, ["f"]), (3, ["f", "e", "d"]), (4, ["f", "e", "d", "b", "c"]), (0, [])],
    ids=["bottom-1", "bottom-3", "bottom-4-includes-tie-in-name-order", "bottom-0"],
)
def test_bottom_n(n, expected):
    ranking = rankings.rank_units(LEAGUE, "score", "name")
    assert rankings.bottom_n(ranking, n)["name"].tolist() == expected


@pytest.mark.parametrize(
    ("n", "red", "black"),
    [
        (2, ["a", "b", "c"], ["f", "e"]),
        (3, ["a", "b", "c"], ["f", "e", "d"]),
        (4, ["a", "b", "c", "d"], ["f", "e"]),
    ],
    ids=["disjoint", "exactly-half", "overlap-stays-red"],
)
def test_red_black_lists(n, red, black):
    ranking = rankings.rank_units(LEAGUE, "score", "name")
    red_list, black_list = rankings.red_black_lists(ranking, n)
    assert red_list["name"].tolist() == red
    assert black_list["name"].tolist() == black


# ------------------------------------------------------------------------------------------ property


@st.composite
def league_with_ties(draw):
    """Up to 12 uniquely named units; scores from a small set so ties are common; some small or unscored."""
    names = draw(st.lists(st.sampled_from("甲乙丙丁戊己庚辛壬癸AB"), min_size=1, max_size=12, unique=True))
    scores = st.sampled_from([0.5, 0.8, 0.8, 0.9, NAN])
    tickets = st.sampled_from([0, 10, 29, 30, 31, 100])
    rows = [(name, draw(scores), draw(tickets)) for name in names]
    return units(*rows)


@given(league_with_ties(), st.randoms(use_true_random=False), st.booleans())
def test_ranking_does_not_depend_on_input_order(frame, random, higher_is_better):
    shuffled = frame.sample(frac=1, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    first = rankings.rank_units(frame, "score", "name", higher_is_better=higher_is_better)
    second = rankings.rank_units(shuffled, "score", "name", higher_is_better=higher_is_better)
    pd.testing.assert_frame_equal(first, second)
    ranked = first[first["ranked"]]
    assert ranked["rank"].is_monotonic_increasing
    assert (ranked["tickets"] >= DEFAULT_SETTINGS.min_ranked_tickets).all()
