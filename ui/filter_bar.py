"""The sidebar filter bar (widgets) and the page context every page reads.

The entry script calls `render_filter_bar` on every run (so the filters persist across pages) and stores
the resulting `PageContext`; pages call `page_context()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from data_access.scope import Scope, TicketFilter
from domain import periods, vocab
from domain.settings import Settings
from ui import data, keys
from ui.filters import CUSTOM, PERIOD_CHOICES, Catalogue, FilterState, parse_query_params, to_query_params
from ui.i18n import LANGUAGES, literal, t, translator

# The "all units" choice of the street/community boxes (a selectbox's None means "nothing chosen").
ALL = ""


@dataclass(frozen=True)
class PageContext:
    """Everything a page needs to fetch its data: where, who, when and what was chosen."""

    url: str
    scope: Scope
    settings: Settings
    now: dt.datetime
    state: FilterState
    since: dt.date
    until: dt.date
    flt: TicketFilter
    previous_flt: TicketFilter
    streets: pd.DataFrame
    communities: pd.DataFrame
    comparison: str = "rolling"  # how the previous window was chosen: periods.comparison_period

    @property
    def previous_window(self) -> tuple[dt.date, dt.date]:
        return self.previous_flt.since, self.previous_flt.until  # type: ignore[return-value]

    def comparison_text(self) -> str:
        """What the changes are against, in words: "the same part of the previous month, 11-01 to 11-10"."""
        prev_since, prev_until = self.previous_window
        unit = periods.CALENDAR_UNITS.get(self.state.period or "", "")
        return t(f"period.compare.{self.comparison}", unit=t(f"period.unit.{unit}") if unit else "",
                 prev_since=prev_since, prev_until=prev_until, days=periods.period_days(prev_since, prev_until))

    def without_period(self) -> TicketFilter:
        """The same choices over all time (for lists such as the overdue list, which are about now)."""
        return replace(self.flt, since=None, until=None)

    def street_name(self, code: str | None) -> str | None:
        hit = self.streets[self.streets["code"] == code]
        return str(hit.iloc[0]["name"]) if len(hit) else None

    def community_name(self, code: str | None) -> str | None:
        hit = self.communities[self.communities["code"] == code]
        return str(hit.iloc[0]["name"]) if len(hit) else None


def page_context() -> PageContext:
    return st.session_state[keys.CONTEXT]


def _catalogue(streets: pd.DataFrame, communities: pd.DataFrame, categories: list[str]) -> Catalogue:
    street_code = dict(zip(streets["id"], streets["code"]))
    return Catalogue(
        streets=list(streets["code"]),
        communities={c: street_code[s] for c, s in zip(communities["code"], communities["street_id"]) if s in street_code},
        categories=categories,
    )


def _query_params_as_lists() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params.keys()}


def _seed_from_url(catalogue: Catalogue, today: dt.date) -> None:
    """Once per session: put what the URL asks for into the widgets' state, and remember what was ignored."""
    params = _query_params_as_lists()
    state, problems = parse_query_params(params, catalogue, today)
    lang = (params.get("lang") or [None])[-1]
    if lang is not None and lang not in LANGUAGES:
        problems.add("lang", lang)
    elif lang is not None:
        st.session_state[keys.LANGUAGE] = lang
    # A scope of one street (a street secretary) starts on that street, not on "all streets".
    st.session_state[keys.F_STREET] = state.street or (catalogue.streets[0] if len(catalogue.streets) == 1 else ALL)
    st.session_state[keys.F_COMMUNITY] = state.community or ALL
    st.session_state[keys.F_PERIOD] = state.period
    if state.period == CUSTOM:
        st.session_state[keys.F_RANGE] = (state.since, state.until)
    st.session_state[keys.F_CATEGORIES] = list(state.categories)
    st.session_state[keys.F_CHANNELS] = list(state.channels)
    st.session_state[keys.URL_PROBLEMS] = problems.ignored
    st.session_state[keys.FILTERS_SEEDED] = True


# Widgets whose shown labels are translated. After a language switch the browser gets the same widget
# with new labels and falls back to its default choice at the next rerun (a page click reset 上月 to 本周);
# writing each value back through the session makes Streamlit send it along with the new labels.
TRANSLATED_WIDGETS = (keys.F_STREET, keys.F_COMMUNITY, keys.F_PERIOD, keys.F_RANGE, keys.F_CATEGORIES, keys.F_CHANNELS)


# The pages' own choices (whatever page or community prefix they carry): by the end of their key.
_PAGE_CHOICE_SUFFIXES = (
    keys.OVERDUE_DUE, keys.OVERDUE_URGENCY, keys.OVERDUE_ESCALATED, keys.OVERDUE_DEPARTMENT, keys.FUNNEL_GROUP,
    keys.TREND_FREQ, keys.TREND_GROUP, keys.TREND_SHOWN,
)
_PAGE_CHOICES = (keys.GRID_MAP_MEASURE, keys.GRID_MAP_OVERDUE_MARKS, keys.COMMUNITY_PICK)


