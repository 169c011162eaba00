"""Every tunable decision of the dashboard, with its source.

[V] = confirmed in public sources, [A] = a reasonable default no public source fixed (see
../shared/DOMAIN.md). A deployment overrides any value in a TOML file named by the environment variable
`DASHBOARD_SETTINGS` (or passed to `load_settings`), for example::

    resolution_partial_weight = 0.0
    min_ranked_tickets = 50
    calendar = "workday"

    [composite_weights]
    response = 0.2
    resolution = 0.4
    satisfaction = 0.4

    [deadline_hours.general]
    resolve = 120

Unknown keys are an error, so a typo does not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from domain import vocab

SETTINGS_ENV = "DASHBOARD_SETTINGS"


@dataclass(frozen=True)
class DeadlineClass:
    """How long one urgency class has: to contact the citizen, and to resolve/feed back."""

    contact: float  # hours
    resolve: float  # hours


def _default_deadlines() -> Mapping[str, DeadlineClass]:
    # Resolve limits [V]: Beijing 12345 standard draft (2 h / 24 h / 7 d / 15 d).
    # Contact limits [A]: no public source; chosen so that "及时联系诉求人" is checkable.
    return MappingProxyType(
        {
            vocab.URGENCY_EMERGENCY: DeadlineClass(contact=0.5, resolve=2),
            vocab.URGENCY_UTILITY: DeadlineClass(contact=2, resolve=24),
            vocab.URGENCY_GENERAL: DeadlineClass(contact=24, resolve=7 * 24),
            vocab.URGENCY_COMPLEX: DeadlineClass(contact=24, resolve=15 * 24),
        }
    )


def _default_composite_weights() -> Mapping[str, float]:
    # [A] 10/45/45; other places use 20/40/40 or 30/35/35. Official scores add adjustments that are not
    # public, so the composite is always labelled "estimated" (测算).
    return MappingProxyType({"response": 0.10, "resolution": 0.45, "satisfaction": 0.45})


@dataclass(frozen=True)
class Settings:
    # 办理时限 per urgency class, in hours.
    deadline_hours: Mapping[str, DeadlineClass] = field(default_factory=_default_deadlines)
    # "natural" (natural days, the default [A]) or "workday": limits of more than 24 h that are whole days
    # count Chinese working days, skipping public holidays and counting adjusted working weekends [A].
    calendar: str = "natural"
    # 解决率 = (已解决 + α·部分解决) / answered callbacks; α [A].
    resolution_partial_weight: float = 0.5
    # 满意率 = (满意 + β·基本满意) / answered callbacks; β = 1 follows the national 好差评 rule that only
    # 不满意 is a bad rating [V].
    satisfaction_basic_weight: float = 1.0
    composite_weights: Mapping[str, float] = field(default_factory=_default_composite_weights)
    # Units with fewer tickets than this are shown but not ranked [A].
    min_ranked_tickets: int = 30
    # A street secretary sees where their street stands among the district's streets (its rank and how many
    # were ranked — never another street's name or figures); false hides it, for districts that prefer [A].
    secretary_sees_district_rank: bool = True
    # 解决率 and 满意率 resting on fewer answered callbacks than this are shown as 样本不足, not as a rate
    # (one callback makes 100 % or 0 %) — on the cards and as points of the trends [A].
    min_rate_callbacks: int = 10
    # The public screen suppresses any figure based on fewer than this many tickets [A].
    public_min_count: int = 5
    # "Due soon" on the overdue list: open and due within this many hours [A].
    due_soon_hours: float = 24
    # Targets drawn as lines on trend charts [A].
    target_resolution_rate: float = 0.90
    target_satisfaction_rate: float = 0.92
    target_response_rate: float = 0.99
    # Hot spot: >= this many tickets of one category at one place within the window [A].
    hotspot_min_tickets: int = 3
    hotspot_window_days: int = 30
    # Local wall-clock zone of stored timestamps (UTC+8, no DST) [V for China].
    timezone: str = "Asia/Shanghai"
    # Sign-in (domain/auth_policy.py, ui/auth.py). 等保 2.0 (GB/T 22239-2019, 身份鉴别) asks for limited
    # failed sign-ins and sessions that end when idle, without numbers; these are [A]. After
    # `max_failed_sign_ins` failures within `lockout_minutes`, the username is locked for `lockout_minutes`.
    max_failed_sign_ins: int = 5
    lockout_minutes: int = 15
    # A session ends after this long without a page run, and in any case this long after signing in [A].
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # The identity provider's claim matched against an account's username or email (OpenID Connect) [A].
    oidc_username_claim: str = "email"

    def deadline(self, urgency: str) -> DeadlineClass:
        """The deadline class of an urgency code; unknown codes get the general class."""
        return self.deadline_hours.get(urgency, self.deadline_hours[vocab.URGENCY_GENERAL])


DEFAULT_SETTINGS = Settings()

_FIELDS = {f.name for f in dataclasses.fields(Settings)}


def settings_from_mapping(overrides: Mapping[str, Any]) -> Settings:
    """Defaults with `overrides` applied; nested tables merge into the default tables."""
    unknown = set(overrides) - _FIELDS
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if key == "deadline_hours":
            merged = dict(DEFAULT_SETTINGS.deadline_hours)
            for urgency, limits in value.items():
                if urgency not in vocab.URGENCIES:
                    raise ValueError(f"unknown urgency class in deadline_hours: {urgency}")
                base = merged[urgency]
                merged[urgency] = DeadlineClass(
                    contact=float(limits.get("contact", base.contact)),
                    resolve=float(limits.get("resolve", base.resolve)),
                )
            values[key] = MappingProxyType(merged)
        elif key == "composite_weights":
            merged_w = dict(DEFAULT_SETTINGS.composite_weights)
            unknown_w = set(value) - set(merged_w)
            if unknown_w:
                raise ValueError(f"unknown composite weight(s): {', '.join(sorted(unknown_w))}")
            merged_w.update({k: float(v) for k, v in value.items()})
            values[key] = MappingProxyType(merged_w)
        else:
            values[key] = value
    settings = dataclasses.replace(DEFAULT_SETTINGS, **values)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """Refuse settings that would make a rate leave [0, 1] or the composite leave [0, 100]."""
    if settings.calendar not in ("natural", "workday"):
        raise ValueError(f"calendar must be 'natural' or 'workday', not {settings.calendar!r}")
    for key in ("resolution_partial_weight", "satisfaction_basic_weight"):
        if not 0 <= getattr(settings, key) <= 1:
            raise ValueError(f"{key} must be between 0 and 1")
    weights = settings.composite_weights
    if any(w < 0 for w in weights.values()) or abs(sum(weights.values()) - 1) > 1e-9:
        raise ValueError("composite_weights must be non-negative and add up to 1")
    for key in ("min_ranked_tickets", "public_min_count", "min_rate_callbacks"):
        if getattr(settings, key) < 1:
            raise ValueError(f"{key} must be at least 1")
    for key in ("max_failed_sign_ins", "lockout_minutes", "session_idle_minutes", "session_max_hours"):
        if getattr(settings, key) < 1:
            raise ValueError(f"{key} must be at least 1")
    if not str(settings.oidc_username_claim).strip():
        raise ValueError("oidc_username_claim must name a claim")
    for urgency, limits in settings.deadline_hours.items():
        if limits.contact <= 0 or limits.resolve <= 0:
            raise ValueError(f"deadline_hours.{urgency}: limits must be positive")


def load_settings(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The deployment's settings: `path`, else the file named by $DASHBOARD_SETTINGS, else the defaults."""
    environ = os.environ if environ is None else environ
    chosen = path or environ.get(SETTINGS_ENV)
    if not chosen:
        return DEFAULT_SETTINGS
    with Path(chosen).open("rb") as fh:
        return settings_from_mapping(tomllib.load(fh))
