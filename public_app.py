"""公开大屏 Public screen, as its own app: `streamlit run public_app.py` (no sign-in, no sidebar, no menus).

Made for a TV in a lobby: full screen, dark, large Chinese type, panels rotating every 15 seconds
(`?rotate=N`), data refreshed every minute, aggregates only. Everything is drawn by
`views.public_screen.render_public_screen`, which the main app can route to as well.
"""

from __future__ import annotations

import streamlit as st

from data_access.engine import is_demo_url, resolve_database_url
from domain.settings import load_settings
from ui import bootstrap, data
from views.public_screen import render_public_screen

st.set_page_config(page_title="接诉即办 · 公开信息", page_icon="📊", layout="wide", initial_sidebar_state="collapsed")

settings = load_settings()
url = resolve_database_url()
if is_demo_url(url):
    bootstrap.ensure_demo_database(settings)
render_public_screen(url, settings, data.current_time(settings))
