"""``agenttrace sessions | session | requests | request | paths`` against a real collector."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from typing import Any

import pytest
from typer.testing import CliRunner

from agenttrace.cli import app

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def local(seconds: float) -> str:
    """How the CLI shows ``BASE + seconds`` (local time, to the second)."""
    return (BASE + timedelta(seconds=seconds)).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the rich table in ``output``, as lists of stripped cells."""
    return [
        [cell.strip() for cell in line.split("│")] for line in output.splitlines() if "│" in line
    ]


def first_column(output: str, column: int = 1) -> list[str]:
    """One column of the table's body rows (the session ids by default)."""
    return [row[column] for row in table_rows(output)]


def test_sessions_table(cli: Any) -> None:
    """The table shows each session's name, id, created, duration, requests, tokens, cost..."""
    result = cli("sessions")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    for column in ("Name", "ID", "Created", "Duration", "Requests", "Tokens", "Cost", "Errors"):
        assert column in header
    assert table_rows(result.stdout) == [
        ["researcher", "sess-c", local(7200), "12.0 s", "3", "1.6k", "$0.55", "0", "ok"],
        ["planner", "sess-b", local(3600), "700 ms", "2", "50", "$0.0005", "1", "✗ error"],
        ["planner", "sess-a", local(0), "3.0 s", "3", "370", "$0.0042", "0", "ok"],
    ]
    assert result.stdout.splitlines()[-1] == "1-3 of 3 sessions"
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--property", "env=prod"], ["sess-c", "sess-a"]),
        (["-p", "env=prod", "-p", "team=red"], []),
        (["--status", "error"], ["sess-b"]),
        (["--status", "ok"], ["sess-c", "sess-a"]),
        (["--user", "bob"], ["sess-b"]),
        (["--user-id", "alice", "--name", "planner"], ["sess-a"]),
        (["--name", "researcher"], ["sess-c"]),
        (["--search", "ESS-B"], ["sess-b"]),
        (["--min-cost", "0.001"], ["sess-c", "sess-a"]),
        (["--max-cost", "0.001"], ["sess-b"]),
        (["--since", "2025-03-01T12:30:00Z", "--until", "2025-03-01T13:30"], ["sess-b"]),
        (["--since", "1h"], []),
        (["--sort", "cost_usd", "--order", "asc"], ["sess-b", "sess-a", "sess-c"]),
        (["--order", "asc", "--limit", "2"], ["sess-a", "sess-b"]),
        (["--limit", "1", "--offset", "1"], ["sess-b"]),
    ],
)
def test_sessions_options(cli: Any, options: list[str], expected: list[str]) -> None:
    """Every filter, sort and page option narrows or orders the table as asked."""
    result = cli("sessions", *options)
    assert result.exit_code == 0, result.output
    assert first_column(result.stdout) == expected


def test_sessions_captions(cli: Any) -> None:
    """The caption says which rows of how many are shown and how to get more."""
    assert cli("sessions", "--limit", "1", "--offset", "1").stdout.splitlines()[-1] == (
        "2-2 of 3 sessions (--offset 2 for more)"
    )
    assert cli("sessions", "--name", "nobody").stdout == "no sessions match\n"
    assert cli("sessions", "--offset", "7").stdout == "no sessions at offset 7 of 3\n"


def test_sessions_json(cli: Any) -> None:
    """--json prints the page in the collector's shape, parseable by a machine."""
    result = cli("sessions", "--property", "env=prod", "--json")
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    assert [row["session_id"] for row in page["sessions"]] == ["sess-c", "sess-a"]
    sess_a = page["sessions"][1]
    assert sess_a["total_tokens"] == 370
    assert sess_a["cost_usd"] == pytest.approx(0.0042)
    assert sess_a["start_time"].startswith("2025-03-01T12:00:00")


def test_session_tree(cli: Any) -> None:
    """The tree shows each path with duration, requests, tokens and cost; leaves are calls."""
    result = cli("session", "sess-a")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "planner sess-a  ok  3.0 s · 3 requests · 370 tokens · $0.0042",
        "├── agent  3.0 s · 2 requests · 370 tokens · $0.0042",
        "│   ├── llm ChatOpenAI gpt-4o-mini  ok  800 ms · 120 tokens · $0.0012",
        "│   └── llm ChatOpenAI gpt-4o-mini  ok  1.0 s · 250 tokens · $0.003",
        "└── tools  250 ms · 1 request",
        "    └── search  250 ms · 1 request",
        "        └── tool search  ok  250 ms",
    ]


def test_session_tree_marks_failures(cli: Any) -> None:
    """A failed call is marked with its error, and its path and session count the error."""
    lines = cli("session", "sess-b").stdout.splitlines()
    assert lines[0] == (
        "planner sess-b  ✗ error  700 ms · 2 requests · 50 tokens · $0.0005 · ✗ 1 error"
    )
    assert lines[1] == "├── agent  500 ms · 1 request · 50 tokens · $0.0005 · ✗ 1 error"
    assert lines[2] == (
        "│   └── llm ChatOpenAI gpt-4o-mini  ✗ error  500 ms · 50 tokens · $0.0005  "
        "ValueError: boom"
    )


