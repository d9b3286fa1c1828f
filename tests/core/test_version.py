"""agenttrace's version: one constant, the same everywhere it is shown."""

from __future__ import annotations

import importlib.metadata

from typer.testing import CliRunner

import agenttrace
from agenttrace.cli import app
from agenttrace.core.version import VERSION, VERSION_INFO


def test_version_is_the_distributions() -> None:
    """The constant, its tuple, the package's __version__ and the installed metadata agree."""
    assert importlib.metadata.version("agenttrace") == VERSION
    assert tuple(int(part) for part in VERSION.split(".")) == VERSION_INFO
    assert agenttrace.__version__ == VERSION


def test_the_cli_and_the_query_client_say_the_same_version() -> None:
    """``agenttrace --version`` and the query client's User-Agent carry the constant."""
    from agenttrace.query._base import _USER_AGENT

    assert CliRunner().invoke(app, ["--version"]).stdout == f"agenttrace {VERSION}\n"
    assert f"agenttrace-query/{VERSION}" == _USER_AGENT
