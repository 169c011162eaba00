"""The README stays true: every operator command is documented, and the quick start's commands exist."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001 - argparse has no public accessor
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _commands())
def test_every_cli_command_is_in_the_operator_table(command):
    assert f"| `{command}" in README, f"README's operator table lacks `{command}`"


@pytest.mark.parametrize("marker", ["<!-- run-command -->", "<!-- test-command -->"])
def test_the_quick_start_commands_are_marked(marker):
    assert marker in README
