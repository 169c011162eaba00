"""总览 Overview: the district's three rates, composite and volume, with change against the previous period."""

from __future__ import annotations

import streamlit as st

from data_access.engine import resolve_database_url
from data_access.scope import Scope, TicketFilter
from metrics import periods, rates
from metrics.settings import load_settings
from ui import data, keys
from ui.i18n import t
from ui.kpi import kpi_row

settings = load_settings()
url = resolve_database_url()
scope = Scope.district()
now = data.current_time(settings)

st.title(t("page.overview.title"))
preset = st.segmented_control(
    t("filter.period"),
    periods.PRESETS,
    default="last_30_days",
    format_func=lambda p: t(f"period.{p}"),
    key=keys.PERIOD_PRESET,
    required=True,
)
since, until = periods.preset_period(preset, now.date())
until = min(until, now.date())  # "this month so far" is compared with the same number of days before it
prev_since, prev_until = periods.previous_period(since, until)
counts, median = data.headline_counts(url, scope, TicketFilter(since=since, until=until), now)
prev_counts, prev_median = data.headline_counts(url, scope, TicketFilter(since=prev_since, until=prev_until), now)
current = rates.headline_measures(counts, median, settings)
previous = rates.headline_measures(prev_counts, prev_median, settings)

st.caption(t("overview.period_caption", since=since, until=until, prev_since=prev_since, prev_until=prev_until))
if current["tickets"] == 0:
    st.info(t("overview.no_tickets"))
else:
    kpi_row(("response_rate", "resolution_rate", "satisfaction_rate", "composite"), current, previous, settings, counts)
    kpi_row(
        ("callback_coverage", "tickets", "on_time_close_rate", "overdue_open", "median_hours_to_close"),
        current,
        previous,
        settings,
        counts,
    )
st.caption(t("app.data_read_at", at=now.strftime("%Y-%m-%d %H:%M:%S")))