def _keep_choices_on_language_switch() -> None:
    for key in list(st.session_state.keys()):
        if key in TRANSLATED_WIDGETS or key in _PAGE_CHOICES or (isinstance(key, str) and key.endswith(_PAGE_CHOICE_SUFFIXES)):
            st.session_state[key] = st.session_state[key]


def _reset_community() -> None:
    st.session_state[keys.F_COMMUNITY] = ALL


def _unit_label(frame: pd.DataFrame, all_key: str):  # type: ignore[no-untyped-def]
    names = dict(zip(frame["code"], frame["name"]))
    everything = t(all_key)
    return lambda code: everything if code == ALL else names.get(code, code)


def render_filter_bar(url: str, scope: Scope, settings: Settings, now: dt.datetime) -> PageContext:
    """Draw the sidebar filters, mirror them in the URL, and return the page context."""
    streets = data.streets(url, scope)
    communities = data.communities(url, scope)
    categories = data.categories(url, scope)
    catalogue = _catalogue(streets, communities, categories)
    today = now.date()
    if not st.session_state.get(keys.FILTERS_SEEDED):
        _seed_from_url(catalogue, today)

    tr = translator()
    with st.sidebar:
        st.segmented_control(
            t("app.language"), LANGUAGES, format_func=lambda c: tr(f"app.language_name.{c}"),
            key=keys.LANGUAGE, required=True, default=st.session_state.get(keys.LANGUAGE, "zh"),
            on_change=_keep_choices_on_language_switch,
        )
        st.subheader(t("filter.heading"))
        # A scope of one street (a street secretary) has nothing else to choose: no "all streets".
        street_options = list(catalogue.streets) if len(catalogue.streets) == 1 else [ALL, *catalogue.streets]
        if st.session_state.get(keys.F_STREET) not in street_options:
            st.session_state[keys.F_STREET] = street_options[0]
        street = st.selectbox(
            t("filter.street"), street_options, key=keys.F_STREET,
            format_func=_unit_label(streets, "filter.all_streets"), on_change=_reset_community,
        )
        in_street = communities if street == ALL else communities[communities["street_id"].isin(streets.loc[streets["code"] == street, "id"])]
        community_options = [ALL, *in_street["code"]]
        if st.session_state.get(keys.F_COMMUNITY) not in community_options:
            st.session_state[keys.F_COMMUNITY] = ALL
        community = st.selectbox(
            t("filter.community"), community_options, key=keys.F_COMMUNITY,
            format_func=_unit_label(in_street, "filter.all_communities"),
        )
        period = st.selectbox(
            t("filter.period"), PERIOD_CHOICES, key=keys.F_PERIOD, format_func=lambda p: tr(f"period.{p}")
        )
        since = until = None
        if period == CUSTOM:
            default_range = st.session_state.get(keys.F_RANGE) or periods.preset_period("this_month", today)
            st.session_state[keys.F_RANGE] = default_range
            chosen = st.date_input(t("filter.range"), key=keys.F_RANGE, format="YYYY-MM-DD")
            if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
                since, until = chosen
            else:  # the second date is not picked yet: keep the first day alone
                since = until = chosen[0] if isinstance(chosen, (tuple, list)) and chosen else today
        chosen_categories = st.multiselect(
            t("filter.category"), catalogue.categories, key=keys.F_CATEGORIES, placeholder=t("filter.all_categories")
        )
        chosen_channels = st.multiselect(
            t("filter.channel"), list(vocab.CHANNELS), key=keys.F_CHANNELS,
            format_func=lambda c: tr(f"vocab.channel.{c}"), placeholder=t("filter.all_channels"),
        )
        for name, value in st.session_state.get(keys.URL_PROBLEMS) or []:
            st.warning(t("filter.url_ignored", name=literal(name), value=literal(value)), icon=":material/warning:")

    state = FilterState(
        street=street or None, community=community or None, period=period, since=since, until=until,
        categories=tuple(chosen_categories), channels=tuple(chosen_channels),
    )
    st.query_params.from_dict({**to_query_params(state), **({"lang": st.session_state[keys.LANGUAGE]} if st.session_state.get(keys.LANGUAGE) != "zh" else {})})
    return build_context(url, scope, settings, now, state, streets, communities)


def build_context(
    url: str, scope: Scope, settings: Settings, now: dt.datetime, state: FilterState,
    streets: pd.DataFrame, communities: pd.DataFrame,
) -> PageContext:
    """The page context of a filter state: codes turned into ids, the window and the previous window."""
    since, until = state.window(now.date())
    street_ids = tuple(int(i) for i in streets.loc[streets["code"] == state.street, "id"]) if state.street else None
    community_ids = (
        tuple(int(i) for i in communities.loc[communities["code"] == state.community, "id"]) if state.community else None
    )
    flt = TicketFilter(
        since=since, until=until, street_ids=street_ids, community_ids=community_ids,
        categories=state.categories or None, channels=state.channels or None,
    )
    (prev_since, prev_until), comparison = periods.comparison_period(None if state.period == CUSTOM else state.period, since, until)
    return PageContext(
        url=url, scope=scope, settings=settings, now=now, state=state, since=since, until=until, flt=flt,
        previous_flt=replace(flt, since=prev_since, until=prev_until), streets=streets, communities=communities,
        comparison=comparison,
    )
