"""The ticket funnel 受理 → 派单 → 签收 → 联系 → 办结 → 回访 → 满意, reusable on any page.

`render_funnel(ctx, flt, key_prefix=...)` draws the grouping switch (overall / by street / community /
category), the funnel (horizontal bars with counts and conversions) or the grouped funnel (a heat map of
conversions with counts), the median time into each stage, and the 退单/延期/督办/吹哨/重办 counts. Every
number carries its definition on hover.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from data_access.scope import Scope, TicketFilter
from metrics import funnel
from ui import keys
from ui.components.charts import band_axis, show_chart
from ui.data import flow as data_flow
from ui.filter_bar import PageContext
from ui.i18n import t

GROUPINGS = ("all", "street", "community", "category")
BAR_COLOR = "#4c78a8"
WEAKEST_COLOR = "#f58518"  # the stage with the lowest conversion from the one before
CONVERSION_SCHEME = "redyellowgreen"
HEAT_MAP_STEP = 26  # px per group row of the heat map (one line of 11 px counts)


def grouping_options(scope: Scope, flt: TicketFilter) -> tuple[str, ...]:
    """The groupings that make sense for what is shown: no "by street" inside one street, and no unit
    grouping inside one community."""
    one_community = len(flt.community_ids or ()) == 1 or len(scope.community_ids or ()) == 1
    one_street = len(flt.street_ids or ()) == 1 or len(scope.street_ids or ()) == 1
    if one_community:
        return ("all", "category")
    if one_street:
        return ("all", "community", "category")
    return GROUPINGS


def grouping_control(label: str, scope: Scope, flt: TicketFilter, key: str) -> str:
    """A segmented control of `grouping_options` ("all" when nothing is chosen). A choice the current
    filters no longer offer (e.g. "by street" after narrowing to one street) falls back to "all"."""
    options = grouping_options(scope, flt)
    if key in st.session_state and st.session_state[key] not in options:
        st.session_state[key] = "all"
    return st.segmented_control(
        label, options, format_func=lambda g: t(f"funnel.group_option.{g}"), key=key,
        default=None if key in st.session_state else "all", required=True,
    ) or "all"


def group_labels(frame: pd.DataFrame, by: str) -> pd.Series:
    """The display name of each group of a frame grouped by `by` (unit name, or the category itself)."""
    return frame["category"] if by == "category" else frame["name"]


def format_duration(hours: float | None) -> str:
    """A stage time for people: minutes under an hour, hours under two days, days beyond; "—" if none."""
    if hours is None or (isinstance(hours, float) and math.isnan(hours)):
        return "—"
    if hours < 1:
        return t("funnel.duration.minutes", n=f"{hours * 60:.0f}")
    if hours < 48:
        return t("funnel.duration.hours", n=f"{hours:.1f}")
    return t("funnel.duration.days", n=f"{hours / 24:.1f}")


def _pct(value: float) -> str:
    return "—" if value is None or value != value else f"{value:.1%}"


def _conversion_text(count: float, previous: float, conversion: float) -> str:
    """"62.5%（5 ÷ 8）": the conversion with its numerator and denominator; "—" for 受理."""
    if previous != previous:
        return "—"
    numerator, denominator = f"{int(count):,}", f"{int(previous):,}"
    return t("funnel.fraction", value=_pct(conversion), numerator=numerator, denominator=denominator)


def funnel_chart(stages: pd.DataFrame, times: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars, one per stage in order, labelled "count · conversion"; the weakest step in orange.

    `stages` is metrics.funnel.funnel_frame; `times` is metrics.funnel.stage_hours (median time into a stage).
    """
    data = stages.copy()
    data["stage_label"] = [t(f"funnel.stage.{s}") for s in data["stage"]]
    data["definition"] = [t(f"funnel.stage_definition.{s}") for s in data["stage"]]
    steps = list(zip(data["count"], data["previous"], data["conversion"]))
    data["bar_label"] = [f"{c:,}" if p != p else f"{c:,} · {_pct(v)}" for c, p, v in steps]
    data["conversion_text"] = [_conversion_text(c, p, v) for c, p, v in steps]
    received = int(data["count"].iloc[0])
    data["from_received_text"] = [
        t("funnel.fraction", value=_pct(v), numerator=f"{c:,}", denominator=f"{received:,}")
        for c, v in zip(data["count"], data["from_received"])
    ]
    data["drop_off_text"] = ["—" if d != d else f"{int(d):,}" for d in data["drop_off"]]
    hours = dict(zip(times["stage"], times["median_hours"]))
    data["time_text"] = [
        f"{t(f'funnel.span.{s}')}: {format_duration(hours[s])}" if s in hours else "—" for s in data["stage"]
    ]
    conversions = data["conversion"].iloc[1:]
    weakest = conversions.idxmin() if conversions.notna().any() else None
    data["weakest"] = [i == weakest for i in data.index]
    order = list(data["stage_label"])
    top = max(int(data["count"].max()), 1)
    base = alt.Chart(data).encode(
        y=alt.Y("stage_label:N", sort=order, title=None, axis=alt.Axis(labelFontSize=13)),
        tooltip=[
            alt.Tooltip("stage_label:N", title=t("funnel.col.stage")),
            alt.Tooltip("count:Q", title=t("funnel.col.count"), format=","),
            alt.Tooltip("conversion_text:N", title=t("funnel.col.conversion")),
            alt.Tooltip("from_received_text:N", title=t("funnel.col.from_received")),
            alt.Tooltip("drop_off_text:N", title=t("funnel.col.drop_off")),
            alt.Tooltip("time_text:N", title=t("funnel.col.median_time")),
            alt.Tooltip("definition:N", title=t("funnel.col.definition")),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("count:Q", title=t("funnel.col.count"), scale=alt.Scale(domain=[0, top * 1.3])),
        color=alt.condition(alt.datum.weakest, alt.value(WEAKEST_COLOR), alt.value(BAR_COLOR)),
    )
    labels = base.mark_text(align="left", dx=4, fontSize=12).encode(x="count:Q", text="bar_label:N")
    return (bars + labels).properties(height=36 * len(data))


def grouped_funnel_chart(long: pd.DataFrame, group_order: list[str], group_title: str) -> alt.LayerChart:
    """A heat map: one row per group, one column per stage; colour = conversion from the stage before,
    text = the count (受理, with no stage before, is grey).

    `long` is metrics.funnel.grouped_funnel with a `group` label column.
    """
    data = long.copy()
    data["stage_label"] = [t(f"funnel.stage.{s}") for s in data["stage"]]
    steps = zip(data["count"], data["previous"], data["conversion"])
    data["conversion_text"] = [_conversion_text(c, p, v) for c, p, v in steps]
    data["from_received_text"] = [_pct(v) for v in data["from_received"]]
    data["has_previous"] = data["previous"].notna()
    stage_order = [t(f"funnel.stage.{s}") for s in funnel.STAGES]
    # Long (English) stage names would be thinned out by the axis: tilt them instead.
    angle = -30 if max(len(label) for label in stage_order) > 6 else 0
    base = alt.Chart(data).encode(
        x=alt.X(
            "stage_label:N", sort=stage_order, title=None,
            axis=alt.Axis(orient="top", labelAngle=angle, labelOverlap=False, labelAlign="left" if angle else "center"),
        ),
        y=alt.Y("group:N", sort=group_order, title=None, axis=band_axis()),
        tooltip=[
            alt.Tooltip("group:N", title=group_title),
            alt.Tooltip("stage_label:N", title=t("funnel.col.stage")),
            alt.Tooltip("count:Q", title=t("funnel.col.count"), format=","),
            alt.Tooltip("conversion_text:N", title=t("funnel.col.conversion")),
            alt.Tooltip("from_received_text:N", title=t("funnel.col.from_received")),
        ],
    )
    first = base.transform_filter(~alt.datum.has_previous).mark_rect(color="#e0e0e0")
    cells = base.transform_filter(alt.datum.has_previous).mark_rect().encode(
        color=alt.Color(
            "conversion:Q",
            title=t("funnel.col.conversion"),
            scale=alt.Scale(scheme=CONVERSION_SCHEME, domain=[0.5, 1], clamp=True),
            legend=alt.Legend(format=".0%", orient="bottom", titleLimit=400),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("count:Q", format=","),
        # Dark cells (very high or very low conversion) get white text so the count stays legible.
        color=alt.condition(
            "datum.has_previous && (datum.conversion >= 0.92 || datum.conversion <= 0.6)",
            alt.value("white"),
            alt.value("#222"),
        ),
    )
    return (first + cells + text).properties(height=alt.Step(HEAT_MAP_STEP))


def _stage_times_table(times: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            t("funnel.col.span"): [t(f"funnel.span.{s}") for s in times["stage"]],
            t("funnel.col.median_time"): [format_duration(h) for h in times["median_hours"]],
            t("funnel.col.n"): times["n"],
            t("funnel.col.reversed"): times["reversed"],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            t("funnel.col.span"): st.column_config.TextColumn(help=t("funnel.help.span")),
            t("funnel.col.median_time"): st.column_config.TextColumn(help=t("funnel.help.median_time")),
            t("funnel.col.n"): st.column_config.NumberColumn(help=t("funnel.help.n"), format="localized"),
            t("funnel.col.reversed"): st.column_config.NumberColumn(
                help=t("funnel.help.reversed"), format="localized"
            ),
        },
    )


def _event_cards(events: pd.DataFrame) -> None:
    for column, row in zip(st.columns(len(events)), events.itertuples()):
        tickets, dispatched = f"{row.tickets:,}", f"{row.dispatched:,}"
        fraction = t("funnel.event_fraction", tickets=tickets, dispatched=dispatched, share=_pct(row.share))
        with column:
            st.metric(
                t(f"funnel.event_label.{row.event}"),
                f"{row.tickets:,}",
                delta=_pct(row.share),
                delta_color="off",
                delta_arrow="off",
                delta_description=t("funnel.of_dispatched"),
                help=t(f"funnel.event_definition.{row.event}") + "\n\n" + fraction,
                border=True,
            )


def _grouped_table(grouped: pd.DataFrame, by: str) -> None:
    labels = group_labels(grouped, by)
    received = grouped["received"].where(grouped["received"] != 0)
    shown = pd.DataFrame({t(f"funnel.group_header.{by}"): labels})
    for stage in funnel.STAGES:
        shown[t(f"funnel.stage.{stage}")] = grouped[stage]
    shown[t("funnel.col.satisfied_share")] = grouped["satisfied"] / received * 100
    for event in funnel.EVENTS:
        shown[t(f"funnel.event_label.{event}")] = grouped[f"{event}_tickets"]
    number = st.column_config.NumberColumn
    config = {t(f"funnel.stage.{s}"): number(help=t(f"funnel.stage_definition.{s}")) for s in funnel.STAGES}
    config[t("funnel.col.satisfied_share")] = number(format="%.1f%%", help=t("funnel.help.satisfied_share"))
    for event in funnel.EVENTS:
        config[t(f"funnel.event_label.{event}")] = number(help=t(f"funnel.event_definition.{event}"))
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)


