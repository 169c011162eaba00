"""The 超期督办 overdue view's rendering: the page's own filters, the per-community summary, the list grouped
by community, and its CSV / Excel exports — exactly the rows on screen, with the same localised headers (and the
street, which the screen leaves out when every row is of one street).

`render_overdue_list(ctx, flt, key_prefix=...)` is the list with its filters and exports alone, for other
pages (the community page); `views/overdue.py` adds the per-community summary between filters and list.
No personal data: the ticket number is enough to act (the queries never select caller columns).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from functools import partial
from typing import Any, Callable

import altair as alt
import pandas as pd
import streamlit as st
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from data_access.overdue_queries import DUE_CHOICES, NO_DEPARTMENT, OverdueView
from data_access.scope import TicketFilter
from domain import vocab
from domain.settings import Settings
from metrics.definitions import format_definition
from metrics.overdue import (
    LATENESS_BANDS,
    DurationWords,
    LatenessWords,
    format_duration,
    format_lateness,
    group_by_community,
    hours_late,
    order_summary,
    summary_totals,
)
from ui import keys
from ui.components.charts import BAND_STEP, band_axis, show_chart
from ui.components.kpi import metric_help
from ui.data import overdue as data_overdue
from ui.filter_bar import PageContext
from ui.i18n import literal, t

# A district's overdue list is thousands of rows; past this many the list (and its exports) stop, with a
# notice, rather than hold an unbounded frame in every session.
LIST_MAX_ROWS = 20_000
# Communities drawn in the summary chart (the table beside it lists all of them).
CHART_TOP_COMMUNITIES = 15
# Column widths (px) of the summary table and the list: at 1366 × 768 with the sidebar open the main area is
# ~900 px, the summary table 5/9 of it; every column fits without scrolling (issue 10: the right-hand columns
# were cut off). The full text of a cut cell is in its tooltip.
SUMMARY_WIDTHS = {"community": 95, "street": 80, "count": 50, "due_soon": 85, "worst": 105}
LIST_WIDTHS = {
    "community": 85, "street": 80, "ticket_no": 140, "category": 75, "urgency": 65, "lateness": 120,
    "hours_late": 60, "due_at": 90, "lead_department": 85, "escalations": 60, "whistle": 45, "status": 65,
}
# The list's columns, in screen and export order (headers: overdue.col.<name>).
LIST_COLUMNS = (
    "community", "ticket_no", "category", "urgency", "lateness", "hours_late", "due_at",
    "lead_department", "escalations", "whistle", "status", "street",
)
BAND_COLOURS = ("#fdd49e", "#fc8d59", "#ef6548", "#d7301f", "#990000")
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\s]+')


def _key(prefix: str, suffix: str) -> str:
    return f"{prefix}_{suffix}"


def lateness_words() -> LatenessWords:
    units = DurationWords(
        day=t("overdue.unit.day"), hour=t("overdue.unit.hour"), minute=t("overdue.unit.minute"),
        pair=t("overdue.unit.pair"),
    )
    return LatenessWords(units=units, late=t("overdue.late"), left=t("overdue.left"))


def band_label(band: str, settings: Settings) -> str:
    return t(f"overdue.band.{band}", hours=f"{settings.due_soon_hours:g}")


def unit_label(ctx: PageContext, flt: TicketFilter) -> str:
    """The community, street or whole district a filter covers (for messages and file names)."""
    for frame, ids in ((ctx.communities, flt.community_ids), (ctx.streets, flt.street_ids)):
        if ids and len(ids) == 1:
            hit = frame[frame["id"] == ids[0]]
            if len(hit):
                return str(hit.iloc[0]["name"])
    return t("overdue.whole_district")


def _department_name(name: str) -> str:
    return t("overdue.no_department") if name == NO_DEPARTMENT else name


# --- the page's own filters ---------------------------------------------------------------------------


def overdue_filters(ctx: PageContext, departments: pd.DataFrame, *, key_prefix: str) -> OverdueView:
    """Filters on the page itself (not the sidebar): which tickets, urgency, escalated only, lead department."""
    hours = f"{ctx.settings.due_soon_hours:g}"
    dep_key = _key(key_prefix, keys.OVERDUE_DEPARTMENT)
    choices = list(departments["lead_department"])
    if dep_key in st.session_state:  # a department no longer listed (other sidebar filter) is dropped
        st.session_state[dep_key] = [d for d in st.session_state[dep_key] if d in choices]
    counts = dict(zip(departments["lead_department"], departments["tickets"]))
    due_col, urgency_col, department_col, escalated_col = st.columns([3.2, 2, 2.4, 1.6], vertical_alignment="bottom")
    with due_col:
        due = st.segmented_control(
            t("overdue.filter.due"), DUE_CHOICES, key=_key(key_prefix, keys.OVERDUE_DUE), default="both",
            required=True, format_func=lambda c: t(f"overdue.due.{c}", hours=hours),
        )
    with urgency_col:
        urgencies = st.multiselect(
            t("overdue.filter.urgency"), list(vocab.URGENCIES), key=_key(key_prefix, keys.OVERDUE_URGENCY),
            format_func=lambda u: t(f"vocab.urgency.{u}"), placeholder=t("overdue.filter.all_urgencies"),
        )
    with department_col:
        chosen = st.multiselect(
            t("overdue.filter.department"), choices, key=dep_key,
            format_func=lambda d: f"{_department_name(d)} ({counts.get(d, 0)})",
            placeholder=t("overdue.filter.all_departments"),
        )
    with escalated_col:
        escalated = st.toggle(
            t("overdue.filter.escalated_only"), key=_key(key_prefix, keys.OVERDUE_ESCALATED),
            help=t("overdue.filter.escalated_help"),
        )
    return OverdueView(
        due=due or "both", urgencies=tuple(urgencies) or None, escalated_only=bool(escalated),
        departments=tuple(chosen) or None,
    )


# --- summary ------------------------------------------------------------------------------------------


def _community_labels(summary: pd.DataFrame) -> list[str]:
    """Community names, with the street added where a name occurs in more than one street."""
    names = summary["community"].astype("object").where(summary["community"].notna(), t("overdue.no_community"))
    repeated = names.duplicated(keep=False)
    return [f"{n}（{s}）" if rep else str(n) for n, s, rep in zip(names, summary["street"], repeated)]


def summary_chart(summary: pd.DataFrame, bands: list[str]) -> alt.Chart:
    """Stacked bars per community: how many of its tickets fall in each lateness band (`bands`: the labels
    of LATENESS_BANDS, in order)."""
    top = summary.head(CHART_TOP_COMMUNITIES)
    labels = _community_labels(top)
    long = pd.DataFrame(
        [
            {"community": label, "band": bands[i], "order": i, "tickets": int(row[f"band_{b}"])}
            for label, (_, row) in zip(labels, top.iterrows())
            for i, b in enumerate(LATENESS_BANDS)
            if row[f"band_{b}"]
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("tickets:Q", title=t("overdue.chart.tickets"), axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("community:N", sort=labels, title=None, axis=band_axis()),
            # Two columns: three of the long band names do not fit beside each other in the narrow column.
            color=alt.Color("band:N", title=None, scale=alt.Scale(domain=bands, range=list(BAND_COLOURS)),
                            legend=alt.Legend(orient="top", columns=2, labelLimit=200)),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("community:N", title=t("overdue.col.community")),
                alt.Tooltip("band:N", title=t("overdue.chart.band")),
                alt.Tooltip("tickets:Q", title=t("overdue.chart.tickets")),
            ],
        )
        .properties(height=alt.Step(BAND_STEP))
    )


def _worst_text(worst: float | None, words: LatenessWords) -> str:
    """The latest ticket's lateness for a card labelled 最久超期: "3天4小时", or "剩余1小时" if none is late."""
    if worst is None:
        return "—"
    return format_duration(worst, words.units) if worst > 0 else format_lateness(worst, words)


