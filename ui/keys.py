"""Every widget and session-state key in one place (STYLE.md habit 7)."""

LANGUAGE = "lang"
PERIOD_PRESET = "period"  # the overview's own preset before the shared filter bar existed (kept for tests)

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

# 超期督办 Overdue view (views/overdue.py, ui/overdue_view.py). Its widgets are keyed f"{prefix}_{suffix}" so
# the same list can appear on another page (the community page) under its own prefix.
OVERDUE_PAGE = "overdue"  # key prefix of the overdue page's own widgets
OVERDUE_DUE = "due"  # suffix: overdue only / due soon only / both
OVERDUE_URGENCY = "urgency"
OVERDUE_ESCALATED = "escalated"
OVERDUE_DEPARTMENT = "department"
OVERDUE_CSV = "csv"
OVERDUE_XLSX = "xlsx"

# Funnel and satisfaction views (views/funnel.py, views/satisfaction.py, ui/funnel_view.py, ui/trend_view.py).
# Widgets are keyed f"{prefix}_{suffix}" (as the overdue view's) so the community page can hold the same
# funnel and trend under its own prefix.
FUNNEL_PAGE = "funnel"  # key prefix of views/funnel.py
SATISFACTION_PAGE = "satisfaction"  # key prefix of views/satisfaction.py
FUNNEL_GROUP = "group"  # suffix, segmented control: the funnel overall, or by street / community / category
TREND_FREQ = "freq"  # suffix, segmented control: weekly / monthly trend
TREND_GROUP = "trend_group"  # suffix, segmented control: trend overall, or per street / community / category
TREND_SHOWN = "trend_shown"  # suffix, multiselect: which streets / communities / categories the trend draws

# 网格地图 Grid map (views/grid_map.py, ui/map_layers.py). render_cell_map takes its chart key as an argument,
# so the community page can draw the same map under its own key.
GRID_MAP_MEASURE = "grid_map_measure"  # segmented control: which measure colours the cells
GRID_MAP_OVERDUE_MARKS = "grid_map_overdue_marks"  # toggle: red badges on cells with overdue tickets
GRID_MAP_CHART = "grid_map_chart"  # the pydeck chart's selection (prefix; the shown units are appended)

# Community page (views/community.py)
COMMUNITY_PICK = "community_pick"
