"""The headline of a scope, shared by the overview and the community page: the three rates, callback
coverage and composite in one row of cards, volume, on-time closure, overdue and median hours to close in a
second, each against the previous period of the same length."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from data_access.scope import TicketFilter
from metrics import rates
from ui import data
from ui.components.kpi import kpi_row
from ui.filter_bar import PageContext

RATE_KPIS = ("response_rate", "resolution_rate", "satisfaction_rate", "callback_coverage", "composite")
VOLUME_KPIS = ("tickets", "on_time_close_rate", "overdue_open", "median_hours_to_close")


@dataclass(frozen=True)
class Headline:
    """The measures of a period and of the one before it, with the period's counts (for the hover text)."""

    counts: dict[str, int]
    current: dict[str, Any]
    previous: dict[str, Any]

    @property
    def tickets(self) -> int:
        return int(self.current["tickets"])


def headline(ctx: PageContext, flt: TicketFilter, previous_flt: TicketFilter) -> Headline:
    """The headline measures of `flt` and `previous_flt` in the viewer's scope, at the context's minute."""
    counts, median = data.headline_counts(ctx.url, ctx.scope, flt, ctx.now)
    prev_counts, prev_median = data.headline_counts(ctx.url, ctx.scope, previous_flt, ctx.now)
    return Headline(
        counts,
        rates.headline_measures(counts, median, ctx.settings),
        rates.headline_measures(prev_counts, prev_median, ctx.settings),
    )


def render_headline(figures: Headline, ctx: PageContext) -> None:
    """The two rows of cards."""
    kpi_row(RATE_KPIS, figures.current, figures.previous, ctx.settings, figures.counts)
    kpi_row(VOLUME_KPIS, figures.current, figures.previous, ctx.settings, figures.counts)
