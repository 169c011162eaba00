"""The ranking table of streets or communities (overview, weekly pack)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from domain.periods import compare_frames
from domain.settings import Settings
from domain.units import UNIT_RATE, UNIT_SCORE
from metrics import rankings, rates
from ui.components.kpi import format_value, metric_help
from ui.i18n import t

RANKING_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")


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
            t("metric.composite.name"): frame["composite"],
            t("ranking.composite_change"): [("—" if v is None else f"{v:+.1f}") for v in _none(frame["composite_delta"])],
            t("metric.overdue_open.name"): frame["open_overdue"],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            **{t(f"metric.{m}.name"): st.column_config.TextColumn(help=metric_help(m, settings)) for m in RANKING_RATES},
            t("metric.composite.name"): st.column_config.ProgressColumn(
                format="%.1f", min_value=0, max_value=100, help=metric_help("composite", settings)
            ),
            t("ranking.rank"): st.column_config.TextColumn(help=t("ranking.rank_help", n=settings.min_ranked_tickets)),
        },
    )


def _none(values: pd.Series) -> list:
    """Values with NaN/NA as None (shown as "—" rather than "None")."""
    return [None if pd.isna(v) else float(v) for v in values]