def render_summary(summary: pd.DataFrame, settings: Settings) -> None:
    """Totals as cards, then the communities: a table (all) beside a chart of lateness bands (the worst)."""
    summary = order_summary(summary)
    totals = summary_totals(summary)
    words = lateness_words()
    hours = f"{settings.due_soon_hours:g}"
    worst = totals["worst_seconds_late"]
    cards = (
        (t("overdue.kpi.overdue"), f"{totals['overdue']:,}", metric_help("overdue_open", settings)),
        (t("overdue.kpi.due_soon", hours=hours), f"{totals['due_soon']:,}",
         t("overdue.kpi.due_soon_help", hours=hours)),
        (t("overdue.kpi.escalated"), f"{totals['escalated']:,}", t("overdue.kpi.escalated_help")),
        (t("overdue.kpi.worst"), _worst_text(worst, words), t("overdue.kpi.worst_help")),
    )
    for column, (label, value, help_text) in zip(st.columns(len(cards)), cards):
        column.metric(label, value, help=help_text, border=True)
    left, right = st.columns([5, 4])
    with left:
        table = pd.DataFrame(
            {
                t("overdue.col.community"): _community_labels(summary),
                t("overdue.col.street"): summary["street"],
                t("overdue.sum.overdue"): summary["overdue"],
                t("overdue.sum.due_soon", hours=hours): summary["due_soon"],
                t("overdue.sum.escalated"): summary["escalated"],
                t("overdue.sum.whistle"): summary["whistle"],
                # As on the card: "3天4小时" under 最久超期 (no "超期" again), "剩余1小时" when none is late yet.
                t("overdue.sum.worst"): [_worst_text(s, words) for s in summary["worst_seconds_late"]],
            }
        )
        st.dataframe(
            without_single_street(table), hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)),
            column_config={
                t("overdue.col.community"): st.column_config.TextColumn(width=SUMMARY_WIDTHS["community"]),
                t("overdue.col.street"): st.column_config.TextColumn(width=SUMMARY_WIDTHS["street"]),
                t("overdue.sum.overdue"): st.column_config.NumberColumn(
                    width=SUMMARY_WIDTHS["count"], help=metric_help("overdue_open", settings)
                ),
                t("overdue.sum.due_soon", hours=hours): st.column_config.NumberColumn(
                    width=SUMMARY_WIDTHS["due_soon"], help=t("overdue.kpi.due_soon_help", hours=hours)
                ),
                t("overdue.sum.escalated"): st.column_config.NumberColumn(
                    width=SUMMARY_WIDTHS["count"], help=t("overdue.kpi.escalated_help")
                ),
                t("overdue.sum.whistle"): st.column_config.NumberColumn(
                    width=SUMMARY_WIDTHS["count"], help=t("overdue.col_help.whistle")
                ),
                t("overdue.sum.worst"): st.column_config.TextColumn(
                    width=SUMMARY_WIDTHS["worst"], help=t("overdue.kpi.worst_help")
                ),
            },
        )
    with right:
        show_chart(summary_chart, summary, [band_label(b, settings) for b in LATENESS_BANDS])
        if len(summary) > CHART_TOP_COMMUNITIES:
            st.caption(t("overdue.chart.top_note", n=CHART_TOP_COMMUNITIES, total=len(summary)))


