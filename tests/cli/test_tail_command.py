"""``agenttrace tail`` in a real process against a real collector of its own: requests
posted while it follows appear once, filtered, one fitted line or JSON line each; Ctrl+C
ends it quietly."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from agenttrace.cli._tail_command import request_line
from agenttrace.query import RequestRow
from agenttrace.records import Record, RecordKind, Usage
from agenttrace.server.testing import running_collector

SCRIPT = Path(sys.executable).with_name("agenttrace")


def _record(record_id: str, model: str) -> Record:
    now = datetime.now(UTC)
    return Record(
        id=record_id,
        session_id="live-session",
        session_name="live",
        session_path="/agent",
        kind=RecordKind.LLM,
        name="ChatModel",
        model=model,
        start_time=now,
        end_time=now,
        usage=Usage(input_tokens=10, output_tokens=5),
        cost_usd=0.001,
    )


def _post(url: str, *records: Record) -> None:
    body = {"records": [record.model_dump(mode="json") for record in records]}
    httpx.post(f"{url}/v1/records", json=body, timeout=30).raise_for_status()


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """A real collector holding one request, ``old``, already in the feed."""
    with running_collector(data_dir=tmp_path) as collector:
        _post(collector.url, _record("old", "gpt-4o-mini"))
        for _ in range(100):
            answer = httpx.get(f"{collector.url}/v1/feed", params={"limit": 1}, timeout=10)
            if answer.json()["requests"]:
                break
            time.sleep(0.05)
        yield collector.url


class Tail:
    """``agenttrace tail`` running; its output lines arrive on a queue."""

    def __init__(self, url: str, *args: str, columns: int = 200) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTTRACE_")}
        env["COLUMNS"] = str(columns)
        self.process = subprocess.Popen(
            [str(SCRIPT), "--endpoint", url, "tail", "--interval", "0.1", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self) -> str:
        return self.lines.get(timeout=30)

    def interrupt(self) -> tuple[int, str]:
        """Ctrl+C; the exit code and what it wrote on stderr."""
        self.process.send_signal(signal.SIGINT)
        _, stderr = self.process.communicate(timeout=30)
        return self.process.returncode, stderr


def test_json_lines_of_the_backlog_then_of_each_request_posted_once(url: str) -> None:
    """The newest request first (``-n 1``), then each request posted while following,
    once; Ctrl+C ends with code 0 and nothing on stderr."""
    tail = Tail(url, "-n", "1", "--output", "json")
    try:
        assert json.loads(tail.line())["id"] == "old"
        _post(url, _record("r1", "gpt-4o-mini"), _record("r2", "gpt-4o-mini"))
        assert [json.loads(tail.line())["id"] for _ in range(2)] == ["r1", "r2"]
        _post(url, _record("r3", "gpt-4o-mini"))
        row = json.loads(tail.line())
        assert row["id"] == "r3"
        assert row["session_name"] == "live"
    finally:
        code, stderr = tail.interrupt()
    assert code == 0
    assert stderr == ""
    assert tail.lines.empty()  # nothing came twice


def test_filtered_lines_fit_the_terminal(url: str) -> None:
    """With ``--model``, only that model's requests come, each on one line of at most
    COLUMNS cells."""
    tail = Tail(url, "-n", "5", "--model", "claude-3-5-sonnet", columns=60)
    try:
        _post(url, _record("g1", "gpt-4o-mini"), _record("c1", "claude-3-5-sonnet"))
        line = tail.line()
        assert "live" in line
        assert "/agent" in line
        assert len(line) <= 60
        _post(url, _record("c2", "claude-3-5-sonnet"))
        assert "live" in tail.line()
    finally:
        code, stderr = tail.interrupt()
    assert (code, stderr) == (0, "")
    assert tail.lines.empty()  # c1 and c2 once each; g1 and old never


def _row(**fields: object) -> RequestRow:
    return RequestRow.model_validate(
        {
            "id": "0123456789abcdef0123",
            "kind": "llm",
            "status": "error",
            "session_id": "s" * 30,
            "session_name": None,
            "session_path": "/researcher/agent",
            "name": "ChatAnthropic",
            "model": "claude-3-5-sonnet",
            "start_time": "2025-03-01T12:00:00Z",
            "latency_ms": 1234.0,
            "total_tokens": 1500,
            "cost_usd": 0.5,
            **fields,
        }
    )


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_a_request_line_keeps_what_matters_within_the_width(width: int) -> None:
    """Time, status, path and name stay; the rest gives way; the line never wraps."""
    line = request_line(_row(), width).plain
    assert len(line) <= width
    assert "\n" not in line
    if width >= 80:
        assert "/researcher/agent" in line
        assert "ChatAnthropic" in line
    if width >= 200:
        assert "claude-3-5-sonnet" in line
        assert "0123456789ab" in line
