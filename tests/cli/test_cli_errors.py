"""CLI failures: one readable line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest


def assert_one_line_error(result: Any, *parts: str) -> str:
    """Exit code 1, nothing on stdout, one ``error: ...`` line on stderr holding ``parts``."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for part in parts:
        assert part in lines[0]
    assert "Traceback" not in result.output
    return str(lines[0])


def test_unknown_session(cli: Any) -> None:
    """An unknown session id (and no id starting with it) names the CLI command that lists them."""
    line = assert_one_line_error(cli("session", "nope"), "no session has the id 'nope'")
    assert line == (
        "error: no session has the id 'nope' or an id starting with it; `agenttrace sessions` "
        "lists them (`--search TEXT` finds part of a name or id)"
    )
    assert "GET /v1" not in line
    line = assert_one_line_error(cli("request", "nope"), "no request has the id 'nope'")
    assert "`agenttrace requests` lists them" in line


def test_collector_not_reachable(cli: Any, dead_url: str) -> None:
    """No collector at the endpoint: say so, name the URL and suggest `agenttrace serve`."""
    for command in (["sessions"], ["session", "x"], ["requests"], ["paths"]):
        assert_one_line_error(
            cli(*command, endpoint=dead_url),
            f"the collector at {dead_url} is not reachable",
            "agenttrace serve",
        )


def test_rejected_query_shows_the_server_message(cli: Any) -> None:
    """A query the collector refuses shows its own explanation."""
    assert_one_line_error(cli("sessions", "--limit", "5000"), "400", "limit", "1 to 1000")
    assert_one_line_error(cli("sessions", "--sort", "nonsense"), "400", "sort")


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["sessions", "--property", "envprod"], ["--property 'envprod' is not key=value"]),
        (["sessions", "-p", "=prod"], ["is not key=value", "--property env=prod"]),
        (["requests", "-p", "env=prod", "-p", "env=dev"], ["--property env is given twice"]),
        (["sessions", "--since", "tomorrow-ish"], ["since='tomorrow-ish' is not a time", "7d"]),
        (["requests", "--until", "31/12/2025"], ["until='31/12/2025' is not a time"]),
    ],
)
def test_bad_option_values(cli: Any, args: list[str], parts: list[str]) -> None:
    """Values the CLI cannot use are explained with an example of a good one."""
    assert_one_line_error(cli(*args), *parts)


def test_bad_endpoint(cli: Any) -> None:
    """An endpoint that is not an http(s) URL is explained."""
    assert_one_line_error(
        cli("sessions", endpoint="localhost:8787"), "is not an http(s) URL", "--endpoint"
    )


def test_usage_errors_exit_2(cli: Any) -> None:
    """Unknown choices and options are click usage errors (exit 2) that name the value."""
    result = cli("sessions", "--status", "bogus")
    assert result.exit_code == 2
    assert "bogus" in result.stderr
    assert result.stdout == ""