def render_funnel(ctx: PageContext, flt: TicketFilter, *, key_prefix: str) -> None:
    """The funnel of `flt` with its grouping switch (keyed `{key_prefix}_group`), stage times and events."""
    overall = data_flow.funnel_counts(ctx.url, ctx.scope, flt, None).iloc[0]
    if int(overall["received"]) == 0:
        st.info(t("funnel.empty"))
        return
    by = grouping_control(t("funnel.group_by"), ctx.scope, flt, f"{key_prefix}_{keys.FUNNEL_GROUP}")
    stages = funnel.funnel_frame(overall)
    times = funnel.stage_hours(data_flow.stage_medians(ctx.url, ctx.scope, flt))
    left, right = st.columns([5, 4], gap="large")
    with left:
        if by == "all":
            show_chart(funnel_chart, stages, times)
            st.caption(t("funnel.nested_note"))
        else:
            grouped = data_flow.funnel_counts(ctx.url, ctx.scope, flt, by)
            grouped = grouped.assign(group=group_labels(grouped, by).astype(str))
            grouped = grouped.sort_values(["received", "group"], ascending=[False, True], ignore_index=True)
            order = list(grouped["group"])
            long = funnel.grouped_funnel(grouped, "group")
            show_chart(grouped_funnel_chart, long, order, t(f"funnel.group_header.{by}"))
            st.caption(t("funnel.grouped_note"))
    with right:
        st.markdown(f"**{t('funnel.times_heading')}**")
        _stage_times_table(times)
        st.caption(t("funnel.times_note"))
    st.markdown(f"**{t('funnel.events_heading')}**")
    _event_cards(funnel.event_shares(overall))
    if by != "all":
        st.markdown(f"**{t('funnel.table_heading', group=t(f'funnel.group.{by}'))}**")
        _grouped_table(grouped, by)
