"""The ranking table of streets or communities (overview, weekly pack)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from domain.periods import compare_frames
from domain.settings import Settings
from domain.units import UNIT_RATE, UNIT_SCORE
from metrics import rankings, rates
from ui.components.kpi import format_value, metric_help, metric_label
from ui.i18n import t

RANKING_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
# Column widths (px): 865 in all, inside the ~900 px main area at 1366 × 768 with the sidebar open, so 得分变化
# and 超期件数 are on screen (issue 10: they were cut off when the table shared the row with a chart).
RANKING_WIDTHS = {"rank": 70, "unit": 100, "count": 70, "rate": 95, "composite": 140, "change": 80, "overdue": 120}


def ranking_frame(current: pd.DataFrame, previous: pd.DataFrame, key: str, settings: Settings) -> pd.DataFrame:
    """Units (rows of counts by `key`) ranked by composite, with the previous period's composite beside."""
    cur = rates.add_rates(current, settings)
    prev = rates.add_rates(previous, settings)
    compared = compare_frames(cur, prev, [key], {"composite": UNIT_SCORE, "satisfaction_rate": UNIT_RATE})
    return rankings.rank_units(compared, "composite", ["name", "code"], settings=settings, sample="dispatched")


def render_ranking(frame: pd.DataFrame, settings: Settings) -> None:
    """The ranking as a table; unranked units show why instead of a rank."""
    shown = pd.DataFrame(
        {
            t("ranking.rank"): [
                str(r) if ok else t(f"ranking.reason.{why}")
                for r, ok, why in zip(frame["rank"], frame["ranked"], frame["unranked_reason"])
            ],
            t("ranking.unit"): frame["name"],
            t("metric.dispatched.name"): frame["dispatched"],
            **{t(f"metric.{m}.name"): [format_value(v, UNIT_RATE) for v in _none(frame[m])] for m in RANKING_RATES},
            metric_label("composite"): frame["composite"],
            t("ranking.composite_change"): [_change_text(v) for v in _none(frame["composite_delta"])],
            metric_label("overdue_open"): frame["open_overdue"],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            t("ranking.rank"): st.column_config.TextColumn(
                width=RANKING_WIDTHS["rank"], help=t("ranking.rank_help", n=settings.min_ranked_tickets)
            ),
            t("ranking.unit"): st.column_config.TextColumn(width=RANKING_WIDTHS["unit"]),
            t("metric.dispatched.name"): st.column_config.NumberColumn(
                width=RANKING_WIDTHS["count"], help=metric_help("dispatched", settings)
            ),
            **{
                t(f"metric.{m}.name"): st.column_config.TextColumn(width=RANKING_WIDTHS["rate"], help=metric_help(m, settings))
                for m in RANKING_RATES
            },
            metric_label("composite"): st.column_config.ProgressColumn(
                width=RANKING_WIDTHS["composite"], format="%.1f", min_value=0, max_value=100,
                help=metric_help("composite", settings),
            ),
            t("ranking.composite_change"): st.column_config.TextColumn(width=RANKING_WIDTHS["change"]),
            metric_label("overdue_open"): st.column_config.NumberColumn(
                width=RANKING_WIDTHS["overdue"], help=metric_help("overdue_open", settings)
            ),
        },
    )


def _change_text(delta: float | None) -> str:
    """"+1.9", "-0.2"; "±0.0" when it rounds to nothing (not "-0.0"); "—" without a previous score."""
    if delta is None:
        return "—"
    return "±0.0" if round(delta, 1) == 0 else f"{delta:+.1f}"


def _none(values: pd.Series) -> list:
    """Values with NaN/NA as None (shown as "—" rather than "None")."""
    return [None if pd.isna(v) else float(v) for v in values]
