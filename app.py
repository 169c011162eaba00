"""Router of the street governance dashboard (街道接诉即办治理看板): page config, database, navigation."""

from __future__ import annotations

import streamlit as st

from data_access.engine import is_demo_url, resolve_database_url
from metrics.settings import load_settings
from ui import bootstrap, keys
from ui.i18n import LANGUAGES, t

st.set_page_config(page_title="接诉即办治理看板", page_icon="📊", layout="wide")

settings = load_settings()
url = resolve_database_url()
if is_demo_url(url):
    bootstrap.ensure_demo_database(settings)
problem = bootstrap.database_problem(url)
if problem:
    bootstrap.stop_on_database_problem(url, problem)

with st.sidebar:
    st.segmented_control(
        t("app.language"),
        LANGUAGES,
        default="zh",
        format_func=lambda code: t(f"app.language_name.{code}"),
        key=keys.LANGUAGE,
        required=True,
    )

st.session_state["database_url"] = url
pages = [st.Page("pages/overview.py", title=t("page.overview.title"), icon="📊", default=True)]
st.navigation(pages).run()