# --- the list -----------------------------------------------------------------------------------------


def list_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The list as shown and exported: grouped by community (latest first), localised values and headers."""
    rows = group_by_community(rows)
    words = lateness_words()

    def words_for(column: str, word: Callable[[Any], str]) -> pd.Series:
        # A list may hold 20,000 rows but a handful of distinct values: translate each value once.
        values = rows[column].astype("object")
        return values.map({v: word(v) for v in values.dropna().unique()})

    departments = rows["lead_department"].astype("object")
    values = {
        "community": rows["community"].astype("object").where(rows["community"].notna(), t("overdue.no_community")),
        "street": rows["street"].astype("object"),
        "ticket_no": rows["ticket_no"].astype("object"),
        "category": rows["category"].astype("object"),
        "urgency": words_for("urgency", lambda u: t(f"vocab.urgency.{u}")),
        "lateness": [format_lateness(s, words) for s in rows["seconds_late"]],
        "hours_late": [hours_late(s) for s in rows["seconds_late"]],
        "due_at": pd.to_datetime(rows["due_at"]).dt.floor("min"),
        "lead_department": words_for("lead_department", _department_name).where(departments.notna(), t("overdue.no_department")),
        "escalations": rows["escalations"].astype("int64"),
        "whistle": rows["whistle"].astype(bool),
        "status": words_for("status", lambda s: t(f"vocab.status.{s}")),
    }
    return pd.DataFrame({t(f"overdue.col.{c}"): values[c] for c in LIST_COLUMNS})


def without_single_street(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` without its street column when every row is of one street (a secretary's list, a street's
    filter): on screen the column says nothing the page does not, and its width is what pushed the right-hand
    columns out of view at 1366 px. The exports keep it (a file travels without the page around it)."""
    street = t("overdue.col.street")
    if street in frame.columns and frame[street].nunique(dropna=False) <= 1:
        return frame.drop(columns=[street])
    return frame


