"""Every user-facing string exists in both languages, and every literal key the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain import vocab
from ui.i18n import LANGUAGES, catalogue, lookup

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("app.py", "views", "ui") for p in ([ROOT / d] if d.endswith(".py") else sorted((ROOT / d).glob("*.py")))]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")


def _flatten(node: dict, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in node.items():
        keys |= _flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


def test_both_languages_have_the_same_keys():
    zh, en = _flatten(catalogue("zh")), _flatten(catalogue("en"))
    assert sorted(zh - en) == [] and sorted(en - zh) == []


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_literal_keys_in_code_exist(path):
    missing = [k for k in LITERAL_KEY.findall(path.read_text(encoding="utf-8")) if lookup("zh", k) is None]
    assert missing == []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "group, codes",
    [
        ("channel", vocab.CHANNELS),
        ("kind", vocab.KINDS),
        ("urgency", vocab.URGENCIES),
        ("status", vocab.STATUSES),
        ("resolution", vocab.RESOLUTIONS),
        ("satisfaction", vocab.SATISFACTIONS),
        ("event", vocab.EVENT_KINDS),
    ],
)
def test_every_vocabulary_code_has_a_label(lang, group, codes):
    assert [c for c in codes if lookup(lang, f"vocab.{group}.{c}") is None] == []
