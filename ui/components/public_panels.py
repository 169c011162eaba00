"""The panels of the public screen (公开大屏): large type on a dark background, for a TV in a lobby.

Each `render_*` draws one panel from figures that `metrics.public_figures` has already suppressed, so a
renderer never sees a count it may not show: a suppressed volume is <NA> and is written "<5", a suppressed
rate is NaN/None and is written "样本不足". Charts carry only the published columns (a chart's data travels
to the browser whole). The map panel is `ui.components.public_map`.

Texts come from locales/<lang>/public.toml. The look (dark, large type, no Streamlit chrome) is
`SCREEN_CSS`, injected by `inject_screen_style()`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass
from typing import Any, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from ui.components.charts import show_chart
from ui.i18n import t

# ------------------------------------------------------------------------------------------- look

BG = "#0b1220"
CARD = "#121c31"
BORDER = "#24324f"
TEXT = "#e8edf5"
MUTED = "#94a3b8"
ACCENT = "#38bdf8"  # volumes
RESOLUTION_COLOUR = "#a78bfa"  # violet: not the bars' blue
SATISFACTION_COLOUR = "#4ade80"
DELAYED = "#fbbf24"
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
LABEL_PX = 22  # chart axis labels: legible from across a lobby
TITLE_PX = 26

SCREEN_CSS = f"""
<style>
  /* No Streamlit chrome: a kiosk shows the panels and nothing else. */
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stMainMenu"], footer {{ display: none !important; }}
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{
    background: {BG} !important; color: {TEXT}; font-family: {FONT};
  }}
  [data-testid="stMainBlockContainer"], .block-container {{
    padding: 1.2rem 2.4rem 0.8rem 2.4rem !important; max-width: 100% !important;
  }}
  /* Drawn for 1920 × 1080 and scaled to the screen, charts included: half size at 960 × 540, double on a
     3840 × 2160 TV, 0.71 at 1366 × 768 — whichever of width and height is tighter, so nothing scrolls. */
  [data-testid="stMainBlockContainer"] {{ zoom: min(calc(100vw / 1920px), calc(100vh / 1080px)); }}
  /* A phone (residents scanning the lobby's QR code): half size, one column, the page scrolls. */
  @media (max-width: 760px) {{
    [data-testid="stMainBlockContainer"] {{ zoom: 0.5; }}
    [data-testid="stMainBlockContainer"], .block-container {{ padding: 1rem 1rem !important; }}
    .ps-header {{ flex-wrap: wrap; }}
    .ps-header h1 {{ font-size: 52px; }}
    .ps-cards {{ grid-template-columns: repeat(2, 1fr) !important; }}
    .ps-value {{ font-size: 72px !important; }}
    .ps-streets {{ flex-direction: column; }}
    .ps-panel-title {{ flex-wrap: wrap; }}
    .ps-dots {{ white-space: normal; }}
  }}
  /* A fragment's rerun must not grey the screen out. */
  [data-stale="true"], .stale-element {{ opacity: 1 !important; }}
  .ps-header {{ display: flex; justify-content: space-between; align-items: baseline; gap: 2rem;
    border-bottom: 2px solid {BORDER}; padding-bottom: .4rem; }}
  .ps-header h1 {{ font-size: 46px; font-weight: 700; margin: 0; color: {TEXT}; padding: 0; line-height: 1.25; }}
  .ps-clock {{ font-size: 34px; color: {MUTED}; white-space: nowrap; font-variant-numeric: tabular-nums; }}
  .ps-panel-title {{ display: flex; align-items: baseline; gap: 1.4rem; margin: .7rem 0 .5rem 0; }}
  .ps-panel-title h2 {{ font-size: 40px; font-weight: 700; color: {TEXT}; margin: 0; padding: 0; line-height: 1.2; }}
  .ps-sub {{ font-size: 26px; color: {MUTED}; }}
  .ps-period {{ font-size: 30px; color: {MUTED}; margin: .4rem 0 .5rem 0; }}
  .ps-cards {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 1.2rem; margin-bottom: 1rem; }}
  .ps-card {{ background: {CARD}; border: 1px solid {BORDER}; border-radius: 14px; padding: 1rem 1.4rem; }}
  .ps-label {{ font-size: 30px; color: {MUTED}; }}
  .ps-value {{ font-size: 92px; font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }}
  .ps-value.ps-small {{ font-size: 60px; line-height: 1.53; }}
  .ps-hidden {{ color: {MUTED}; }}
  .ps-note {{ font-size: 22px; color: {MUTED}; margin-top: .4rem; }}
  .ps-footer {{ display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .4rem 2rem;
    border-top: 2px solid {BORDER}; padding-top: .5rem; margin-top: .6rem; font-size: 24px; color: {MUTED}; }}
  .ps-status {{ font-size: 28px; color: {TEXT}; white-space: nowrap; }}
  .ps-status.ps-delayed {{ color: {BG}; background: {DELAYED}; font-weight: 700; padding: .2rem .8rem; border-radius: 8px; }}
  .ps-privacy {{ flex: 1 1 22rem; }}
  .ps-dots {{ white-space: nowrap; }}
  .ps-dots span {{ display: inline-block; margin-left: .9rem; }}
  .ps-dots .ps-on {{ color: {TEXT}; font-weight: 700; border-bottom: 3px solid {ACCENT}; }}
  .ps-legend {{ font-size: 26px; color: {TEXT}; }}
  .ps-legend .ps-row {{ display: flex; align-items: center; gap: .7rem; margin: .45rem 0; }}
  .ps-legend .ps-swatch {{ width: 34px; height: 26px; border-radius: 4px; flex: none; }}
  .ps-legend .ps-rule {{ width: 34px; height: 0; flex: none; }}
  .ps-streets {{ display: flex; gap: 1.2rem; align-items: flex-start; }}
  .ps-column {{ flex: 1 1 0; min-width: 0; display: flex; flex-direction: column; gap: 1rem; }}
  .ps-streets.ps-dense table {{ font-size: 20px; }}
  .ps-streets.ps-dense h3 {{ font-size: 24px; }}
  .ps-street {{ background: {CARD}; border: 1px solid {BORDER}; border-radius: 14px; padding: .5rem 1rem; }}
  .ps-street h3 {{ font-size: 30px; margin: 0 0 .3rem 0; color: {TEXT}; padding: 0; }}
  .ps-street table {{ width: 100%; border-collapse: collapse; font-size: 26px; }}
  .ps-street th {{ color: {MUTED}; font-weight: 400; text-align: right; font-size: 22px; }}
  .ps-street th:first-child, .ps-street td:first-child {{ text-align: left; }}
  .ps-street td {{ text-align: right; padding: .05rem 0; line-height: 1.3; font-variant-numeric: tabular-nums; }}
  .ps-message {{ font-size: 36px; color: {MUTED}; padding: 3rem 0; }}