def render_list(frame: pd.DataFrame, settings: Settings) -> None:
    """The list on screen: `frame` without the street column when it holds one street."""
    frame = without_single_street(frame)
    col = {c: t(f"overdue.col.{c}") for c in LIST_COLUMNS}
    width = {col[c]: w for c, w in LIST_WIDTHS.items()}
    help_text = {
        col["ticket_no"]: t("overdue.col_help.ticket_no"),
        col["urgency"]: format_definition(t("overdue.col_help.urgency"), settings),
        col["lateness"]: t("overdue.col_help.lateness"),
    }
    # Community and ticket number stay in view when a narrow screen scrolls the list sideways.
    pinned = {col["community"], col["ticket_no"]}
    config: dict[str, Any] = {
        name: st.column_config.TextColumn(width=width[name], help=help_text.get(name), pinned=name in pinned)
        for name in frame.columns if name in width
    }
    config.update({
        col["hours_late"]: st.column_config.NumberColumn(
            width=width[col["hours_late"]], format="%.1f", help=t("overdue.col_help.hours_late")
        ),
        # The year is left out on screen (the exports keep the full time): the list is of open tickets, and
        # "how late" says how old a deadline is.
        col["due_at"]: st.column_config.DatetimeColumn(
            width=width[col["due_at"]], format="MM-DD HH:mm", help=t("overdue.col_help.due_at")
        ),
        col["escalations"]: st.column_config.NumberColumn(
            width=width[col["escalations"]], format="%d", help=t("overdue.col_help.escalations")
        ),
        col["whistle"]: st.column_config.CheckboxColumn(width=width[col["whistle"]], help=t("overdue.col_help.whistle")),
    })
    st.dataframe(
        frame, hide_index=True, width="stretch", height=min(600, 38 + 35 * len(frame)),
        column_config={name: c for name, c in config.items() if name in frame.columns},
    )


# --- exports (pure: bytes from the frame on screen) ---------------------------------------------------


