"""Router of the street governance dashboard (街道接诉即办治理看板).

Page config, the database check, who the viewer is (sign-in, ui/auth.py), the shared filter bar over the
viewer's scope, `st.navigation` (the 账号管理 page for administrators only) and, under every page, when its
data was read. Everything else lives in views/ (one file per page) and ui/ (shell, data seams, components).
The folder is not called pages/: Streamlit would then serve a direct link such as /overdue from that file
alone, without this router, to the first visitor after a restart (regression: KeyError 'page_context').
"""

from __future__ import annotations

import streamlit as st

from data_access.engine import is_demo_url, resolve_database_url
from domain.settings import load_settings
from ui import auth, bootstrap, data, keys
from ui.filter_bar import render_filter_bar
from ui.i18n import t

# The public screen (公开大屏, views/public_screen.py) is routed here at /public, hidden and without sign-in;
# it is imported only when that route is asked for. It reads public-scope aggregates only.
PUBLIC_URL_PATH = "public"

st.set_page_config(page_title="接诉即办治理看板", page_icon="📊", layout="wide")

settings = load_settings()
url = resolve_database_url()
if is_demo_url(url):
    bootstrap.ensure_demo_database(settings)
problem = bootstrap.database_problem(url)
if keys.FILTERS_SEEDED not in st.session_state:
    auth.language_from_url()  # before the page titles below (the filter bar reads the URL after them)


def public_screen() -> None:
    from views.public_screen import render_public_screen

    render_public_screen(url, settings, data.current_time(settings))


pages = [
    st.Page("views/overview.py", title=t("page.overview.title"), icon=":material/dashboard:", default=True),
    st.Page("views/grid_map.py", title=t("page.grid_map.title"), icon=":material/map:"),
    st.Page("views/overdue.py", title=t("page.overdue.title"), icon=":material/alarm:"),
    st.Page("views/funnel.py", title=t("page.funnel.title"), icon=":material/filter_alt:"),
    st.Page("views/satisfaction.py", title=t("page.satisfaction.title"), icon=":material/sentiment_satisfied:"),
    st.Page("views/community.py", title=t("page.community.title"), icon=":material/home_work:"),
]
accounts_page = st.Page("views/accounts.py", title=t("page.accounts.title"), icon=":material/manage_accounts:")
quality_page = st.Page("views/data_quality.py", title=t("page.data_quality.title"), icon=":material/fact_check:")
public_pages = [st.Page(public_screen, title=t("auth.public_route_title"), url_path=PUBLIC_URL_PATH, visibility="hidden")]
viewer = None if problem else auth.signed_in_viewer(url, settings)
if viewer is None:
    # Every page is known (hidden), so a link to /overdue?street=… still opens there after signing in.
    page = st.navigation([*pages, quality_page, accounts_page, *public_pages], position="hidden")
else:
    page = st.navigation([
        *pages,
        *([quality_page] if viewer.permissions.view_data_quality else []),
        *([accounts_page] if viewer.permissions.manage_accounts else []),
        *public_pages,
    ])

if page.url_path == PUBLIC_URL_PATH:
    page.run()  # the public screen explains an outage itself, with its last good figures and no details
elif problem:
    bootstrap.stop_on_database_problem(url, problem, details=auth.last_known_role() == "admin")
elif viewer is None:
    auth.render_sign_in(url, settings)
else:
    now = data.current_time(settings)
    ctx = render_filter_bar(url, viewer.scope, settings, now)
    st.session_state[keys.CONTEXT] = ctx
    auth.render_account_box(url, settings, viewer, ctx.street_name(ctx.streets["code"].iloc[0]) if len(ctx.streets) == 1 else None)
    if data.received_range(url, viewer.scope)[0] is None:
        # Nothing loaded in scope: say so above the page (whose empty figures could read as good news), and
        # tell an administrator how to load data.
        st.info(t("app.no_data_admin" if viewer.permissions.manage_accounts else "app.no_data"), icon=":material/database:")
    page.run()
    # Every page's last line (a page that stops early, st.stop(), does not get it).
    st.caption(t("app.data_read_at", at=ctx.now.strftime("%Y-%m-%d %H:%M")))
