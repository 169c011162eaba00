"""Every widget and session-state key in one place (STYLE.md habit 7)."""

LANGUAGE = "lang"
PERIOD_PRESET = "period"
VIEWER_SCOPE = "viewer_scope"
# Tests (and demos of a past day) pin the clock by putting a datetime here before the first run.
NOW_OVERRIDE = "now_override"
