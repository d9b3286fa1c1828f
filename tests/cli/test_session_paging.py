"""``agenttrace session`` follows the session's pages up to ``--limit`` and says what it
left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from agenttrace.records import Record, RecordKind
from agenttrace.server.testing import RunningCollector

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def seed(collector: RunningCollector, count: int) -> None:
    """One session ``long`` of ``count`` tool calls on /agent/tools/search."""
    records = [
        Record(
            id=f"r-{index:05d}",
            kind=RecordKind.TOOL,
            session_id="long",
            session_name="long run",
            session_path="/agent/tools/search",
            name="search",
            start_time=T0 + timedelta(milliseconds=index),
            end_time=T0 + timedelta(milliseconds=index + 2),
        )
        for index in range(count)
    ]
    body = {"records": [record.model_dump(mode="json") for record in records]}
    httpx.post(f"{collector.url}/v1/records", json=body, timeout=60).raise_for_status()


def test_session_shows_the_first_limit_requests_and_a_note(
    cli: Any, collector: RunningCollector
) -> None:
    """--limit 150 of 1,200: 150 leaves, the folders' figures count all 1,200, and two
    lines say how many were not fetched and how to see them."""
    seed(collector, 1200)
    result = cli("session", "long", "--limit", "150", endpoint=collector.url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("long run long  ok")
    assert "1,200 requests" in lines[0]
    assert sum("tool search  ok" in line for line in lines) == 150
    assert lines[-2].endswith("… 1,050 more requests not fetched")
    assert lines[-1] == (
        "showing the first 150 of 1,200 requests (--limit 0 shows every one, --limit N the first N)"
    )


def test_session_by_default_fetches_up_to_1000_and_limit_0_fetches_all(
    cli: Any, collector: RunningCollector
) -> None:
    """Without --limit the first 1,000 requests; --limit 0 all 1,200 (over two pages)."""
    seed(collector, 1200)
    first = cli("session", "long", "--json", endpoint=collector.url)
    detail = json.loads(first.stdout)
    assert len(detail["requests"]) == 1000
    assert detail["next_cursor"] is not None
    every = json.loads(
        cli("session", "long", "--json", "--limit", "0", endpoint=collector.url).stdout
    )
    assert [row["id"] for row in every["requests"]] == [f"r-{i:05d}" for i in range(1200)]
    assert every["next_cursor"] is None
    plain = cli("session", "long", "--limit", "0", endpoint=collector.url).stdout
    assert "not fetched" not in plain
    assert "showing the first" not in plain
