"""解决率 / 满意率 trends with target lines and callback coverage, and the categories that pull 满意率 down.

`render_trend(ctx, flt, freq=..., group_by=..., key_prefix=...)` is reusable on any page (the community page
draws it too). The trend covers a longer window than the filter's period (`metrics.trends.trend_window`)
and says on screen which one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from data_access.scope import TicketFilter
from domain.settings import Settings
from metrics import trends
from metrics.definitions import format_number
from ui import keys
from ui.components.charts import BAND_LABEL_LIMIT, BAND_STEP, band_axis, rate_axis, show_chart
from ui.components.kpi import metric_help
from ui.data import flow as data_flow
from ui.filter_bar import PageContext
from ui.i18n import t

TREND_MEASURES = ("satisfaction_rate", "resolution_rate")
MAX_SHOWN_GROUPS = 6  # lines per chart by default; more stay choosable
TARGET_COLOR = "#d62728"
LINE_COLOR = "#4c78a8"
TOP_PULL_DOWN = 10  # categories drawn in the pull-down chart
PULL_DOWN_LABEL_ROOM = 1.6  # the gain axis runs to 1.6 × the largest gain: the bar labels fit beyond the bars


def trend_filter(flt: TicketFilter, today: dt.date, freq: str) -> TicketFilter:
    """`flt` widened to the trend window: the chosen period, at least the last MIN_BUCKETS weeks/months."""
    until = min(flt.until or today, today)
    since = min(flt.since or until, until)
    start, end = trends.trend_window(since, until, freq)
    return replace(flt, since=start, until=end)


def target_of(measure: str, settings: Settings) -> float:
    return settings.target_satisfaction_rate if measure == "satisfaction_rate" else settings.target_resolution_rate


def _group_columns(group_by: str | None) -> list[str]:
    if group_by is None:
        return []
    return ["category"] if group_by == "category" else [f"{group_by}_id", "name"]


def _period_labels(frame: pd.DataFrame, freq: str) -> list[str]:
    if freq == "month":
        return [f"{s:%Y-%m}" for s in frame["period_start"]]
    return [f"{s:%Y-%m-%d} – {e:%m-%d}" for s, e in zip(frame["period_start"], frame["period_end"])]


def _tooltip_frame(frame: pd.DataFrame, freq: str, until: dt.date, settings: Settings) -> pd.DataFrame:
    """The trend frame with the text columns its tooltips show (period — marked when not complete yet —,
    numerators, coverage)."""
    data = frame.copy()
    data["period_start"] = pd.to_datetime(data["period_start"])
    data["period_next"] = pd.to_datetime(data["period_end"]) + pd.Timedelta(days=1)
    data["period_label"] = [
        t("trend.partial", period=label, until=f"{until:%m-%d}") if partial else label
        for label, partial in zip(_period_labels(frame, freq), data["partial"])
    ]
    alpha = format_number(settings.resolution_partial_weight)
    beta = format_number(settings.satisfaction_basic_weight)
    data["resolution_numerator"] = [
        t("trend.numerator_resolution", solved=s, partly=p, alpha=alpha)
        for s, p in zip(data["solved"], data["partly"])
    ]
    data["satisfaction_numerator"] = [
        t("trend.numerator_satisfaction", satisfied=s, basic=b, beta=beta)
        for s, b in zip(data["satisfied"], data["basic"])
    ]
    data["coverage_text"] = [
        "—" if v != v else t("trend.fraction", value=f"{v:.1%}", numerator=c, denominator=d)
        for v, c, d in zip(data["callback_coverage"], data["callback_covered"], data["callback_due"])
    ]
    return data


def trend_chart(data: pd.DataFrame, measure: str, freq: str, target: float, grouped: bool, min_callbacks: int = 1) -> alt.LayerChart:
    """Lines (with points) of one rate per period, one line per group, and a dashed target rule.

    A period with fewer than `min_callbacks` answered callbacks has no point (样本不足, said beside the chart);
    the period not complete yet (`partial`) is a hollow point at the end of a dashed segment."""
    numerator = "satisfaction_numerator" if measure == "satisfaction_rate" else "resolution_numerator"
    name = t(f"metric.{measure}.name")
    tooltip = [
        alt.Tooltip("period_label:N", title=t("trend.period")),
        *([alt.Tooltip("group:N", title=t("trend.group"))] if grouped else []),
        alt.Tooltip(f"{measure}:Q", title=name, format=".1%"),
        alt.Tooltip(f"{numerator}:N", title=t("trend.numerator")),
        alt.Tooltip("callbacks_answered:Q", title=t("trend.denominator")),
        alt.Tooltip("coverage_text:N", title=t("metric.callback_coverage.name")),
    ]
    axis_format = "%Y-%m" if freq == "month" else "%m-%d"
    plotted = data[data["callbacks_answered"] >= min_callbacks].dropna(subset=[measure])
    # The scale holds the points and the target rule: the labels must stay distinct over that span.
    y_axis = rate_axis([*plotted[measure], target])
    encoding = dict(
        x=alt.X("period_start:T", title=None, axis=alt.Axis(format=axis_format, labelAngle=0)),
        y=alt.Y(f"{measure}:Q", title=None, axis=y_axis, scale=alt.Scale(zero=False)),
        tooltip=tooltip,
    )
    if grouped:
        encoding["color"] = alt.Color("group:N", title=None, legend=alt.Legend(orient="bottom", columns=3, labelLimit=BAND_LABEL_LIMIT))
    partial = plotted["partial"].astype(bool)
    # The dashed tail: each line's last complete period and its partial one.
    line_of = plotted["group"] if grouped else pd.Series(0, index=plotted.index)
    last_complete = plotted[~partial].groupby(line_of[~partial])["period_start"].max().to_dict()
    is_last = [last_complete.get(line) == start for line, start in zip(line_of, plotted["period_start"])]
    tail = plotted[partial | pd.Series(is_last, index=plotted.index, dtype=bool)]
    colour = {} if grouped else {"color": LINE_COLOR}
    size = alt.Size("callbacks_answered:Q", legend=None, scale=alt.Scale(range=[12, 110]))
    # A point's size grows with its answered callbacks, so a rate resting on few calls looks small.
    points = alt.Chart(plotted[~partial]).encode(**encoding).mark_point(filled=True, opacity=1, **colour).encode(size=size)
    hollow = alt.Chart(plotted[partial]).encode(**encoding).mark_point(filled=False, opacity=1, strokeWidth=2, **colour).encode(size=size)
    solid = alt.Chart(plotted[~partial]).encode(**encoding).mark_line(strokeWidth=1.8, **colour)
    dashed = alt.Chart(tail).encode(**encoding).mark_line(strokeWidth=1.8, strokeDash=[4, 3], **colour)
    lines = solid + dashed + points + hollow
    target_label = t("trend.target", value=f"{target:.0%}")
    rule_data = pd.DataFrame({"target": [target], "label": [target_label], "help": [t("trend.target_help")]})
    rule = alt.Chart(rule_data).mark_rule(color=TARGET_COLOR, strokeDash=[6, 4], strokeWidth=1.5).encode(
        y=alt.Y("target:Q", axis=y_axis),
        tooltip=[alt.Tooltip("label:N", title=t("trend.target_title")), alt.Tooltip("help:N", title=t("trend.note"))],
    )
    label = alt.Chart(rule_data).mark_text(color=TARGET_COLOR, align="right", dy=-7, fontSize=11).encode(
        x=alt.value("width"), y=alt.Y("target:Q", axis=y_axis), text="label:N"
    )
    return (lines + rule + label).properties(height=380 if grouped else 300, title=name)


def coverage_chart(data: pd.DataFrame, freq: str, height: int = 300) -> alt.Chart:
    """Bars of 回访覆盖率 per period (all groups together), each bar spanning its week or month."""
    axis_format = "%Y-%m" if freq == "month" else "%m-%d"
    return (
        alt.Chart(data.dropna(subset=["callback_coverage"]))
        .mark_bar(color="#72b7b2", stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("period_start:T", title=None, axis=alt.Axis(format=axis_format, labelAngle=0)),
            x2="period_next:T",
            y=alt.Y("callback_coverage:Q", title=None, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
            y2=alt.datum(0),
            # The period not over yet: pale — its tickets closed in the last day or two are not called back yet.
            opacity=alt.condition("datum.partial", alt.value(0.35), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("period_label:N", title=t("trend.period")),
                alt.Tooltip("coverage_text:N", title=t("metric.callback_coverage.name")),
            ],
        )
        .properties(height=height, title=t("trend.coverage_title"))
    )


def _choose_groups(frame: pd.DataFrame, key: str) -> list[str]:
    """The multiselect of groups to draw: those with answered callbacks in the window (a group without any
    has no rate to draw), the most answered first; the top MAX_SHOWN_GROUPS chosen by default."""
    answered = frame.groupby("group")["callbacks_answered"].transform("sum") > 0
    options = trends.top_groups(frame[answered], "group", len(frame))
    chosen = st.session_state.get(key)
    if chosen is not None:  # the options change with the filters: drop what is no longer offered
        st.session_state[key] = [g for g in chosen if g in options]
    default = options[:MAX_SHOWN_GROUPS] if chosen is None else None
    help_text = t("trend.shown_help", n=MAX_SHOWN_GROUPS)
    return st.multiselect(t("trend.shown"), options, default=default, key=key, help=help_text)


def render_trend(ctx: PageContext, flt: TicketFilter, *, freq: str, group_by: str | None, key_prefix: str) -> None:
    """Weekly or monthly 满意率 and 解决率 (per group when `group_by` is street/community/category) against
    their targets, with 回访覆盖率 beside; the window is stated on screen."""
    wide = trend_filter(flt, ctx.now.date(), freq)
    st.caption(t(f"trend.window_{freq}", since=wide.since, until=wide.until, n=trends.MIN_BUCKETS))
    daily = data_flow.daily_counts(ctx.url, ctx.scope, wide, ctx.now, group_by)
    if daily.empty or int(daily["callbacks_answered"].sum()) == 0:
        st.info(t("trend.empty"))
        return
    until = wide.until or ctx.now.date()  # always set by trend_filter
    total = _tooltip_frame(trends.trend_rates(daily, freq, until, (), ctx.settings), freq, until, ctx.settings)
    if group_by is None:
        shown = total
    else:
        frame = trends.trend_rates(daily, freq, until, _group_columns(group_by), ctx.settings)
        frame["group"] = frame["category" if group_by == "category" else "name"].astype(str)
        groups = _choose_groups(frame, f"{key_prefix}_{keys.TREND_SHOWN}_{group_by}")
        if not groups:
            st.info(t("trend.none_chosen"))
            return
        shown = _tooltip_frame(frame[frame["group"].isin(groups)], freq, until, ctx.settings)
    columns = st.columns([5, 5, 3], gap="medium")
    minimum = ctx.settings.min_rate_callbacks
    for column, measure in zip(columns, TREND_MEASURES):
        with column:
            show_chart(trend_chart, shown, measure, freq, target_of(measure, ctx.settings), group_by is not None, minimum)
    with columns[2]:
        show_chart(coverage_chart, total, freq, 300 if group_by is None else 320)
    targets = t(
        "trend.targets",
        satisfaction=f"{ctx.settings.target_satisfaction_rate:.0%}",
        resolution=f"{ctx.settings.target_resolution_rate:.0%}",
    )
    few = int(((shown["callbacks_answered"] > 0) & (shown["callbacks_answered"] < minimum)).sum())
    notes = [t("trend.how_to_read"), targets]
    if few:
        notes.append(t("trend.too_few", count=few, n=minimum))
    if bool(shown["partial"].any()):
        notes.append(t("trend.partial_note", until=f"{until:%m-%d}"))
    st.caption(" ".join(notes))


def pull_down_chart(frame: pd.DataFrame) -> alt.Chart:
    """Bars of the percentage points each category would add to the overall 满意率 at the average rate."""
    data = frame.copy()
    data["gain_pp"] = data["gain"] * 100
    for col in ("satisfaction_rate", "answer_share", "shortfall_share", "overall_rate"):
        data[f"{col}_text"] = [f"{v:.1%}" if v == v else "—" for v in data[col]]
    data["gain_text"] = [t("pulldown.pp", value=f"{v:+.2f}") for v in data["gain_pp"]]
    data["bar_label"] = [
        t("pulldown.bar_label", rate=r, n=f"{n:,}")
        for r, n in zip(data["satisfaction_rate_text"], data["callbacks_answered"])
    ]
    top = max(float(data["gain_pp"].max()), 1e-9)
    base = alt.Chart(data).encode(
        y=alt.Y("category:N", sort=list(data["category"]), title=None, axis=band_axis()),
        tooltip=[
            alt.Tooltip("category:N", title=t("filter.category")),
            alt.Tooltip("gain_text:N", title=t("pulldown.col.gain")),
            alt.Tooltip("satisfaction_rate_text:N", title=t("pulldown.col.rate")),
            alt.Tooltip("overall_rate_text:N", title=t("pulldown.col.overall")),
            alt.Tooltip("callbacks_answered:Q", title=t("count.callbacks_answered")),
            alt.Tooltip("answer_share_text:N", title=t("pulldown.col.answer_share")),
            alt.Tooltip("shortfall_share_text:N", title=t("pulldown.col.shortfall_share")),
        ],
    )
    bars = base.mark_bar(color="#e45756").encode(
        # Room right of the longest bar for its label ("91.8%（134 件回访）").
        x=alt.X("gain_pp:Q", title=t("pulldown.gain_axis"), scale=alt.Scale(domain=[0, top * PULL_DOWN_LABEL_ROOM]))
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11, color="#555").encode(x="gain_pp:Q", text="bar_label:N")
    return (bars + labels).properties(height=alt.Step(BAND_STEP))


def render_pull_down(ctx: PageContext, flt: TicketFilter) -> None:
    """The categories that pull 满意率 down most in the filter's period: chart of the top ones, table of all."""
    by_category = data_flow.satisfaction_by_category(ctx.url, ctx.scope, flt)
    frame = trends.pull_down(by_category, ctx.settings)
    if frame.empty:
        st.info(t("pulldown.empty"))
        return
    pulling = frame[frame["gain"] > 1e-12].head(TOP_PULL_DOWN)
    beta = format_number(ctx.settings.satisfaction_basic_weight)
    overall, answered = f"{frame['overall_rate'].iloc[0]:.1%}", f"{int(frame['callbacks_answered'].sum()):,}"
    st.caption(t("pulldown.caption", overall=overall, answered=answered))
    if pulling.empty:
        st.info(t("pulldown.none_below"))
    else:
        left, right = st.columns([3, 2], gap="large")
        with left:
            show_chart(pull_down_chart, pulling)
        with right:
            st.caption(t("pulldown.definition", beta=beta))
    with st.expander(t("pulldown.all_categories", n=len(frame))):
        shown = pd.DataFrame(
            {
                t("filter.category"): frame["category"],
                t("count.callbacks_answered"): frame["callbacks_answered"],
                t("pulldown.col.rate"): frame["satisfaction_rate"] * 100,
                t("pulldown.col.answer_share"): frame["answer_share"] * 100,
                t("pulldown.col.shortfall_share"): frame["shortfall_share"] * 100,
                t("pulldown.col.gain"): frame["gain"] * 100,
            }
        )
        number = st.column_config.NumberColumn
        config = {
            t("count.callbacks_answered"): number(help=t("pulldown.help.answered")),
            t("pulldown.col.rate"): number(format="%.1f%%", help=metric_help("satisfaction_rate", ctx.settings)),
            t("pulldown.col.answer_share"): number(format="%.1f%%", help=t("pulldown.help.answer_share")),
            t("pulldown.col.shortfall_share"): number(format="%.1f%%", help=t("pulldown.help.shortfall_share", beta=beta)),
            t("pulldown.col.gain"): number(format="%+.2f", help=t("pulldown.help.gain")),
        }
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
