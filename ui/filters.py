"""The shared filter bar: district/street/community, period, category, channel — kept in the session and
mirrored in the URL so a filtered view is a link someone can send.

Parsing and writing the URL are pure functions (`parse_query_params`, `to_query_params`) so they can be
tested without Streamlit; a malformed or stale parameter falls back to its default and is reported, never
raised. The sidebar widgets (`render_filter_bar`) are seeded from the URL once per session, and write the
URL back after every change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from domain import periods, vocab

CUSTOM = "custom"
PERIOD_CHOICES = (*periods.PRESETS, CUSTOM)
DEFAULT_PRESET = "last_30_days"
# The longest custom range a URL may ask for; beyond it the parameter is treated as malformed.
MAX_CUSTOM_DAYS = 3 * 366

# URL parameter names (also the widget keys' suffixes in ui.keys)
P_STREET, P_COMMUNITY, P_PERIOD, P_SINCE, P_UNTIL, P_CATEGORY, P_CHANNEL, P_LANG = (
    "street",
    "community",
    "period",
    "since",
    "until",
    "category",
    "channel",
    "lang",
)


@dataclass(frozen=True)
class FilterState:
    """What the viewer chose. Units by code; `None`/empty means "all"."""

    street: str | None = None
    community: str | None = None
    period: str = DEFAULT_PRESET
    since: dt.date | None = None  # only for the custom period
    until: dt.date | None = None
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def window(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The inclusive received-date window, clipped to today (a period "so far")."""
        if self.period == CUSTOM and self.since and self.until:
            return self.since, self.until
        since, until = periods.preset_period(self.period, today)
        return since, min(until, today)


@dataclass(frozen=True)
class Catalogue:
    """What may be chosen: street codes, community code → street code, categories."""

    streets: Sequence[str]
    communities: Mapping[str, str]
    categories: Sequence[str]
    channels: Sequence[str] = vocab.CHANNELS


@dataclass
class Problems:
    """URL parameters that were ignored, as (parameter, value) pairs."""

    ignored: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        self.ignored.append((name, value))


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    return values[-1] if values else None


def parse_query_params(
    params: Mapping[str, Sequence[str]], catalogue: Catalogue, today: dt.date
) -> tuple[FilterState, Problems]:
    """The filter state a URL asks for; every invalid or stale value falls back to its default."""
    problems = Problems()
    state = FilterState()

    street = _one(params, P_STREET)
    if street is not None:
        if street in catalogue.streets:
            state = replace(state, street=street)
        else:
            problems.add(P_STREET, street)

    community = _one(params, P_COMMUNITY)
    if community is not None:
        parent = catalogue.communities.get(community)
        if parent is not None and (state.street is None or parent == state.street):
            state = replace(state, community=community, street=parent)
        else:
            problems.add(P_COMMUNITY, community)

    period = _one(params, P_PERIOD)
    since_text, until_text = _one(params, P_SINCE), _one(params, P_UNTIL)
    if period is not None and period not in PERIOD_CHOICES:
        problems.add(P_PERIOD, period)
    elif period == CUSTOM or (period is None and (since_text or until_text)):
        since, until = _parse_date(since_text), _parse_date(until_text)
        if since is None or until is None or since > until or (until - since).days >= MAX_CUSTOM_DAYS:
            problems.add(P_PERIOD, f"{since_text or ''}..{until_text or ''}")
        else:
            state = replace(state, period=CUSTOM, since=since, until=until)
    elif period is not None:
        state = replace(state, period=period)

    categories = []
    for value in params.get(P_CATEGORY) or []:
        (categories.append(value) if value in catalogue.categories else problems.add(P_CATEGORY, value))
    channels = []
    for value in params.get(P_CHANNEL) or []:
        (channels.append(value) if value in catalogue.channels else problems.add(P_CHANNEL, value))
    state = replace(state, categories=tuple(dict.fromkeys(categories)), channels=tuple(dict.fromkeys(channels)))
    return state, problems


def _parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def to_query_params(state: FilterState) -> dict[str, str | list[str]]:
    """The URL parameters of a state; defaults are left out so links stay short."""
    out: dict[str, str | list[str]] = {}
    if state.street:
        out[P_STREET] = state.street
    if state.community:
        out[P_COMMUNITY] = state.community
    if state.period == CUSTOM and state.since and state.until:
        out[P_PERIOD] = CUSTOM
        out[P_SINCE] = state.since.isoformat()
        out[P_UNTIL] = state.until.isoformat()
    elif state.period != DEFAULT_PRESET:
        out[P_PERIOD] = state.period
    if state.categories:
        out[P_CATEGORY] = list(state.categories)
    if state.channels:
        out[P_CHANNEL] = list(state.channels)
    return out
