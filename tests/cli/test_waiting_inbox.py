"""Sessions waiting for a human, through a real collector: the query client's inbox
(``status="waiting"``, ``waiting_since``, per-path human waits) and the CLI's
``agenttrace sessions --waiting`` and ``agenttrace session``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from agenttrace.cli import app
from agenttrace.instrumentation import INTERRUPT_ID_PROPERTY, human_record_id
from agenttrace.query import QueryClient
from agenttrace.records import Record, RecordKind, Status
from agenttrace.server.testing import running_collector

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


def _question(session_id: str, asked: float, answered: float | None) -> Record:
    interrupt_id = f"{session_id}-q"
    return Record(
        id=human_record_id(session_id, interrupt_id),
        kind=RecordKind.HUMAN,
        session_id=session_id,
        session_path="/refund/approve",
        name="approve",
        status=Status.INTERRUPTED if answered is None else Status.OK,
        start_time=_at(asked),
        end_time=None if answered is None else _at(answered),
        properties={INTERRUPT_ID_PROPERTY: interrupt_id},
        request={"question": "refund $40?"},
    )


def _llm(session_id: str, start: float) -> Record:
    return Record(
        kind=RecordKind.LLM,
        session_id=session_id,
        session_name=f"refund {session_id}",
        session_path="/refund",
        start_time=_at(start),
        end_time=_at(start + 0.5),
    )


@pytest.fixture(scope="module")
def collector_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``waits`` asks at +10 s and nobody answers; ``done`` was answered after 60 s."""
    records = [
        _llm("waits", 0),
        _question("waits", 10, None),
        _llm("done", 100),
        _question("done", 110, 170),
    ]
    with running_collector(data_dir=tmp_path_factory.mktemp("inbox")) as collector:
        body = {"records": [r.model_dump(mode="json", exclude_none=True) for r in records]}
        httpx.post(f"{collector.url}/v1/records", json=body, timeout=30).raise_for_status()
        yield collector.url


def test_query_client_inbox(collector_url: str) -> None:
    with QueryClient(collector_url) as client:
        inbox = client.sessions(status="waiting")
        assert [(s.session_id, s.status, s.waiting_since) for s in inbox.sessions] == [
            ("waits", "waiting", _at(10))
        ]
        done = client.session("done")
        assert (done.session.status, done.session.waiting_since) == ("ok", None)
        assert done.session.p95_latency_ms == 500.0  # the 60 s wait is not a latency
        paths = {row.path: row for row in client.paths()}
    approve = paths["/refund/approve"]
    assert (approve.human_count, approve.human_wait_p50_ms) == (2, 60_000.0)


def _cli(url: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["--endpoint", url, *args])


def test_cli_sessions_waiting(collector_url: str) -> None:
    result = _cli(collector_url, "sessions", "--waiting")
    assert result.exit_code == 0, result.output
    since = _at(10).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    (row,) = [line for line in result.stdout.splitlines() if "│" in line]
    assert [cell.strip() for cell in row.split("│")][1] == "waits"
    assert row.rstrip().endswith(f"⏳ waiting since {since}")
    everything = _cli(collector_url, "sessions", "--status", "ok")
    assert "done" in everything.stdout
    assert "waits" not in everything.stdout
    clash = _cli(collector_url, "sessions", "--waiting", "--status", "error")
    assert clash.exit_code == 2
    assert "--waiting is --status waiting" in clash.output


def test_cli_session_tree_says_waiting(collector_url: str) -> None:
    result = _cli(collector_url, "session", "waits")
    assert result.exit_code == 0, result.output
    assert "⏳ waiting since" in result.stdout.splitlines()[0]
    assert "approve" in result.stdout
