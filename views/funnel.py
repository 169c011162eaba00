"""工单流转 Funnel: 受理 → 派单 → 签收 → 联系 → 办结 → 回访 → 满意 with counts, conversions and the median time
into each stage; 退单, 延期, 督办, 吹哨 and 重办 beside it; overall or by street, community or category."""

from __future__ import annotations

import streamlit as st

from ui import keys
from ui.components.funnel_view import render_funnel
from ui.filter_bar import page_context
from ui.i18n import t

ctx = page_context()

st.title(t("page.funnel.title"))
st.caption(t("funnel.period_caption", since=ctx.since, until=ctx.until))
render_funnel(ctx, ctx.flt, key_prefix=keys.FUNNEL_PAGE)
