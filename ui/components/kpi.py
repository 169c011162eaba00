"""KPI cards: a metric's value, its change against the previous period, and its definition on hover."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import streamlit as st

from domain.periods import change
from domain.settings import Settings
from domain.units import UNIT_COUNT, UNIT_HOURS, UNIT_RATE, UNIT_SCORE
from metrics.definitions import format_definition, metric
from ui.i18n import current_language, lookup, t

_DELTA_COLOR = {True: "normal", False: "inverse", None: "off"}


def format_value(value: Any, unit: str) -> str:
    """A metric value for a card; "—" when it is undefined."""
    if value is None:
        return "—"
    if unit == UNIT_RATE:
        return f"{value:.1%}"
    if unit == UNIT_SCORE:
        return f"{value:.1f}"
    if unit == UNIT_HOURS:
        return f"{value:.1f} h"
    if unit == UNIT_COUNT:
        return f"{int(value):,}"
    return f"{value:.2f}"


def format_delta(current: Any, previous: Any, unit: str) -> str | None:
    """The change against the previous period: percentage points for rates, points for scores, the
    difference (and relative change) otherwise; None when either side is undefined."""
    delta, relative = change(current, previous, unit)
    if delta is None:
        return None
    if unit == UNIT_RATE:
        return t("kpi.delta_pp", value=f"{delta:+.1f}")
    if unit == UNIT_COUNT:
        text = f"{int(delta):+,}"
    else:
        text = f"{delta:+.1f}"
    return text if relative is None else f"{text} ({relative:+.1%})"


def metric_label(key: str) -> str:
    """A metric's name on a card or a table header: its short name where it has one (the full one is cut
    off in a card at 1366 px: "Composite score (e…"), else its name."""
    return lookup(current_language(), f"metric.{key}.short") or t(f"metric.{key}.name")


CALLBACK_RATES = ("resolution_rate", "satisfaction_rate", "composite")  # the composite weighs the two by 0.9


def too_few_callbacks(key: str, counts: Mapping[str, int] | None, settings: Settings) -> bool:
    """Whether `key` is a callback rate resting on fewer answered callbacks than settings.min_rate_callbacks
    (then shown as 样本不足: with one callback it is 100 % or 0 %)."""
    return key in CALLBACK_RATES and counts is not None and 0 < counts.get("callbacks_answered", 0) < settings.min_rate_callbacks


def metric_help(key: str, settings: Settings, counts: Mapping[str, int] | None = None) -> str:
    """The hover text of a metric: its definition with the deployment's parameters filled in, and the
    actual numerator and denominator when the counts are given."""
    text = format_definition(t(f"metric.{key}.definition"), settings)
    m = metric(key)
    if counts and m.denominator and all(n in counts for n in m.numerator + m.denominator):
        numerator = " + ".join(f"{t(f'count.{n}')} {counts[n]:,}" for n in m.numerator)
        denominator = " + ".join(f"{t(f'count.{n}')} {counts[n]:,}" for n in m.denominator)
        text += "\n\n" + t("kpi.fraction", numerator=numerator, denominator=denominator)
    return text


def kpi_row(
    keys: Sequence[str],
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    settings: Settings,
    counts: Mapping[str, int] | None = None,
) -> None:
    """One row of cards, one per metric key."""
    for column, key in zip(st.columns(len(keys)), keys):
        m = metric(key)
        prev = previous.get(key) if previous else None
        if too_few_callbacks(key, counts, settings):
            with column:
                # "—" with 样本不足 beneath: as the value, 样本不足 was cut to "样本…" in a card at 1366 px.
                st.metric(metric_label(key), "—", delta=t("kpi.too_few"), delta_color="off", delta_arrow="off",
                          help=metric_help(key, settings, counts)
                          + "\n\n" + t("kpi.too_few_help", n=settings.min_rate_callbacks), border=True)
            continue
        delta, _ = change(current.get(key), prev, m.unit)
        unchanged = delta is not None and round(delta, 1) == 0  # "+0": no arrow, no colour (neither up nor good)
        with column:
            st.metric(
                metric_label(key),
                format_value(current.get(key), m.unit),
                delta=format_delta(current.get(key), prev, m.unit),
                delta_color="off" if unchanged else _DELTA_COLOR[m.higher_is_better],
                delta_arrow="off" if unchanged else "auto",
                help=metric_help(key, settings, counts),
                border=True,
            )
