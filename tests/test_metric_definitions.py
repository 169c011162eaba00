"""Every metric is documented: a name and a definition in each locale, with every placeholder filled."""

from __future__ import annotations

import dataclasses
import string
import tomllib
from pathlib import Path

import pytest

from domain.settings import DEFAULT_SETTINGS, Settings, settings_from_mapping
from domain.units import UNITS
from metrics import definitions, rates
from metrics.definitions import METRICS, definition_params, format_definition, format_number

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("zh", "en")
# Counts a metric may be computed from: the data layer's count contract plus the inputs of the other measures.
KNOWN_INPUTS = {*rates.COUNT_COLUMNS, *rates.GRID_COUNT_COLUMNS, rates.MEDIAN_SECONDS_COLUMN, "population"}
OVERRIDDEN = settings_from_mapping(
    {
        "resolution_partial_weight": 0.0,
        "satisfaction_basic_weight": 0.5,
        "composite_weights": {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4},
        "min_ranked_tickets": 50,
        "deadline_hours": {"general": {"resolve": 120}},
    }
)


def locale(language: str) -> dict:
    with (LOCALES_DIR / f"{language}.toml").open("rb") as fh:
        return tomllib.load(fh)


def metric_text(language: str, key: str) -> dict:
    return locale(language).get("metric", {}).get(key, {})


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


ALL = [(language, key) for language in LANGUAGES for key in METRICS]
ALL_IDS = [f"{language}-{key}" for language, key in ALL]


@pytest.mark.parametrize("language", LANGUAGES)
def test_locale_file_starts_with_a_comment(language):
    first_line = (LOCALES_DIR / f"{language}.toml").read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("#")


@pytest.mark.parametrize(("language", "key"), ALL, ids=ALL_IDS)
def test_metric_has_name_and_definition(language, key):
    text = metric_text(language, key)
    assert text.get("name", "").strip(), f"[metric.{key}] name missing in {language}.toml"
    assert text.get("definition", "").strip(), f"[metric.{key}] definition missing in {language}.toml"


@pytest.mark.parametrize(("language", "key"), ALL, ids=ALL_IDS)
def test_every_placeholder_is_filled(language, key):
    template = metric_text(language, key)["definition"]
    assert placeholders(template) <= set(definition_params(DEFAULT_SETTINGS))
    for settings in (DEFAULT_SETTINGS, OVERRIDDEN):
        filled = format_definition(template, settings)
        assert "{" not in filled and "}" not in filled


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_undocumented_metric_tables(language):
    assert set(locale(language).get("metric", {})) <= set(METRICS)


@pytest.mark.parametrize(
    ("language", "word"), [("zh", "测算"), ("en", "estimated")], ids=["zh-测算", "en-estimated"]
)
def test_composite_name_says_estimated(language, word):
    assert word in metric_text(language, "composite")["name"]


@pytest.mark.parametrize(
    ("language", "key", "default_fragment", "overridden_fragment"),
    [
        ("zh", "composite", "10% × 响应率", "20% × 响应率"),
        ("en", "composite", "10% × response rate", "20% × response rate"),
        ("zh", "composite", "少于 30 件", "少于 50 件"),
        ("zh", "resolution_rate", "α = 0.5", "α = 0"),
        ("en", "satisfaction_rate", "β = 1", "β = 0.5"),
        ("zh", "on_time_close_rate", "一般 7 天", "一般 5 天"),
    ],
    ids=["zh-weights", "en-weights", "zh-min-ranked", "zh-alpha", "en-beta", "zh-general-limit"],
)
def test_definitions_follow_the_settings(language, key, default_fragment, overridden_fragment):
    template = metric_text(language, key)["definition"]
    assert default_fragment in format_definition(template, DEFAULT_SETTINGS)
    assert overridden_fragment in format_definition(template, OVERRIDDEN)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alpha", "0.5"),
        ("alpha_default", "0.5"),
        ("beta", "1"),
        ("w_response", "10"),
        ("w_resolution", "45"),
        ("w_satisfaction", "45"),
        ("min_ranked_tickets", "30"),
        ("contact_hours_emergency", "0.5"),
        ("resolve_hours_utility", "24"),
        ("resolve_days_general", "7"),
        ("resolve_days_complex", "15"),
    ],
    ids=lambda value: str(value),
)
def test_default_definition_params(name, expected):
    assert definition_params(DEFAULT_SETTINGS)[name] == expected


def test_default_params_keep_shipped_defaults_under_overrides():
    params = definition_params(OVERRIDDEN)
    assert (params["w_response"], params["w_response_default"]) == ("20", "10")
    assert (params["alpha"], params["alpha_default"]) == ("0", "0.5")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, "0.5"), (1.0, "1"), (45.0, "45"), (100 * 0.1, "10"), (1 / 3, "0.3333"), (168, "168"), (0.0, "0")],
    ids=["half", "one", "forty-five", "float-noise", "third", "int", "zero"],
)
def test_format_number(value, expected):
    assert format_number(value) == expected


SETTING_NAMES = {field.name for field in dataclasses.fields(Settings)}


@pytest.mark.parametrize("key", list(METRICS), ids=list(METRICS))
def test_registry_entry_is_well_formed(key):
    entry = METRICS[key]
    assert entry.key == key
    assert entry.unit in UNITS
    assert entry.numerator
    assert set(entry.settings) <= SETTING_NAMES
    inputs = set(entry.numerator) | set(entry.denominator)
    if key == "composite":
        assert inputs <= set(METRICS)
    else:
        assert inputs <= KNOWN_INPUTS
    assert entry.locale_key == f"metric.{key}"


@pytest.mark.parametrize(
    "key",
    [
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "callback_coverage",
        "composite",
        "tickets",
        "dispatched",
        "on_time_close_rate",
        "overdue_open",
        "median_hours_to_close",
        "grid_close_rate",
        "tickets_per_10k",
    ],
)
def test_required_metric_is_registered(key):
    assert definitions.metric(key).key == key


def test_every_headline_rate_is_registered():
    assert set(rates.RATE_KEYS) <= set(METRICS)


def test_unknown_metric_is_named():
    with pytest.raises(KeyError, match="speed"):
        definitions.metric("speed")
