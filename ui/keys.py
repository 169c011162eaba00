"""Every widget and session-state key in one place (STYLE.md habit 7)."""

LANGUAGE = "lang"

# The shared filter bar (ui/filter_bar.py)
F_STREET = "f_street"
F_COMMUNITY = "f_community"
F_PERIOD = "f_period"
F_RANGE = "f_range"
F_CATEGORIES = "f_categories"
F_CHANNELS = "f_channels"
FILTERS_SEEDED = "filters_seeded"  # the URL has been read into the widgets (once per session)
URL_PROBLEMS = "url_problems"  # URL parameters that were ignored, shown as a notice
CONTEXT = "page_context"  # the PageContext built by the entry script for the page being shown

# Tests (and demos of a past day) pin the clock by putting a datetime here before the first run.
NOW_OVERRIDE = "now_override"

# 超期督办 Overdue view (views/overdue.py, ui/components/overdue_view.py). Its widgets are keyed f"{prefix}_{suffix}" so
# the same list can appear on another page (the community page) under its own prefix.
OVERDUE_PAGE = "overdue"  # key prefix of the overdue page's own widgets
OVERDUE_DUE = "due"  # suffix: overdue only / due soon only / both
OVERDUE_URGENCY = "urgency"
OVERDUE_ESCALATED = "escalated"
OVERDUE_DEPARTMENT = "department"
OVERDUE_CSV = "csv"
OVERDUE_XLSX = "xlsx"

# Funnel and satisfaction views (views/funnel.py, views/satisfaction.py, ui/components/funnel_view.py, ui/components/trend_view.py).
# Widgets are keyed f"{prefix}_{suffix}" (as the overdue view's) so the community page can hold the same
# funnel and trend under its own prefix.
FUNNEL_PAGE = "funnel"  # key prefix of views/funnel.py
SATISFACTION_PAGE = "satisfaction"  # key prefix of views/satisfaction.py
FUNNEL_GROUP = "group"  # suffix, segmented control: the funnel overall, or by street / community / category
TREND_FREQ = "freq"  # suffix, segmented control: weekly / monthly trend
TREND_GROUP = "trend_group"  # suffix, segmented control: trend overall, or per street / community / category
TREND_SHOWN = "trend_shown"  # suffix, multiselect: which streets / communities / categories the trend draws

# 网格地图 Grid map (views/grid_map.py, ui/components/map_layers.py). render_cell_map takes its chart key as an argument,
# so the community page can draw the same map under its own key.
GRID_MAP_MEASURE = "grid_map_measure"  # segmented control: which measure colours the cells
GRID_MAP_OVERDUE_MARKS = "grid_map_overdue_marks"  # toggle: red badges on cells with overdue tickets
GRID_MAP_CHART = "grid_map_chart"  # the pydeck chart's selection (prefix; the shown units are appended)

# Community page (views/community.py)
COMMUNITY_PICK = "community_pick"

# Sign-in and roles (ui/auth.py, views/accounts.py). Only the app writes the AUTH_* keys (no widget has
# them), and the account is re-read from the database on every run: the session holds who signed in, not
# what they may see.
AUTH_ACCOUNT_ID = "auth_account_id"
AUTH_ROLE = "auth_role"  # shown only; the scope comes from the account row
AUTH_METHOD = "auth_method"  # "password" | "oidc"
AUTH_TOKEN_HASH = "auth_token_hash"  # SHA-256 of this tab's session token (the token itself is only in the cookie)
AUTH_STALE_TOKEN = "auth_stale_token"  # hash of the sent cookie's token once found invalid: not tried again
# The session cookie (ui/session_cookie.py): a pending write, whether this tab set one, the component's keys.
AUTH_COOKIE_WRITE = "auth_cookie_write"
AUTH_COOKIE_SET = "auth_cookie_set"
AUTH_COOKIE_READER = "auth_cookie_read"
AUTH_COOKIE_WRITER = "auth_cookie_written"  # prefix; a nonce per write is appended
AUTH_NOTICE = "auth_notice"  # why the sign-in form is shown again (signed_out, expired_idle, …)
AUTH_SESSION_ATTEMPTS = "auth_session_attempts"  # failed sign-ins from this browser session
VIEWER = "viewer"  # the signed-in Viewer (account, scope, permissions) of this run
SIGNIN_FORM = "signin_form"
SIGNIN_USERNAME = "signin_username"
SIGNIN_PASSWORD = "signin_password"
SIGNIN_OIDC = "signin_oidc"
SIGN_OUT = "sign_out"
# Test-only seam: an auth_policy.Account (or a role code) put here before the first run signs it in without the
# form, honoured ONLY when the environment variable DASHBOARD_TEST_MODE=1 (ui/auth.py, TEST_MODE_ENV).
TEST_ACCOUNT = "test_account"
# 账号管理 (views/accounts.py)
ACCOUNTS_ADD_FORM = "accounts_add"
ACCOUNTS_ADD_USERNAME = "accounts_add_username"
ACCOUNTS_ADD_NAME = "accounts_add_name"
ACCOUNTS_ADD_EMAIL = "accounts_add_email"
ACCOUNTS_ADD_ROLE = "accounts_add_role"
ACCOUNTS_ADD_STREET = "accounts_add_street"
ACCOUNTS_ADD_PASSWORD = "accounts_add_password"
ACCOUNTS_PICK = "accounts_pick"
ACCOUNTS_ROLE_FORM = "accounts_role"
ACCOUNTS_ROLE = "accounts_role_role"
ACCOUNTS_STREET = "accounts_role_street"
ACCOUNTS_PASSWORD_FORM = "accounts_password"
ACCOUNTS_NEW_PASSWORD = "accounts_new_password"
ACCOUNTS_TOGGLE_ACTIVE = "accounts_toggle_active"
ACCOUNTS_MESSAGE = "accounts_message"  # the result of the last change, shown after the rerun

# 数据质量 Data quality (views/data_quality.py)
QUALITY_RUN = "quality_run"
