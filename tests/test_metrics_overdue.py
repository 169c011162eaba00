"""The overdue list's arithmetic, hand-worked: bands, "how late" in words, grouping and summary order.

The case book's T4 is due 17 November 08:00; at NOW (20 November 12:00) it is 3 d 4 h = 273,600 s late.
T11 is due 20 November 13:00: seconds_late = −3,600 (1 h left).
"""

from __future__ import annotations

import pandas as pd
import pytest

from metrics.overdue import (
    LATENESS_BANDS,
    DurationWords,
    LatenessWords,
    band_count_columns,
    format_duration,
    format_lateness,
    group_by_community,
    hours_late,
    lateness_band,
    order_summary,
    split_duration,
    summary_totals,
)

H, D = 3600, 86400
T4_LATE = 3 * D + 4 * H  # 273,600
ZH = LatenessWords(DurationWords(day="{n}天", hour="{n}小时", minute="{n}分钟"), late="超期{duration}", left="剩余{duration}")
EN = LatenessWords(
    DurationWords(day="{n} d", hour="{n} h", minute="{n} min", pair="{a} {b}"), late="{duration} late", left="due in {duration}"
)


@pytest.mark.parametrize(
    "seconds_late, band",
    [
        (-23 * H, "due_soon"),
        (-H, "due_soon"),  # T11
        (0, "due_soon"),  # due exactly now: not overdue yet (overdue = due_at < now)
        (1, "lt_1d"),
        (D - 1, "lt_1d"),
        (D, "d1_3"),  # lower edges are inclusive
        (3 * D - 1, "d1_3"),
        (3 * D, "d3_7"),
        (T4_LATE, "d3_7"),  # T4
        (7 * D - 1, "d3_7"),
        (7 * D, "gt_7d"),
        (30 * D, "gt_7d"),
    ],
    ids=["due_in_23h", "T11_due_in_1h", "due_now", "1s_late", "just_under_1d", "exactly_1d", "just_under_3d",
         "exactly_3d", "T4_3d4h", "just_under_7d", "exactly_7d", "30d"],
)
def test_lateness_band(seconds_late, band):
    assert lateness_band(seconds_late) == band


def test_band_count_columns_follow_the_bands():
    assert band_count_columns() == tuple(f"band_{b}" for b in LATENESS_BANDS)
    assert LATENESS_BANDS == ("due_soon", "lt_1d", "d1_3", "d3_7", "gt_7d")


@pytest.mark.parametrize(
    "seconds, parts",
    [
        (T4_LATE, (3, 4, 0)),
        (T4_LATE + 59 * 60 + 59, (3, 4, 59)),  # truncated, never rounded up
        (-H, (0, 1, 0)),  # the sign is dropped: "how long", not "which way"
        (59, (0, 0, 0)),
        (D, (1, 0, 0)),
    ],
    ids=["T4", "T4_plus_59m59s", "minus_1h", "59s", "1d"],
)
def test_split_duration(seconds, parts):
    assert split_duration(seconds) == parts


@pytest.mark.parametrize(
    "seconds, zh, en",
    [
        (T4_LATE, "3天4小时", "3 d 4 h"),
        (T4_LATE + 59 * 60, "3天4小时", "3 d 4 h"),  # minutes are not shown past a day
        (3 * D, "3天", "3 d"),
        (D, "1天", "1 d"),
        (D - 60, "23小时59分钟", "23 h 59 min"),
        (4 * H + 20 * 60, "4小时20分钟", "4 h 20 min"),
        (4 * H, "4小时", "4 h"),
        (45 * 60, "45分钟", "45 min"),
        (59, "0分钟", "0 min"),
        (0, "0分钟", "0 min"),
        (-H, "1小时", "1 h"),
    ],
    ids=["T4", "T4_plus_59m", "3d", "1d", "23h59m", "4h20m", "4h", "45m", "59s", "zero", "minus_1h"],
)
def test_format_duration(seconds, zh, en):
    assert (format_duration(seconds, ZH.units), format_duration(seconds, EN.units)) == (zh, en)