</style>
"""


def inject_screen_style() -> None:
    """The dark, chrome-less look of the screen (a style-only st.html takes no room on the page)."""
    st.html(SCREEN_CSS)


def _esc(text: Any) -> str:
    return html.escape(str(text))


# -------------------------------------------------------------------------------------- formatting


def is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def count_text(value: Any, min_count: int) -> str:
    """A published volume ("1,188"), or "<5" when it was suppressed."""
    return t("public.suppressed_count", n=min_count) if is_missing(value) else f"{int(value):,}"


def rate_text(value: Any) -> str:
    """A published rate ("93.0%"), or "样本不足" when it was suppressed or is undefined."""
    return t("public.suppressed_rate") if is_missing(value) else f"{float(value):.1%}"


# ------------------------------------------------------------------------------------ frame of screen


def render_header(district: str | None, now: dt.datetime) -> None:
    title = t("public.title", district=district) if district else t("public.title_fallback")
    clock = t("public.clock", date=f"{now:%Y-%m-%d}", weekday=t(f"public.weekday.{now.weekday()}"), time=f"{now:%H:%M}")
    st.html(f'<div class="ps-header"><h1>{_esc(title)}</h1><div class="ps-clock">{_esc(clock)}</div></div>')


def render_panel_title(panel: str, subtitle: str | None = None) -> None:
    sub = f'<span class="ps-sub">{_esc(subtitle)}</span>' if subtitle else ""
    st.html(f'<div class="ps-panel-title" data-panel="{_esc(panel)}"><h2>{_esc(t(f"public.panel.{panel}"))}</h2>{sub}</div>')


def render_footer(panels: Sequence[str], current: str, read_at: dt.datetime | None, delayed: bool, min_count: int) -> None:
    """When the data was read (or that it is delayed, with the time of the last good read), the privacy
    rule, and where the rotation stands."""
    if read_at is None:
        status = f'<span class="ps-status ps-delayed">{_esc(t("public.unavailable"))}</span>'
    elif delayed:
        status = f'<span class="ps-status ps-delayed">{_esc(t("public.delayed", at=f"{read_at:%H:%M}"))}</span>'
    else:
        status = f'<span class="ps-status">{_esc(t("public.read_at", at=f"{read_at:%H:%M}"))}</span>'
    dots = "".join(
        f'<span class="{"ps-on" if p == current else ""}">{_esc(t(f"public.panel.{p}"))}</span>' for p in panels
    )
    st.html(
        f'<div class="ps-footer">{status}<span class="ps-privacy">{_esc(t("public.privacy_note", n=min_count))}</span>'
        f'<span class="ps-dots">{dots}</span></div>'
    )


def render_message(text: str) -> None:
    st.html(f'<div class="ps-message">{_esc(text)}</div>')


# ----------------------------------------------------------------------------------------- headline

HEADLINE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")


def _card(label: str, value: str, hidden: bool) -> str:
    small = " ps-small ps-hidden" if hidden and not value.startswith("<") else (" ps-hidden" if hidden else "")
    return f'<div class="ps-card"><div class="ps-label">{_esc(label)}</div><div class="ps-value{small}">{_esc(value)}</div></div>'


@dataclass(frozen=True)
class HeadlineFigures:
    values: dict[str, dict[str, Any]]  # "today", "month" → published tickets and rates
    today: dt.date
    month_since: dt.date
    month_until: dt.date  # yesterday while today's count is withheld (metrics.suppression, rule 2)
    previous_month: bool = False  # this month too young to show: the row holds the whole previous month


def render_headline(figures: HeadlineFigures, min_count: int) -> None:
    """Two rows of cards: today, this month so far — tickets received and the three rates."""
    rows = []
    for period, heading in (
        ("today", t("public.headline.today", date=f"{figures.today:%Y-%m-%d}")),
        ("month", t("public.headline.last_month" if figures.previous_month else "public.headline.month",
                    since=f"{figures.month_since:%m-%d}", until=f"{figures.month_until:%m-%d}", n=min_count)),
    ):
        values = figures.values[period]
        cards = [_card(t("public.headline.tickets"), count_text(values["tickets"], min_count), is_missing(values["tickets"]))]
        cards += [
            _card(t(f"metric.{key}.name"), rate_text(values[key]), is_missing(values[key])) for key in HEADLINE_RATES
        ]
        rows.append(f'<div class="ps-period">{_esc(heading)}</div><div class="ps-cards">{"".join(cards)}</div>')
    st.html("".join(rows) + f'<div class="ps-note">{_esc(t("public.headline.rate_note"))}</div>')


# --------------------------------------------------------------------------------------------- charts


def dark(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Dark background, light text and large type for a chart seen from across a room."""
    return (
        chart.configure(background=BG, font=FONT)
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=TEXT, titleColor=MUTED, gridColor=BORDER, domainColor="#334155", tickColor="#334155",
            labelFontSize=LABEL_PX, titleFontSize=LABEL_PX, labelPadding=8,
        )
        .configure_legend(labelColor=TEXT, titleColor=MUTED, labelFontSize=LABEL_PX, titleFontSize=LABEL_PX, symbolSize=400, orient="top")
        .configure_title(color=TEXT, fontSize=TITLE_PX, anchor="start", fontWeight=600, offset=18)
    )


