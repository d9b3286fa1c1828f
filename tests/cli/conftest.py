"""A real collector seeded once for the CLI's tests, and a runner for the command.

Sessions: ``sess-a`` "planner" (two LLM calls under /agent, one tool under /tools/search,
$0.0042, 370 tokens, 3.0 s), ``sess-b`` "planner" (a failed LLM call and a tool call),
``sess-c`` "researcher" (an interrupted LLM call, its retry, and a nested tool).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from agenttrace.cli import app
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.server.testing import running_collector

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SESSIONS = {
    "sess-a": {"session_name": "planner", "user_id": "alice", "properties": {"env": "prod"}},
    "sess-b": {"session_name": "planner", "user_id": "bob", "properties": {"env": "dev"}},
    "sess-c": {"session_name": "researcher", "user_id": "alice", "properties": {"env": "prod"}},
}


def _record(record_id: str, session_id: str, start: float, end: float, **fields: Any) -> Record:
    return Record(
        id=record_id,
        session_id=session_id,
        start_time=BASE + timedelta(seconds=start),
        end_time=BASE + timedelta(seconds=end),
        **SESSIONS[session_id],
        **fields,
    )


def build_records() -> list[Record]:
    """The seeded records (see the module docstring)."""
    gpt = {"kind": RecordKind.LLM, "name": "ChatOpenAI", "model": "gpt-4o-mini"}
    claude = {"kind": RecordKind.LLM, "name": "ChatAnthropic", "model": "claude-3-5-sonnet"}
    search = {"kind": RecordKind.TOOL, "name": "search"}
    return [
        _record("a1", "sess-a", 0, 0.8, **gpt, session_path="/agent",
                usage=Usage(input_tokens=100, output_tokens=20), cost_usd=0.0012,
                request={"messages": [{"role": "user", "content": "plan a trip"}]},
                response={"content": "Lisbon"}),
        _record("a2", "sess-a", 1, 1.25, **search, session_path="/tools/search"),
        _record("a3", "sess-a", 2, 3, **gpt, session_path="/agent",
                usage=Usage(input_tokens=200, output_tokens=50), cost_usd=0.003),
        _record("b1", "sess-b", 3600, 3600.5, **gpt, session_path="/agent", status=Status.ERROR,
                error=ErrorInfo(type="ValueError", message="boom"),
                usage=Usage(input_tokens=50, output_tokens=0), cost_usd=0.0005),
        _record("b2", "sess-b", 3600.6, 3600.7, **search, session_path="/tools/search"),
        _record("c1", "sess-c", 7200, 7202, **claude, session_path="/researcher/agent",
                status=Status.INTERRUPTED, usage=Usage(input_tokens=1000, output_tokens=500),
                cost_usd=0.5),
        _record("c2", "sess-c", 7210, 7211, **claude, session_path="/researcher/agent",
                attempt=2, usage=Usage(input_tokens=100, output_tokens=10), cost_usd=0.05),
        _record("c3", "sess-c", 7211.5, 7212, **search, session_path="/researcher/tools/search"),
    ]  # fmt: skip


@pytest.fixture(scope="session")
def cli_collector_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real collector (uvicorn, SQLite) holding `build_records`."""
    with running_collector(data_dir=tmp_path_factory.mktemp("cli-collector")) as collector:
        body = {"records": [record.model_dump(mode="json") for record in build_records()]}
        answer = httpx.post(f"{collector.url}/v1/records", json=body, timeout=30)
        answer.raise_for_status()
        assert answer.json()["accepted"] == len(body["records"]), answer.text
        yield collector.url


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Cli:
    """Runs ``agenttrace`` in-process (typer's CliRunner) against the seeded collector."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, endpoint: str | None = None) -> Result:
        """``agenttrace --endpoint URL *args``; exceptions are left in the result."""
        return self.runner.invoke(app, ["--endpoint", endpoint or self.url, *args])


@pytest.fixture
def cli(cli_collector_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI against the seeded collector, with no AGENTTRACE_* settings leaking in."""
    for name in ("AGENTTRACE_ENDPOINT", "AGENTTRACE_API_KEY", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    return Cli(cli_collector_url)
