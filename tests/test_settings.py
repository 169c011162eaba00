"""Settings: the documented defaults, overrides from a mapping or file, and loud errors on typos."""

from __future__ import annotations

import dataclasses

import pytest

from domain import settings as settings_module
from domain.settings import DEFAULT_SETTINGS, DeadlineClass, load_settings, settings_from_mapping


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("calendar", "natural"),
        ("resolution_partial_weight", 0.5),
        ("satisfaction_basic_weight", 1.0),
        ("min_ranked_tickets", 30),
        ("public_min_count", 5),
        ("due_soon_hours", 24),
        ("hotspot_min_tickets", 3),
        ("hotspot_window_days", 30),
        ("timezone", "Asia/Shanghai"),
    ],
    ids=lambda value: str(value),
)
def test_defaults(attribute, expected):
    assert getattr(DEFAULT_SETTINGS, attribute) == expected


@pytest.mark.parametrize(
    ("urgency", "contact", "resolve"),
    [("emergency", 0.5, 2), ("utility", 2, 24), ("general", 24, 7 * 24), ("complex", 24, 15 * 24)],
    ids=["emergency-30min-2h", "utility-2h-24h", "general-24h-7d", "complex-24h-15d"],
)
def test_default_deadlines(urgency, contact, resolve):
    assert DEFAULT_SETTINGS.deadline(urgency) == DeadlineClass(contact=contact, resolve=resolve)


def test_unknown_urgency_gets_general_deadline():
    assert DEFAULT_SETTINGS.deadline("unheard-of") == DEFAULT_SETTINGS.deadline("general")


def test_default_composite_weights_are_10_45_45():
    expected = {"response": 0.10, "resolution": 0.45, "satisfaction": 0.45}
    assert dict(DEFAULT_SETTINGS.composite_weights) == expected
    assert sum(DEFAULT_SETTINGS.composite_weights.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("overrides", "attribute", "expected"),
    [
        ({"resolution_partial_weight": 0.0}, "resolution_partial_weight", 0.0),
        ({"satisfaction_basic_weight": 0.6}, "satisfaction_basic_weight", 0.6),
        ({"min_ranked_tickets": 50}, "min_ranked_tickets", 50),
        ({"calendar": "workday"}, "calendar", "workday"),
        (
            {"composite_weights": {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}},
            "composite_weights",
            {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4},
        ),
        # A partial table merges into the defaults.
        (
            {"composite_weights": {"response": 0.2, "resolution": 0.35}},
            "composite_weights",
            {"response": 0.2, "resolution": 0.35, "satisfaction": 0.45},
        ),
        ({}, "min_ranked_tickets", 30),
    ],
    ids=[
        "alpha-0",
        "beta-0.6",
        "min-ranked-50",
        "workday-calendar",
        "weights-20-40-40",
        "weights-partial",
        "empty",
    ],
)
def test_overrides(overrides, attribute, expected):
    value = getattr(settings_from_mapping(overrides), attribute)
    assert (dict(value) if attribute == "composite_weights" else value) == expected


def test_deadline_override_merges_into_default_classes():
    settings = settings_from_mapping({"deadline_hours": {"general": {"resolve": 120}}})
    assert settings.deadline("general") == DeadlineClass(contact=24, resolve=120)
    assert settings.deadline("complex") == DEFAULT_SETTINGS.deadline("complex")


def test_overrides_leave_the_defaults_alone():
    settings_from_mapping(
        {"min_ranked_tickets": 5, "composite_weights": {"response": 1.0, "resolution": 0.0, "satisfaction": 0.0}}
    )
    assert DEFAULT_SETTINGS.min_ranked_tickets == 30
    assert DEFAULT_SETTINGS.composite_weights["response"] == 0.10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"min_ranked": 5}, "unknown setting"),
        ({"alpha": 0.5, "beta": 1}, "alpha, beta"),
        ({"deadline_hours": {"urgent": {"resolve": 1}}}, "unknown urgency class"),
        ({"composite_weights": {"speed": 0.1}}, "unknown composite weight"),
        ({"calendar": "lunar"}, "calendar must be"),
        ({"resolution_partial_weight": 1.5}, "between 0 and 1"),
        ({"satisfaction_basic_weight": -0.1}, "between 0 and 1"),
        ({"composite_weights": {"response": 0.3}}, "add up to 1"),
        ({"composite_weights": {"response": -0.1, "resolution": 0.6, "satisfaction": 0.5}}, "non-negative"),
        ({"min_ranked_tickets": 0}, "at least 1"),
        ({"deadline_hours": {"general": {"resolve": 0}}}, "must be positive"),
    ],
    ids=[
        "unknown-key",
        "unknown-keys-listed",
        "unknown-urgency",
        "unknown-weight",
        "unknown-calendar",
        "alpha-above-1",
        "beta-negative",
        "weights-not-summing-to-1",
        "negative-weight",
        "min-ranked-0",
        "zero-deadline",
    ],
)
def test_override_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        settings_from_mapping(overrides)


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_SETTINGS.min_ranked_tickets = 1  # type: ignore[misc]


SETTINGS_TOML = """
resolution_partial_weight = 0.0
min_ranked_tickets = 50
calendar = "workday"

[composite_weights]
response = 0.2
resolution = 0.4
satisfaction = 0.4

[deadline_hours.general]
resolve = 120
"""


def test_load_settings_from_path(tmp_path):
    path = tmp_path / "dashboard.toml"
    path.write_text(SETTINGS_TOML, encoding="utf-8")
    loaded = load_settings(path, environ={})
    assert loaded.resolution_partial_weight == 0.0
    assert loaded.min_ranked_tickets == 50
    assert loaded.calendar == "workday"
    assert dict(loaded.composite_weights) == {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}
    assert loaded.deadline("general") == DeadlineClass(contact=24, resolve=120)


def test_load_settings_from_environment(tmp_path):
    path = tmp_path / "env.toml"
    path.write_text("min_ranked_tickets = 12\n", encoding="utf-8")
    assert load_settings(environ={settings_module.SETTINGS_ENV: str(path)}).min_ranked_tickets == 12


def test_path_wins_over_environment(tmp_path):
    chosen = tmp_path / "chosen.toml"
    chosen.write_text("min_ranked_tickets = 7\n", encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text("min_ranked_tickets = 99\n", encoding="utf-8")
    assert load_settings(chosen, environ={settings_module.SETTINGS_ENV: str(other)}).min_ranked_tickets == 7


def test_no_file_means_defaults():
    assert load_settings(environ={}) is DEFAULT_SETTINGS


def test_typo_in_settings_file_is_an_error(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("min_rankd_tickets = 12\n", encoding="utf-8")
    with pytest.raises(ValueError, match="min_rankd_tickets"):
        load_settings(path, environ={})

