"""公开大屏 Public screen: a full-screen rotation of aggregate panels for a TV in a lobby, without sign-in.

`render_public_screen(url, settings, now)` does all the work; it is called by the entry script
`public_app.py` (`streamlit run public_app.py`) and can be routed from the main app (a hidden page).

* Panels: PANEL_TABLE maps each panel to its loader (reads and computes the published figures) and its
  renderer; PANELS is the rotation's order.
* Rotation: one panel at a time (PANELS), the next every `rotate` seconds (`?rotate=15`; a malformed or
  out-of-range value falls back to DEFAULT_ROTATE_SECONDS); `?panel=map` or `?panel=1` holds one panel.
  A fragment (`st.fragment(run_every=...)`) reruns the screen body alone every tick: the panel index lives
  in the session and moves on one step per elapsed rotation; a new session (a kiosk that reconnects, a
  second screen) starts at the panel the clock gives, (epoch seconds // rotate) % len(PANELS).
* Refresh: each tick reads the clock again; the queries are cached per minute (`ui.data.public`), so the
  figures are at most a minute old, and the footer says when they were read.
* Outage: when the database cannot be reached, a panel shows its last good figures with a "数据延迟" mark
  (kept server-side, see `ui.data.public.load_panel`) — never an error page — and the next tick retries.
* Privacy: public scope only, aggregate queries behind `public_guard.check_public_strict`, and every figure
  suppressed below settings.public_min_count (`metrics.suppression`) before it is drawn.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import streamlit as st

from data_access.scope import Scope
from domain import periods
from domain.settings import Settings
from metrics import public_figures, suppression
from ui import data, keys
from ui.components import public_map
from ui.components import public_panels as panels
from ui.data import public as data_public
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, t

PANELS = ("headline", "map", "trend", "categories", "resolved")
DEFAULT_ROTATE_SECONDS = 15
MIN_ROTATE_SECONDS = 3
MAX_ROTATE_SECONDS = 600
REFRESH_SECONDS = 60  # the fragment ticks at least this often, so the figures are at most a minute old
RECENT_DAYS = 30  # the map and the categories cover the last 30 days (today included)

# Session keys of the screen (kept here, beside the only code that reads them).
PANEL_INDEX = "public_panel_index"
PANEL_SINCE = "public_panel_since"  # epoch seconds when the current panel came up


@dataclass(frozen=True)
class ScreenOptions:
    rotate: int = DEFAULT_ROTATE_SECONDS
    panel: int | None = None  # a fixed panel, or None to rotate
    lang: str = DEFAULT_LANGUAGE

    @property
    def tick(self) -> int:
        """How often the fragment reruns: every rotation, and at least once a minute (the data refresh)."""
        return min(self.rotate, REFRESH_SECONDS)


def parse_options(params: Mapping[str, Sequence[str]]) -> ScreenOptions:
    """The screen's options from the URL's query parameters; anything malformed keeps the default."""

    def last(name: str) -> str | None:
        values = params.get(name) or []
        return str(values[-1]).strip() if values else None

    rotate = DEFAULT_ROTATE_SECONDS
    raw = last("rotate")
    if raw is not None and raw.isdigit() and MIN_ROTATE_SECONDS <= int(raw) <= MAX_ROTATE_SECONDS:
        rotate = int(raw)
    panel = None
    raw = last("panel")
    if raw is not None:
        if raw in PANELS:
            panel = PANELS.index(raw)
        elif raw.isdigit() and int(raw) < len(PANELS):
            panel = int(raw)
    lang = last("lang")
    return ScreenOptions(rotate=rotate, panel=panel, lang=lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def next_panel(index: int | None, since: float | None, clock: float, rotate: int, tick: int, n: int = len(PANELS)) -> tuple[int, float]:
    """(panel index, when it came up) after a tick at `clock` (epoch seconds).

    A session without a panel yet starts where the clock says, so every screen shows the same panel; then
    it moves one step once a rotation has (nearly) elapsed — half a tick early, so a timer that fires a
    little early or late neither repeats nor skips a panel."""
    if index is None or since is None:
        return int(clock // rotate) % n, clock
    if clock - since >= rotate - tick / 2:
        return (index + 1) % n, clock
    return index, since


def _query_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params.keys()}


def _current_panel(options: ScreenOptions) -> str:
    if options.panel is not None:
        return PANELS[options.panel]
    index, since = next_panel(
        st.session_state.get(PANEL_INDEX), st.session_state.get(PANEL_SINCE), time.time(), options.rotate, options.tick
    )
    st.session_state[PANEL_INDEX], st.session_state[PANEL_SINCE] = index, since
    return PANELS[index]


# ------------------------------------------------------------------------------------------- panels


def published_as_of(url: str, scope: Scope, settings: Settings, now: dt.datetime) -> dt.datetime:
    """The instant the running totals are read at: `now`, or the end of yesterday while today's count is
    withheld (`metrics.suppression`, rule 2)."""
    today = data_public.today_counts(url, scope, now)
    return suppression.published_as_of(now, today["tickets"], settings.public_min_count)


@dataclass(frozen=True)
class PanelRead:
    """What a panel's figures are read with: the database, the public scope, the settings and the tick's time.

    Today's count is read at `now`; every other figure at `published_as_of` (windows that end with the day
    of it), and the per-community closures over the 7 whole days up to the end of yesterday — the rules of
    `metrics.suppression` that keep a withheld figure from being recovered by differencing."""

    url: str
    scope: Scope
    settings: Settings
    now: dt.datetime

    @property
    def min_count(self) -> int:
        return self.settings.public_min_count

    def as_of(self) -> dt.datetime:
        return published_as_of(self.url, self.scope, self.settings, self.now)

    def recent(self) -> tuple[dt.date, dt.date]:
        """The last RECENT_DAYS days up to the day of `as_of`."""
        until = self.as_of().date()
        return until - dt.timedelta(days=RECENT_DAYS - 1), until


def load_headline(read: PanelRead) -> panels.HeadlineFigures:
    at = read.as_of()
    month_since = periods.month_start(read.now.date())
    counts = data_public.headline_counts(read.url, read.scope, read.now, at)
    values = public_figures.headline(counts, read.settings)
    if values["month"]["tickets"] is None:
        # The month is too young to show (right after midnight on the 1st): the whole previous month instead,
        # labelled as such — complete, so it never moves.
        last_day = month_since - dt.timedelta(days=1)
        first_day = periods.month_start(last_day)
        last = data_public.period_counts(read.url, read.scope, first_day, last_day, at)
        values["month"] = public_figures.headline({"month": last}, read.settings)["month"]
        return panels.HeadlineFigures(values, read.now.date(), first_day, last_day, previous_month=True)
    return panels.HeadlineFigures(values, read.now.date(), month_since, max(at.date(), month_since))


def load_map(read: PanelRead) -> public_map.MapFigures:
    window = read.recent()
    geometry = data_public.geometry(read.url, read.scope)
    counts = data_public.cell_counts(read.url, read.scope, *window, read.now)
    return public_map.MapFigures(geometry, public_figures.cell_volumes(geometry.cells, counts, read.min_count), *window)


def load_trend(read: PanelRead) -> panels.TrendFigures:
    at = read.as_of()
    until = at.date()
    since = public_figures.trend_weeks(until)[0]
    daily = data_public.daily_counts(read.url, read.scope, since, until, at)
    return panels.TrendFigures(public_figures.weekly_trend(daily, until, read.settings), since, until)


def load_categories(read: PanelRead) -> panels.CategoryFigures:
    window = read.recent()
    top, left_out = public_figures.top_categories(data_public.category_counts(read.url, read.scope, *window, read.now), read.min_count)
    return panels.CategoryFigures(top, left_out, *window)


def load_resolved(read: PanelRead) -> panels.ResolvedFigures:
    until = suppression.end_of_yesterday(read.now)
    closed = public_figures.recently_closed(data_public.recently_closed(read.url, read.scope, until), read.min_count)
    return panels.ResolvedFigures(closed, until.date() - dt.timedelta(days=6), until.date())


def render_headline(figures: panels.HeadlineFigures, min_count: int) -> None:
    panels.render_panel_title("headline")
    panels.render_headline(figures, min_count)


@dataclass(frozen=True)
class Panel:
    """One panel of the rotation: how its published figures are read, and how they are drawn."""

    load: Callable[[PanelRead], Any]
    render: Callable[[Any, int], None]  # (figures, settings.public_min_count)


# Every panel, in the order of the rotation (PANELS).
PANEL_TABLE: Mapping[str, Panel] = MappingProxyType({
    "headline": Panel(load_headline, render_headline),
    "map": Panel(load_map, public_map.render_map),
    "trend": Panel(load_trend, panels.render_trend),
    "categories": Panel(load_categories, panels.render_categories),
    "resolved": Panel(load_resolved, panels.render_resolved),
})


def _district(url: str, scope: Scope, now: dt.datetime) -> str | None:
    loaded = data_public.load_panel(url, "district", lambda: "、".join(data_public.district_names(url, scope)), now)
    return loaded.figures if loaded is not None and loaded.figures else None


# ------------------------------------------------------------------------------------------- screen


def render_public_screen(url: str, settings: Settings, now: dt.datetime) -> None:
    """Draw the public screen: the look, then a fragment that rotates the panels and refreshes the data.

    `now` is the time of this run; every tick of the fragment reads the clock again (`data.current_time`,
    which keeps a pinned clock pinned)."""
    options = parse_options(_query_params())
    if options.lang != current_language():
        # Only when it differs: inside the main app the filter bar's language widget may own this key.
        st.session_state[keys.LANGUAGE] = options.lang
    panels.inject_screen_style()
    scope = Scope.public_screen()
    first_draw = {"now": now}  # the full run draws at `now`; the fragment's own reruns read the clock

    @st.fragment(run_every=options.tick)
    def screen() -> None:
        tick_now = first_draw.pop("now", None) or data.current_time(settings)
        panel = _current_panel(options)
        panels.render_header(_district(url, scope, tick_now), tick_now)
        shown = PANEL_TABLE[panel]
        loaded = data_public.load_panel(url, panel, partial(shown.load, PanelRead(url, scope, settings, tick_now)), tick_now)
        if loaded is None:
            panels.render_panel_title(panel)
            panels.render_message(t("public.unavailable"))
        else:
            shown.render(loaded.figures, settings.public_min_count)
        panels.render_footer(
            PANELS, panel, loaded.read_at if loaded else None, loaded.delayed if loaded else True, settings.public_min_count
        )

    screen()
