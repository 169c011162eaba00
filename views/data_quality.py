"""数据质量 Data quality (administrator, supervisor): the last imports with their counts, rejects and
findings, and how complete each field is per street — so a street whose tickets lack coordinates shows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.quality import COMPLETENESS_FIELDS
from ui import keys
from ui.auth import current_viewer
from ui.data import quality as data_quality
from ui.filter_bar import page_context
from ui.i18n import literal, t, translator

# Column widths (px) that fit the ~900 px main area at 1366 × 768 (issue 10: the right-hand columns were cut off).
IMPORT_WIDTHS = {
    "id": 50, "started_at": 135, "source_name": 140, "format": 65, "status": 75, "rows_read": 65,
    "rows_inserted": 60, "rows_updated": 65, "rows_unchanged": 70, "rows_rejected": 65, "findings": 65,
}
FIELD_WIDTH = 74  # each of the ten completeness fields, beside the street (95) and its tickets (60)

ctx = page_context()
st.title(t("page.data_quality.title"))
if not current_viewer().permissions.view_data_quality:
    st.error(t("quality.not_allowed"), icon=":material/block:")
    st.stop()

st.subheader(t("quality.imports_heading"))
runs = data_quality.last_imports(ctx.url, ctx.scope)
if runs.empty:
    st.info(t("quality.no_imports"))
else:
    tr = translator()
    shown = runs.assign(status=[tr(f"quality.status.{s}") for s in runs["status"]])
    # The rejects file and the message (long texts) are said under the run picker, not as columns: with them
    # the counts on the right were cut off at 1366 px.
    st.dataframe(
        shown[list(IMPORT_WIDTHS)], hide_index=True, width="stretch",
        column_config={c: st.column_config.Column(t(f"quality.col.{c}"), width=w) for c, w in IMPORT_WIDTHS.items()},
    )
    if (runs["status"] == "failed").any():
        st.warning(t("quality.resume_hint"))
    run_id = st.selectbox(
        t("quality.pick_run"), list(runs["id"]), key=keys.QUALITY_RUN,
        format_func=lambda i: f"#{i} {runs.loc[runs['id'] == i, 'source_name'].iloc[0]}",
    )
    run = runs[runs["id"] == run_id].iloc[0]
    details = [f"{t(f'quality.col.{c}')}: {literal(run[c])}" for c in ("message", "rejects_path") if not pd.isna(run[c]) and run[c]]
    if details:
        st.caption(" · ".join(details))
    findings = data_quality.import_findings(ctx.url, ctx.scope, int(run_id))
    if findings.empty:
        st.info(t("quality.no_findings"))
    else:
        st.dataframe(
            findings.assign(kind=[tr(f"quality.finding.{k}") for k in findings["kind"]]),
            hide_index=True, width="stretch",
            column_config={c: st.column_config.Column(t(f"quality.col.{c}"))
                           for c in ("kind", "column_name", "count", "example_lines")},
        )

st.subheader(t("quality.completeness_heading"))
st.caption(t("quality.completeness_caption", since=ctx.since, until=ctx.until))
shares = data_quality.completeness(ctx.url, ctx.scope, ctx.flt)
if shares.empty or int(shares["tickets"].sum()) == 0:
    st.info(t("quality.no_tickets"))
else:
    shares = shares.assign(street_name=shares["street_name"].fillna(t("quality.no_street")))
    st.dataframe(
        shares.drop(columns=["street_id"]).sort_values("coordinates", na_position="first"),
        hide_index=True, width="stretch",
        column_config={
            "street_name": st.column_config.Column(t("filter.street"), width=95),
            "tickets": st.column_config.NumberColumn(t("metric.tickets.name"), width=60),
            **{f: st.column_config.ProgressColumn(t(f"quality.field.{f}"), format="percent", min_value=0, max_value=1,
                                                   width=FIELD_WIDTH, help=t(f"quality.field_help.{f}"))
               for f in COMPLETENESS_FIELDS},
        },
    )
