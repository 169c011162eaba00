"""The registry of every metric the dashboard shows: what it is computed from and how to read it.

The user-facing name and definition text live in `locales/<lang>.toml` under `[metric.<key>]`
(`name`, `definition`); a definition may contain `{placeholders}` that `definition_params(settings)` fills
with the deployment's values (α, β, weights, limits...), so the text on screen always matches the
numbers. `tests/test_metric_definitions.py` fails when a metric lacks text or a placeholder has no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from domain import vocab
from domain.settings import DEFAULT_SETTINGS, Settings
from domain.units import UNIT_COUNT, UNIT_HOURS, UNIT_PER_10K, UNIT_RATE, UNIT_SCORE


@dataclass(frozen=True)
class Metric:
    """One metric: its key, inputs, the settings it depends on, unit and direction.

    `numerator` and `denominator` name counts of the data layer's count contract (`rates.COUNT_COLUMNS`,
    plus `grid_cases`/`grid_closed`, `population`, `median_close_seconds`); the composite's numerator names
    the three rate metrics it weighs. `denominator` is empty for plain counts and durations.
    `higher_is_better` is None for volumes, which are neither good nor bad.
    """

    key: str
    unit: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    higher_is_better: bool | None = True

    @property
    def locale_key(self) -> str:
        """The locale table holding this metric's `name` and `definition` (e.g. "metric.response_rate")."""
        return f"metric.{self.key}"


_REGISTRY = (
    Metric("response_rate", UNIT_RATE, ("contacted_on_time",), ("response_due",), ("deadline_hours",)),
    Metric(
        "resolution_rate",
        UNIT_RATE,
        ("solved", "partly"),
        ("callbacks_answered",),
        ("resolution_partial_weight",),
    ),
    Metric(
        "satisfaction_rate",
        UNIT_RATE,
        ("satisfied", "basic"),
        ("callbacks_answered",),
        ("satisfaction_basic_weight",),
    ),
    Metric("callback_coverage", UNIT_RATE, ("callback_covered",), ("callback_due",), ("deadline_hours",)),
    Metric(
        "composite",
        UNIT_SCORE,
        ("response_rate", "resolution_rate", "satisfaction_rate"),
        (),
        (
            "composite_weights",
            "resolution_partial_weight",
            "satisfaction_basic_weight",
            "min_ranked_tickets",
        ),
    ),
    Metric("tickets", UNIT_COUNT, ("tickets",), higher_is_better=None),
    Metric("dispatched", UNIT_COUNT, ("dispatched",), higher_is_better=None),
    Metric(
        "on_time_close_rate",
        UNIT_RATE,
        ("closed_on_time",),
        ("closed", "open_overdue"),
        ("deadline_hours", "calendar"),
    ),
    Metric("overdue_open", UNIT_COUNT, ("open_overdue",), (), ("deadline_hours", "calendar"), False),
    Metric("median_hours_to_close", UNIT_HOURS, ("median_close_seconds",), higher_is_better=False),
    Metric("grid_close_rate", UNIT_RATE, ("grid_closed",), ("grid_cases",)),
    # Fewer demands per resident is better: 万人诉求比 is read as a burden measure (未诉先办 lowers it).
    Metric("tickets_per_10k", UNIT_PER_10K, ("tickets",), ("population",), higher_is_better=False),
)

METRICS: Mapping[str, Metric] = MappingProxyType({m.key: m for m in _REGISTRY})


def metric(key: str) -> Metric:
    """The registered metric `key`; KeyError names the unknown key."""
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"unknown metric: {key}") from None


def definition_params(settings: Settings = DEFAULT_SETTINGS) -> dict[str, str]:
    """Values for the `{placeholders}` of the locale definitions, as display strings.

    Keys: alpha, beta, w_response, w_resolution, w_satisfaction (weights in percent), each also with a
    `_default` twin holding the shipped default; min_ranked_tickets, public_min_count; and per urgency code
    u in vocab.URGENCIES: contact_hours_u, resolve_hours_u, resolve_days_u.
    """
    params: dict[str, str] = {}
    for suffix, source in (("", settings), ("_default", DEFAULT_SETTINGS)):
        params[f"alpha{suffix}"] = format_number(source.resolution_partial_weight)
        params[f"beta{suffix}"] = format_number(source.satisfaction_basic_weight)
        for part in ("response", "resolution", "satisfaction"):
            params[f"w_{part}{suffix}"] = format_number(100 * source.composite_weights[part])
    params["min_ranked_tickets"] = str(settings.min_ranked_tickets)
    params["public_min_count"] = str(settings.public_min_count)
    for urgency in vocab.URGENCIES:
        limits = settings.deadline(urgency)
        params[f"contact_hours_{urgency}"] = format_number(limits.contact)
        params[f"resolve_hours_{urgency}"] = format_number(limits.resolve)
        params[f"resolve_days_{urgency}"] = format_number(limits.resolve / 24)
    return params


def format_definition(template: str, settings: Settings = DEFAULT_SETTINGS) -> str:
    """A locale definition with its placeholders filled from `settings`."""
    return template.format(**definition_params(settings))


def format_number(value: float) -> str:
    """A number for prose: at most 4 decimals, no trailing zeros (0.5 -> "0.5", 45.0 -> "45")."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
