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
