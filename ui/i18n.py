"""Every user-facing string comes from `locales/<lang>.toml`; Chinese is the default language.

`translate` is pure (for tests and reports); `t` reads the viewer's language from the session.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache, partial
from pathlib import Path
from typing import Any, Callable

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalogue(lang: str) -> dict[str, Any]:
    """The strings of `lang`: `locales/<lang>.toml` merged with every `locales/<lang>/*.toml` (one per view),
    in name order. A key defined twice is an error, so two files cannot silently disagree."""
    files = [LOCALES_DIR / f"{lang}.toml", *sorted((LOCALES_DIR / lang).glob("*.toml"))]
    merged: dict[str, Any] = {}
    for path in files:
        if path.is_file():
            with path.open("rb") as fh:
                _merge(merged, tomllib.load(fh), path.name)
    return merged


def _merge(into: dict[str, Any], new: dict[str, Any], source: str, prefix: str = "") -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, source, f"{prefix}{key}.")
        elif key in into:
            raise ValueError(f"locale key {prefix}{key} defined twice (again in {source})")
        else:
            into[key] = value


def lookup(lang: str, key: str) -> str | None:
    """The raw text at dotted `key` (e.g. "metric.response_rate.name"), or None."""
    node: Any = catalogue(lang)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def translate(lang: str, key: str, **params: Any) -> str:
    """The text at `key` in `lang`, formatted with `params`; falls back to Chinese, then to the key."""
    text = lookup(lang, key) or lookup(DEFAULT_LANGUAGE, key)
    if text is None:
        return key
    return text.format(**params) if params else text


def current_language() -> str:
    import streamlit as st

    from ui import keys

    lang = st.session_state.get(keys.LANGUAGE, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **params: Any) -> str:
    """`translate` in the viewer's language."""
    return translate(current_language(), key, **params)


def translator() -> Callable[..., str]:
    """`t` bound to the viewer's language now — for a widget's `format_func`, which Streamlit may call
    outside the script run (AppTest does, when it switches pages), where the session cannot be read."""
    return partial(translate, current_language())


ZERO_WIDTH_SPACE = "\u200b"
_AUTOLINK_BREAKS = re.compile(r"(?i)(:(?=/)|\bwww(?=\.)|@)")
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$:@&=\"'/%^?;,"} |
                                  {"\n": " ", "\r": " ", "\t": " "})


def literal(value: Any) -> str:
    """`value` as plain text inside Streamlit markdown (st.markdown, st.warning, st.subheader, captions,
    widget labels): every ASCII punctuation character backslash-escaped (CommonMark shows an escaped
    character as itself), line breaks made spaces. So a URL parameter or a name from the data cannot become
    a link (`[x](http://…)`), an image that the browser fetches (`![](…)`), an autolink (`http://…`,
    `www.…`, `a@b.c`), emphasis, a heading, a formula (`$…$`) or HTML. Pass every value that came from a URL
    or the database through this before it goes into markdown.

    Escapes alone do not stop GitHub-style autolinks: Streamlit's markdown finds `http://…`, `www.…` and
    `a@b.c` in the text after parsing, escaped or not. A zero-width space after the `:` of `://`, after `www` and after `@` breaks the
    pattern and shows nothing."""
    return _AUTOLINK_BREAKS.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, str(value)).translate(_MARKDOWN_ESCAPES)
