"""Rankings of units (streets, communities) by a score, with the min-sample guard and red/black lists.

Rankings are monthly in practice and must never rank a unit on a tiny sample (DOMAIN.md): a unit with
fewer than `settings.min_ranked_tickets` tickets, or without a score, stays in the frame but is not ranked.
Ties share a rank (competition ranking: 1, 2, 2, 4) and the order is deterministic: by score, then by the
unit columns, so shuffling the input rows never changes the output.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from domain.settings import DEFAULT_SETTINGS, Settings

REASON_SMALL_SAMPLE = "small_sample"  # fewer tickets than settings.min_ranked_tickets
REASON_NO_SCORE = "no_score"  # the score is undefined (no denominator)
# Scores equal to this many decimals tie: the same rate reached through different counts can differ in
# the last bits of a float (e.g. a weighted sum), and that must not decide a rank.
SCORE_DECIMALS = 9

_KEY = "__rank_key"
_UNRANKED = "__unranked"


def rank_units(
    frame: pd.DataFrame,
    score: str,
    unit: str | Sequence[str],
    *,
    settings: Settings = DEFAULT_SETTINGS,
    sample: str = "tickets",
    higher_is_better: bool = True,
) -> pd.DataFrame:
    """`frame` ranked by `score`, best first, with three columns added.

    Added: `rank` (nullable Int64; competition ranking, NA for unranked units), `ranked` (bool) and
    `unranked_reason` (None, "small_sample" or "no_score"; a small sample wins when both apply). Ranked
    units come first, ordered by score (descending, or ascending when `higher_is_better` is False), then
    by `unit` (a column name or several, e.g. name then code, which must identify each row); unranked
    units follow, by score then unit, undefined scores last. The index is reset to 0..n-1.
    """
    units = [unit] if isinstance(unit, str) else list(unit)
    if frame.duplicated(subset=units).any():
        raise ValueError(f"unit column(s) {units} do not identify each row: a unit appears twice")
    out = frame.reset_index(drop=True).copy()
    scores = pd.to_numeric(out[score], errors="coerce").astype("float64")
    scores = scores.where(np.isfinite(scores))
    small = pd.to_numeric(out[sample]).fillna(0) < settings.min_ranked_tickets
    no_score = scores.isna()
    ranked = ~small & ~no_score
    key = scores.round(SCORE_DECIMALS)
    key = -key if higher_is_better else key
    out[_KEY] = key
    out[_UNRANKED] = (~ranked).astype("int8")
    out["rank"] = key.where(ranked).rank(method="min").astype("Int64")
    out["ranked"] = ranked.astype(bool)
    reasons = np.where(small, REASON_SMALL_SAMPLE, np.where(no_score, REASON_NO_SCORE, None))
    out["unranked_reason"] = pd.Series(reasons, index=out.index, dtype=object)
    out = out.sort_values([_UNRANKED, _KEY, *units], kind="mergesort", na_position="last")
    return out.drop(columns=[_KEY, _UNRANKED]).reset_index(drop=True)


def top_n(ranking: pd.DataFrame, n: int) -> pd.DataFrame:
    """The red list: ranked units with rank <= n, best first (more than n rows when the n-th place ties)."""
    ranked = ranking[ranking["ranked"]]
    return ranked[ranked["rank"] <= n]


def bottom_n(ranking: pd.DataFrame, n: int) -> pd.DataFrame:
    """The black list: the n worst ranked units, worst first (more than n rows when the n-th place ties).

    A unit is in when fewer than n ranked units are strictly worse than it. Ties keep the unit order.
    """
    ranked = ranking[ranking["ranked"]]
    from_bottom = ranked["rank"].astype("float64").rank(method="min", ascending=False)
    chosen = ranked[from_bottom <= n]
    return chosen.sort_values("rank", ascending=False, kind="mergesort")


def red_black_lists(ranking: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(red list, black list) of size n each; a unit on the red list is never also on the black list.

    With fewer than 2n ranked units the two would overlap; the red list keeps the shared units.
    """
    red = top_n(ranking, n)
    black = bottom_n(ranking, n)
    return red, black[~black.index.isin(red.index)]