def test_session_tree_nesting_interruptions_and_retries(cli: Any) -> None:
    """Nested paths nest; an interrupted call is marked; a retry shows its attempt."""
    assert cli("session", "sess-c").stdout.splitlines() == [
        "researcher sess-c  ok  12.0 s · 3 requests · 1.6k tokens · $0.55",
        "└── researcher  12.0 s · 3 requests · 1.6k tokens · $0.55",
        "    ├── agent  11.0 s · 2 requests · 1.6k tokens · $0.55",
        "    │   ├── llm ChatAnthropic claude-3-5-sonnet  ⏸ interrupted  2.0 s · 1.5k tokens · "
        "$0.50",
        "    │   └── llm ChatAnthropic claude-3-5-sonnet  ok  1.0 s · 110 tokens · $0.05 · "
        "attempt 2",
        "    └── tools  500 ms · 1 request",
        "        └── search  500 ms · 1 request",
        "            └── tool search  ok  500 ms",
    ]


def test_session_json(cli: Any) -> None:
    """session --json prints the detail (session, paths, tree, requests, cursor); --bodies too."""
    detail = json.loads(cli("session", "sess-a", "--json").stdout)
    assert set(detail) == {"session", "paths", "tree", "requests", "next_cursor"}
    assert detail["next_cursor"] is None
    assert detail["tree"]["request_count"] == 3
    assert [row["id"] for row in detail["requests"]] == ["a1", "a2", "a3"]
    assert detail["requests"][0]["request_body"] is None
    with_bodies = json.loads(cli("session", "sess-a", "--json", "--bodies").stdout)
    assert with_bodies["requests"][0]["response_body"] == {"content": "Lisbon"}


def test_requests_table(cli: Any) -> None:
    """requests lists calls with time, ids, path, kind, name, model, status and figures."""
    result = cli("requests", "--session", "sess-b", "--order", "asc")
    assert result.exit_code == 0, result.output
    assert table_rows(result.stdout) == [
        [local(3600), "b1", "planner", "/agent", "llm", "ChatOpenAI", "gpt-4o-mini", "✗ error",
         "500 ms", "50", "$0.0005"],
        [local(3600.6), "b2", "planner", "/tools/search", "tool", "search", "-", "ok", "100 ms",
         "-", "-"],
    ]  # fmt: skip
    assert result.stdout.splitlines()[-1] == "1-2 of 2 requests"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--kind", "tool"], ["c3", "b2", "a2"]),
        (["--status", "interrupted"], ["c1"]),
        (["--path", "/agent", "--order", "asc"], ["a1", "a3", "b1"]),
        (["--model", "claude-3-5-sonnet"], ["c2", "c1"]),
        (["--user", "bob"], ["b2", "b1"]),
        (["-p", "env=prod", "--kind", "llm"], ["c2", "c1", "a3", "a1"]),
        (["--until", "2025-03-01T12:00:00.5Z"], ["a1"]),
        (["--limit", "2", "--offset", "1"], ["c2", "c1"]),
    ],
)
def test_requests_options(cli: Any, options: list[str], expected: list[str]) -> None:
    """Each requests option narrows the table as asked."""
    result = cli("requests", *options)
    assert result.exit_code == 0, result.output
    assert first_column(result.stdout) == expected


def test_requests_json_with_bodies(cli: Any) -> None:
    """requests --json --bodies prints parseable rows with their bodies."""
    page = json.loads(cli("requests", "--session", "sess-a", "--json", "--bodies").stdout)
    assert page["total"] == 3
    by_id = {row["id"]: row for row in page["requests"]}
    assert by_id["a1"]["request_body"] == {"messages": [{"role": "user", "content": "plan a trip"}]}
    assert by_id["a1"]["kind"] == "llm"


def test_request_detail(cli: Any) -> None:
    """request ID shows the call's fields and its bodies as JSON."""
    result = cli("request", "a1")
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert "session       planner (sess-a)" in lines
    assert "tokens        100 in · 20 out · 120 total" in lines
    assert "cost          $0.0012" in lines
    assert "property env  prod" in lines
    assert '      "content": "plan a trip"' in lines
    assert "response body" in lines
    failed = cli("request", "b1").stdout
    assert "ValueError: boom" in failed
    assert json.loads(cli("request", "a2", "--json").stdout)["name"] == "search"


def test_paths_table(cli: Any) -> None:
    """paths aggregates per path across sessions; --session narrows to one session."""
    result = cli("paths")
    assert result.exit_code == 0, result.output
    rows = {row[0]: row[1:] for row in table_rows(result.stdout)}
    assert set(rows) == {"/agent", "/tools/search", "/researcher/agent", "/researcher/tools/search"}
    assert rows["/agent"][:5] == ["2", "3", "1", "420", "$0.0047"]
    assert first_column(cli("paths", "--session", "sess-a").stdout, 0) == [
        "/agent",
        "/tools/search",
    ]
    assert cli("paths", "--session-name", "nobody").stdout == "no paths match\n"
    assert json.loads(cli("paths", "--json").stdout)["paths"][0]["path"] == "/agent"


def test_endpoint_and_key_from_environment(cli_collector_url: str) -> None:
    """AGENTTRACE_ENDPOINT and AGENTTRACE_API_KEY work in place of the global options."""
    env = {"AGENTTRACE_ENDPOINT": cli_collector_url, "AGENTTRACE_API_KEY": "k"}
    result = CliRunner().invoke(app, ["sessions", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 3


def test_version_and_help() -> None:
    """--version prints the version; no arguments prints the help listing the commands."""
    runner = CliRunner()
    # the installed distribution's version, which pyproject.toml sets
    assert runner.invoke(app, ["--version"]).stdout == f"agenttrace {version('agenttrace')}\n"
    listing = runner.invoke(app, []).output
    for command in ("serve", "sessions", "session", "requests", "request", "paths"):
        assert command in listing
