"""Router of the street governance dashboard (街道接诉即办治理看板).

Page config, the database check, who the viewer is, the shared filter bar, and `st.navigation`.
Everything else lives in views/ (one file per page) and ui/ (shared rendering). The folder is not called
pages/: Streamlit would then serve a direct link such as /overdue from that file alone, without this router,
to the first visitor after a restart (regression: KeyError 'page_context').
"""

from __future__ import annotations

import streamlit as st

from data_access.engine import is_demo_url, resolve_database_url
from data_access.scope import Scope
from metrics.settings import load_settings
from ui import bootstrap, data, keys
from ui.filter_bar import render_filter_bar
from ui.i18n import t

st.set_page_config(page_title="接诉即办治理看板", page_icon="📊", layout="wide")

settings = load_settings()
url = resolve_database_url()
if is_demo_url(url):
    bootstrap.ensure_demo_database(settings)
problem = bootstrap.database_problem(url)
if problem:
    bootstrap.stop_on_database_problem(url, problem)

# Until sign-in exists every viewer is a district supervisor (all streets).
scope = Scope.district()
now = data.current_time(settings)
st.session_state[keys.CONTEXT] = render_filter_bar(url, scope, settings, now)

pages = [
    st.Page("views/overview.py", title=t("page.overview.title"), icon=":material/dashboard:", default=True),
    st.Page("views/grid_map.py", title=t("page.grid_map.title"), icon=":material/map:"),
    st.Page("views/overdue.py", title=t("page.overdue.title"), icon=":material/alarm:"),
    st.Page("views/funnel.py", title=t("page.funnel.title"), icon=":material/filter_alt:"),
    st.Page("views/satisfaction.py", title=t("page.satisfaction.title"), icon=":material/sentiment_satisfied:"),
    st.Page("views/community.py", title=t("page.community.title"), icon=":material/home_work:"),
]
st.navigation(pages).run()
