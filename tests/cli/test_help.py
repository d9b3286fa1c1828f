"""Every command's ``--help`` reads like a usual command line's: ``--host HOST``, never
``--host <str>``, and fits 80 columns."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from agenttrace.cli import app

TYPE_PLACEHOLDER = re.compile(r"<[a-z][a-z ,|\[\]]*>")
"""How typer 0.29's help names a value's type: ``<bool>``, ``<str>``, ``<int range>``."""


def _command_paths() -> list[list[str]]:
    """Every command and sub-command of ``agenttrace``, the program itself first."""
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append(path)
        for name, child in sorted(getattr(command, "commands", {}).items()):
            walk(child, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("path", _command_paths(), ids=lambda path: " ".join(path) or "-")
def test_help_names_values_not_types_and_fits_80_columns(path: list[str]) -> None:
    """``agenttrace [COMMAND ...] --help`` at 80 columns: no ``<type>``, no line over 80."""
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Usage: agenttrace" in result.output
    assert TYPE_PLACEHOLDER.findall(result.output) == [], result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80, result.output


def test_the_command_list_covers_every_sub_command() -> None:
    """The walk above reaches the query commands and the keys and db groups' commands."""
    names = {" ".join(path) for path in _command_paths()}
    assert {"serve", "sessions", "requests", "paths", "keys create", "db prune"} <= names
