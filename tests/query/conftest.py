"""A real collector seeded once with hand-built records, for the query client's tests.

Sessions (start_time order): ``sess-a`` (planner, alice, env=prod team=red, 3 requests,
$0.0042), ``sess-b`` (planner, bob, env=dev, one failed LLM call), ``sess-c`` (researcher,
alice, env=prod, an interrupted call then its retry, $0.55), then seven ``bulk-N`` sessions
with one cost-less custom request each. Ten sessions, seventeen requests.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.server.testing import running_collector

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``BASE`` plus ``seconds``."""
    return BASE + timedelta(seconds=seconds)


def _record(
    record_id: str, session: tuple[str, str, str | None, dict[str, str]], **fields: Any
) -> Record:
    session_id, name, user_id, properties = session
    return Record(
        id=record_id,
        session_id=session_id,
        session_name=name,
        user_id=user_id,
        properties=properties,
        **fields,
    )


def build_records() -> list[Record]:
    """The seeded records (see the module docstring)."""
    a = ("sess-a", "planner", "alice", {"env": "prod", "team": "red"})
    b = ("sess-b", "planner", "bob", {"env": "dev"})
    c = ("sess-c", "researcher", "alice", {"env": "prod"})
    llm = {"kind": RecordKind.LLM, "name": "ChatOpenAI", "provider": "openai"}
    records = [
        _record(
            "a1",
            a,
            **llm,
            model="gpt-4o-mini",
            session_path="/agent",
            start_time=at(0),
            end_time=at(0.8),
            usage=Usage(input_tokens=100, output_tokens=20),
            cost_usd=0.0012,
            time_to_first_token_ms=120,
        ),
        _record(
            "a2",
            a,
            kind=RecordKind.TOOL,
            name="search",
            session_path="/tools/search",
            start_time=at(1),
            end_time=at(1.25),
        ),
        _record(
            "a3",
            a,
            **llm,
            model="gpt-4o-mini",
            session_path="/agent",
            start_time=at(2),
            end_time=at(3),
            usage=Usage(input_tokens=200, output_tokens=50),
            cost_usd=0.003,
            request={"messages": [{"role": "user", "content": "plan a trip"}]},
            response={"content": "Lisbon"},
        ),
        _record(
            "b1",
            b,
            **llm,
            model="gpt-4o",
            session_path="/agent",
            start_time=at(3600),
            end_time=at(3600.5),
            status=Status.ERROR,
            error=ErrorInfo(type="ValueError", message="boom"),
            usage=Usage(input_tokens=50, output_tokens=0),
            cost_usd=0.0005,
        ),
        _record(
            "b2",
            b,
            kind=RecordKind.TOOL,
            name="search",
            session_path="/tools/search",
            start_time=at(3600.6),
            end_time=at(3600.7),
        ),
        _record(
            "c1",
            c,
            kind=RecordKind.LLM,
            name="ChatAnthropic",
            model="claude-3-5-sonnet",
            provider="anthropic",
            session_path="/researcher/agent",
            start_time=at(7200),
            end_time=at(7202),
            status=Status.INTERRUPTED,
            usage=Usage(input_tokens=1000, output_tokens=500),
            cost_usd=0.5,
        ),
        _record(
            "c2",
            c,
            kind=RecordKind.LLM,
            name="ChatAnthropic",
            model="claude-3-5-sonnet",
            provider="anthropic",
            session_path="/researcher/agent",
            start_time=at(7210),
            end_time=at(7211),
            attempt=2,
            usage=Usage(input_tokens=100, output_tokens=10),
            cost_usd=0.05,
        ),
    ]
    for i in range(7):
        bulk = (f"bulk-{i}", "bulk", None, {})
        start = at(3 * 3600 + 60 * i)
        records.append(
            _record(f"bulk-{i}-r", bulk, name="step", start_time=start,
                    end_time=start + timedelta(milliseconds=10))
        )  # fmt: skip
    return records


def post_records(url: str, records: list[Record]) -> None:
    """Ingest ``records`` through ``POST /v1/records`` and check every one was accepted."""
    body = {"records": [record.model_dump(mode="json") for record in records]}
    response = httpx.post(f"{url}/v1/records", json=body, timeout=30)
    response.raise_for_status()
    assert response.json()["accepted"] == len(records), response.text


@pytest.fixture(scope="session")
def collector_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real collector (uvicorn, SQLite) holding the records of `build_records`."""
    data_dir: Path = tmp_path_factory.mktemp("query-collector")
    with running_collector(data_dir=data_dir) as collector:
        post_records(collector.url, build_records())
        yield collector.url


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
