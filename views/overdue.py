"""超期督办 Overdue: open tickets past their deadline and those due within `due_soon_hours`, grouped by
community and sorted by lateness, with the page's own filters and CSV / Excel exports of exactly what is
listed. The list is about now, not the period: the sidebar's street, community, category and channel apply,
its period does not."""

from __future__ import annotations

import streamlit as st

from ui import keys
from ui.components.overdue_view import render_overdue_list
from ui.filter_bar import page_context
from ui.i18n import t

ctx = page_context()

st.title(t("page.overdue.title"))
st.caption(t("overdue.now_caption", now=ctx.now.strftime("%Y-%m-%d %H:%M"), hours=f"{ctx.settings.due_soon_hours:g}"))
render_overdue_list(ctx, ctx.without_period(), key_prefix=keys.OVERDUE_PAGE, with_summary=True)