@dataclass(frozen=True)
class TrendFigures:
    weekly: pd.DataFrame  # period_start, partial, tickets (<NA> suppressed), resolution_rate, satisfaction_rate
    since: dt.date
    until: dt.date


def _week_labels(weekly: pd.DataFrame) -> list[str]:
    return [f"{d:%m-%d}" + ("*" if p else "") for d, p in zip(weekly["period_start"], weekly["partial"])]


def weekly_tickets_chart(weekly: pd.DataFrame, min_count: int, height: int = 520) -> alt.LayerChart:
    data = pd.DataFrame(
        {
            "week": _week_labels(weekly),
            "tickets": pd.to_numeric(weekly["tickets"]).astype("float64"),
            "label": [count_text(v, min_count) for v in weekly["tickets"]],
        }
    )
    data["label_y"] = data["tickets"].fillna(0)
    x = alt.X("week:N", sort=None, title=None, axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(data).mark_bar(color=ACCENT, cornerRadiusTopLeft=4, cornerRadiusTopRight=4).encode(
        x=x, y=alt.Y("tickets:Q", title=None, axis=alt.Axis(tickCount=5))
    )
    labels = alt.Chart(data).mark_text(dy=-16, fontSize=LABEL_PX, color=TEXT, fontWeight="bold").encode(
        x=x, y="label_y:Q", text="label:N"
    )
    return (bars + labels).properties(height=height)


def weekly_rates_chart(weekly: pd.DataFrame, height: int = 520) -> alt.Chart:
    names = {"resolution_rate": t("metric.resolution_rate.name"), "satisfaction_rate": t("metric.satisfaction_rate.name")}
    long = pd.DataFrame(
        [
            {"week": week, "measure": names[key], "rate": float(value)}
            for week, (_, row) in zip(_week_labels(weekly), weekly.iterrows())
            for key in names
            if not is_missing(row[key])
            for value in [row[key]]
        ],
        columns=["week", "measure", "rate"],
    )
    x = alt.X("week:N", sort=_week_labels(weekly), title=None, axis=alt.Axis(labelAngle=0))
    colours = alt.Scale(domain=list(names.values()), range=[RESOLUTION_COLOUR, SATISFACTION_COLOUR])
    y = alt.Y("rate:Q", title=None, axis=alt.Axis(format=".0%", tickCount=5), scale=alt.Scale(zero=False, padding=30))
    lines = alt.Chart(long).mark_line(strokeWidth=5, point=alt.OverlayMarkDef(size=160, filled=True)).encode(
        x=x, y=y, color=alt.Color("measure:N", title=None, scale=colours, legend=None)
    )
    return lines.properties(height=height)


def _latest(weekly: pd.DataFrame, title: str, series: Sequence[tuple[str, str, str]]) -> str:
    """A chart's title and, in the chart's colours, the latest published value of each series
    (key, name, colour) — a volume as a count, a rate as a percentage — with the week it belongs to."""
    items, weeks = [], []
    for key, name, colour in series:
        known = weekly.dropna(subset=[key])
        if not len(known):
            continue
        row = known.iloc[-1]
        value = f"{int(row[key]):,}" if key == "tickets" else f"{float(row[key]):.1%}"
        week = f"{row['period_start']:%m-%d}" + ("*" if row["partial"] else "")
        weeks.append(week)
        items.append((name, value, colour, week))
    same_week = len(set(weeks)) == 1
    parts = [
        f'<span style="color:{colour};white-space:nowrap">● {_esc(name)} <b style="font-size:40px">{value}</b>'
        + ("" if same_week else f' <span class="ps-sub">{_esc(t("public.trend.latest_week", week=week))}</span>')
        + "</span>"
        for name, value, colour, week in items
    ]
    if same_week:
        parts.append(f'<span class="ps-sub" style="white-space:nowrap">{_esc(t("public.trend.latest_week", week=weeks[0]))}</span>')
    return (
        f'<div class="ps-label" style="color:{TEXT};font-weight:600">{_esc(title)}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:.4rem 1.6rem;align-items:baseline;font-size:28px;min-height:58px;'
        f'margin:.1rem 0 .3rem 0">{"".join(parts)}</div>'
    )


def render_trend(figures: TrendFigures, min_count: int) -> None:
    weekly = figures.weekly
    render_panel_title("trend", t("public.trend.heading", since=f"{figures.since:%Y-%m-%d}", until=f"{figures.until:%Y-%m-%d}"))
    left, right = st.columns(2, gap="large")
    with left:
        st.html(_latest(weekly, t("public.trend.tickets_title"), [("tickets", t("public.headline.tickets"), ACCENT)]))
        show_chart(dark_weekly_tickets_chart, weekly, min_count, theme=None)
    with right:
        if weekly[["resolution_rate", "satisfaction_rate"]].isna().all().all():
            render_message(t("public.trend.no_rates", n=min_count))
        else:
            rates = [
                ("resolution_rate", t("metric.resolution_rate.name"), RESOLUTION_COLOUR),
                ("satisfaction_rate", t("metric.satisfaction_rate.name"), SATISFACTION_COLOUR),
            ]
            st.html(_latest(weekly, t("public.trend.rates_title"), rates))
            show_chart(dark_weekly_rates_chart, weekly, theme=None)
    notes = []
    if bool(weekly["partial"].any()):
        notes.append("* " + t("public.trend.partial", until=f"{figures.until:%m-%d}"))
    notes.append(t("public.headline.rate_note"))
    st.html(f'<div class="ps-note">{"　".join(_esc(n) for n in notes)}</div>')


@dataclass(frozen=True)
class CategoryFigures:
    top: pd.DataFrame  # category, tickets (published only)
    left_out: int  # categories withheld (fewer than the minimum)
    since: dt.date
    until: dt.date


def categories_chart(top: pd.DataFrame, height: int = 620) -> alt.LayerChart:
    data = top.assign(tickets=pd.to_numeric(top["tickets"]).astype("int64"))
    data["label"] = [f"{v:,}" for v in data["tickets"]]
    y = alt.Y("category:N", sort=list(data["category"]), title=None, axis=alt.Axis(labelFontSize=TITLE_PX, labelLimit=360))
    bars = alt.Chart(data).mark_bar(color=ACCENT, cornerRadiusTopRight=4, cornerRadiusBottomRight=4).encode(
        x=alt.X("tickets:Q", title=None, axis=None, scale=alt.Scale(domain=[0, float(data["tickets"].max()) * 1.12])),
        y=y,
    )
    labels = alt.Chart(data).mark_text(align="left", dx=10, fontSize=TITLE_PX, color=TEXT, fontWeight="bold").encode(
        x="tickets:Q", y=y, text="label:N"
    )
    return (bars + labels).properties(height=height)


def dark_weekly_tickets_chart(weekly: pd.DataFrame, min_count: int) -> alt.TopLevelMixin:
    return dark(weekly_tickets_chart(weekly, min_count))


def dark_weekly_rates_chart(weekly: pd.DataFrame) -> alt.TopLevelMixin:
    return dark(weekly_rates_chart(weekly))


def dark_categories_chart(top: pd.DataFrame) -> alt.TopLevelMixin:
    return dark(categories_chart(top))


def render_categories(figures: CategoryFigures, min_count: int) -> None:
    render_panel_title("categories", t("public.categories.heading", since=f"{figures.since:%m-%d}", until=f"{figures.until:%m-%d}"))
    if figures.top.empty:
        render_message(t("public.categories.none", n=min_count))
        return
    show_chart(dark_categories_chart, figures.top, theme=None)
    if figures.left_out:
        st.html(f'<div class="ps-note">{_esc(t("public.categories.left_out", count=figures.left_out, n=min_count))}</div>')


DENSE_ABOVE_COMMUNITIES = 48  # more communities than this: six narrower columns, smaller type
BLOCK_HEAD_ROWS = 3  # a street block's name, column heads and padding take about three rows


def pack_columns(sizes: Sequence[int], columns: int) -> list[list[int]]:
    """Indices of blocks of the given heights dealt into `columns` columns of nearly equal height: the
    tallest block first, each into the shortest column so far (ties: the leftmost); each column keeps the
    blocks' original order. Empty columns are dropped."""
    heights = [0] * columns
    dealt: list[list[int]] = [[] for _ in range(columns)]
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        shortest = heights.index(min(heights))
        dealt[shortest].append(i)
        heights[shortest] += sizes[i]
    return [sorted(column) for column in dealt if column]


@dataclass(frozen=True)
class ResolvedFigures:
    by_community: pd.DataFrame  # street_name, community_name, closed_7d (published)
    since: dt.date
    until: dt.date  # the 7 whole days up to the end of yesterday (metrics.suppression, rule 3)


def render_resolved(figures: ResolvedFigures, min_count: int) -> None:
    """A block per street: its communities with the tickets closed in the 7 days up to yesterday."""
    render_panel_title("resolved", t("public.resolved.heading", since=f"{figures.since:%m-%d}", until=f"{figures.until:%m-%d}"))
    head = f'<tr><th>{_esc(t("public.resolved.col_community"))}</th><th>{_esc(t("public.resolved.col_7d"))}</th></tr>'
    blocks, sizes = [], []
    for street, rows in figures.by_community.groupby("street_name", sort=False):
        body = "".join(
            f"<tr><td>{_esc(r.community_name)}</td>"
            f'<td class="{"ps-hidden" if is_missing(r.closed_7d) else ""}">{_esc(count_text(r.closed_7d, min_count))}</td></tr>'
            for r in rows.itertuples(index=False)
        )
        blocks.append(f'<div class="ps-street"><h3>{_esc(street)}</h3><table>{head}{body}</table></div>')
        sizes.append(len(rows) + BLOCK_HEAD_ROWS)
    dense = len(figures.by_community) > DENSE_ABOVE_COMMUNITIES
    columns = "".join(
        f'<div class="ps-column">{"".join(blocks[i] for i in column)}</div>' for column in pack_columns(sizes, 6 if dense else 4)
    )
    st.html(f'<div class="ps-streets{" ps-dense" if dense else ""}">{columns}</div>')