def export_frame(frame: pd.DataFrame, yes: str, no: str) -> pd.DataFrame:
    """The frame on screen with flags written as words (是/否) for spreadsheets."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == bool:
            out[name] = [yes if v else no for v in out[name]]
    return out


# A text cell starting with one of these is read as a formula by Excel, LibreOffice and Google Sheets
# (OWASP, "CSV Injection"): `=HYPERLINK(...)` in an imported category or community name would become a live
# link or worse in the recipient's spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def as_text(value: object) -> object:
    """A text value that a spreadsheet would run as a formula, prefixed with an apostrophe (shown as the
    plain text, never evaluated); other values unchanged. Numbers stay numbers (−3 is not text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(as_text)
    out.columns = [as_text(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly; formula-like text neutralised."""
    return _neutralised(frame).to_csv(index=False, date_format="%Y-%m-%d %H:%M").encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet_title: str) -> bytes:
    """An .xlsx workbook: one bold, frozen, filterable header row, then the rows; widths fit the text."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]  # Excel's limit on sheet names
    sheet.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row])
    # openpyxl stores every string that begins with "=" as a formula: every text cell is written as text.
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.data_type != "s":
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for index, name in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd hh:mm"
            width = 17
        else:
            texts = [str(name), *(str(v) for v in frame[name].head(2000))]
            # CJK characters take two columns of width in Excel.
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in s) for s in texts) + 2
        sheet.column_dimensions[letter].width = min(max(width, 8), 40)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_file_name(unit: str, today: dt.date, extension: str) -> str:
    """超期工单_<community, street or 全区>_<date>.<extension>"""
    return f"{t('overdue.export.file_stem')}_{_UNSAFE_IN_FILE_NAME.sub('_', unit)}_{today:%Y-%m-%d}.{extension}"


def render_exports(frame: pd.DataFrame, unit: str, today: dt.date, *, key_prefix: str) -> None:
    """CSV and Excel of exactly the rows on screen, street column included; the files are built when the button is
    clicked."""
    out = export_frame(frame, t("overdue.yes"), t("overdue.no"))
    # st.download_button itself (not a column's method): one public name to observe in tests.
    with st.container(horizontal=True, vertical_alignment="center"):
        st.download_button(
            t("overdue.export.csv"), partial(csv_bytes, out), file_name=export_file_name(unit, today, "csv"),
            mime="text/csv", key=_key(key_prefix, keys.OVERDUE_CSV), on_click="ignore", icon=":material/download:",
        )
        st.download_button(
            t("overdue.export.xlsx"), partial(xlsx_bytes, out, t("overdue.export.sheet")),
            file_name=export_file_name(unit, today, "xlsx"),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=_key(key_prefix, keys.OVERDUE_XLSX), on_click="ignore", icon=":material/download:",
        )
        st.caption(t("overdue.export.note", n=len(frame)))


def render_rows_and_exports(
    ctx: PageContext, flt: TicketFilter, view: OverdueView, total: int, *, key_prefix: str
) -> None:
    """The grouped list of the filter and view, a notice when it was cut, and its exports."""
    rows = data_overdue.overdue_rows(
        ctx.url, ctx.scope, flt, view, ctx.now, ctx.settings.due_soon_hours, LIST_MAX_ROWS
    )
    if total > len(rows):
        st.warning(t("overdue.truncated", shown=len(rows), total=total))
    frame = list_frame(rows)
    render_list(frame, ctx.settings)
    render_exports(frame, unit_label(ctx, flt), ctx.now.date(), key_prefix=key_prefix)


def render_overdue_list(ctx: PageContext, flt: TicketFilter, *, key_prefix: str, with_summary: bool = False) -> None:
    """The overdue and due-soon list of `flt` with the page's own filters and the exports (and, with
    `with_summary`, the per-community summary between filters and list); an explanation instead when
    there is nothing to list. The list is about now: pass a filter without a period."""
    hours = f"{ctx.settings.due_soon_hours:g}"
    departments = data_overdue.overdue_departments(ctx.url, ctx.scope, flt, ctx.now, ctx.settings.due_soon_hours)
    if departments.empty:
        st.info(t("overdue.none_in_unit", unit=literal(unit_label(ctx, flt)), hours=hours))
        return
    view = overdue_filters(ctx, departments, key_prefix=key_prefix)
    summary = data_overdue.overdue_summary(ctx.url, ctx.scope, flt, view, ctx.now, ctx.settings.due_soon_hours)
    if summary.empty:
        st.info(t("overdue.none_match"))
        return
    if with_summary:
        st.subheader(t("overdue.summary_heading"))
        render_summary(summary, ctx.settings)
        st.subheader(t("overdue.list_heading"))
    render_rows_and_exports(ctx, flt, view, int(summary["tickets"].sum()), key_prefix=key_prefix)