@pytest.mark.parametrize(
    "seconds_late, zh, en",
    [
        (T4_LATE, "超期3天4小时", "3 d 4 h late"),
        (-H, "剩余1小时", "due in 1 h"),
        (0, "剩余0分钟", "due in 0 min"),
        (90, "超期1分钟", "1 min late"),
        (-(23 * H + 30 * 60), "剩余23小时30分钟", "due in 23 h 30 min"),
    ],
    ids=["T4", "T11", "due_now", "90s_late", "due_in_23h30m"],
)
def test_format_lateness(seconds_late, zh, en):
    assert (format_lateness(seconds_late, ZH), format_lateness(seconds_late, EN)) == (zh, en)


@pytest.mark.parametrize(
    "seconds_late, hours",
    [(T4_LATE, 76.0), (-H, -1.0), (5400, 1.5), (100, 0.0), (-5400, -1.5)],
    ids=["T4", "T11", "90min", "100s", "minus_90min"],
)
def test_hours_late(seconds_late, hours):
    assert hours_late(seconds_late) == hours


def _rows(*rows: tuple[str, int | None, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_no": [r[0] for r in rows],
            "community_id": pd.array([r[1] for r in rows], dtype="Int64"),
            "seconds_late": [float(r[2]) for r in rows],
        }
    )


@pytest.mark.parametrize(
    "rows, expected",
    [
        (_rows(("T4", 2, T4_LATE), ("T11", 3, -H)), ["T4", "T11"]),
        # The query's order (latest first) interleaves communities; grouping keeps each together, groups by
        # their latest ticket: A (500) before B (400) before the ticket without community (200).
        (
            _rows(("A1", 1, 500), ("B1", 2, 400), ("A2", 1, 300), ("N1", None, 200), ("B2", 2, -10)),
            ["A1", "A2", "B1", "B2", "N1"],
        ),
        # Two communities equally late: the one met first stays first.
        (_rows(("B1", 2, 100), ("A1", 1, 100), ("B2", 2, 50), ("A2", 1, 80)), ["B1", "B2", "A1", "A2"]),
        # Within a community, latest first even if the input was not sorted.
        (_rows(("A2", 1, 10), ("A1", 1, 90)), ["A1", "A2"]),
    ],
    ids=["casebook", "interleaved", "tie_keeps_first", "unsorted_within"],
)
def test_group_by_community(rows, expected):
    assert list(group_by_community(rows)["ticket_no"]) == expected


def test_group_by_community_of_nothing_is_empty():
    assert group_by_community(_rows()).empty


def _summary(*rows: tuple[str, int, int, int, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(community=c, overdue=o, due_soon=s, escalated=e, whistle=0, tickets=o + s, worst_seconds_late=w)
            for c, o, s, e, w in rows
        ]
    )


def test_summary_totals_of_the_casebook():
    # 花园里社区: T4 overdue and escalated; 桃源社区: T11 due soon.
    totals = summary_totals(_summary(("花园里社区", 1, 0, 1, T4_LATE), ("桃源社区", 0, 1, 0, -H)))
    assert totals == {"tickets": 2, "overdue": 1, "due_soon": 1, "escalated": 1, "whistle": 0, "worst_seconds_late": T4_LATE}


def test_summary_totals_of_nothing():
    totals = summary_totals(_summary())
    assert totals == {"tickets": 0, "overdue": 0, "due_soon": 0, "escalated": 0, "whistle": 0, "worst_seconds_late": None}


@pytest.mark.parametrize(
    "rows, expected",
    [
        ((("桃源社区", 0, 1, 0, -H), ("花园里社区", 1, 0, 1, T4_LATE)), ["花园里社区", "桃源社区"]),
        ((("乙", 1, 0, 0, 100), ("甲", 3, 0, 0, 100), ("丙", 3, 0, 0, 100)), ["丙", "甲", "乙"]),  # tie: more overdue, then name
    ],
    ids=["latest_first", "ties"],
)
def test_order_summary(rows, expected):
    assert list(order_summary(_summary(*rows))["community"]) == expected
