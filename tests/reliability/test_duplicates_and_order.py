"""Duplicate and out-of-order delivery: stored once, session metrics as if delivered in order.

Retries, spool re-sends and several processes writing one session mean the collector sees
the same batch twice, a session's records in reverse time order, and a long-running parent
(reported when it ends, so after its children started) before its children. The session's
duration, counts, tokens, cost, latency and status must come out exactly as when the
records arrive once, in order, in one batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from faultkit import T0, Workload, read_database

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper, Spool, encode_batch
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.server.testing import RunningCollector, running_collector

LATENCIES_MS = [12_000, 1_500, 500, 2_000, 250, 3_000]
EXPECTED_SESSION = {
    "request_count": 6,
    "error_count": 1,
    "status": "error",
    "input_tokens": 450,
    "output_tokens": 100,
    "total_tokens": 550,
    "cost_usd": 0.875,
    "duration_ms": 12_000.0,
    "mean_latency_ms": pytest.approx(sum(LATENCIES_MS) / 6),
    "start_time": "2025-06-01T12:00:00Z",
    "last_start_time": "2025-06-01T12:00:08Z",
    "user_ids": ["user-7"],
}


def _at(seconds: float) -> Any:
    return T0 + timedelta(seconds=seconds)


def agent_run(session_id: str) -> list[Record]:
    """One agent run, in time order: a parent spanning it all, then five calls."""
    parent = Record(
        id=f"{session_id}-agent", kind=RecordKind.CHAIN, session_id=session_id,
        session_name="ordering", session_path="/agent", name="agent",
        start_time=_at(0), end_time=_at(12), user_id="user-7",
    )  # fmt: skip

    def call(name: str, start: float, end: float, **fields: Any) -> Record:
        return Record(
            id=f"{session_id}-{name}", session_id=session_id, session_path="/agent",
            parent_id=parent.id, name=name, start_time=_at(start), end_time=_at(end), **fields,
        )  # fmt: skip

    return [
        parent,
        call("llm-1", 1, 2.5, kind=RecordKind.LLM, usage=Usage(input_tokens=100, output_tokens=20),
             cost_usd=0.25),
        call("search", 3, 3.5, kind=RecordKind.TOOL),
        call("llm-2", 4, 6, kind=RecordKind.LLM, usage=Usage(input_tokens=150, output_tokens=30),
             cost_usd=0.5, status=Status.ERROR, error=ErrorInfo(type="RateLimitError")),
        call("ask-human", 7, 7.25, kind=RecordKind.TOOL, status=Status.INTERRUPTED),
        call("llm-3", 8, 11, kind=RecordKind.LLM, usage=Usage(input_tokens=200, output_tokens=50),
             cost_usd=0.125),
    ]  # fmt: skip


def post(collector: RunningCollector, records: list[Record]) -> dict[str, Any]:
    """POST ``records`` as one batch; the ingest answer."""
    body = {"records": [record.model_dump(mode="json") for record in records]}
    answer = httpx.post(f"{collector.url}/v1/records", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def session_view(collector: RunningCollector, session_id: str) -> dict[str, Any]:
    """The session row, paths and tree as the query API serves them, ids left out."""
    detail = httpx.get(f"{collector.url}/v1/sessions/{session_id}", timeout=30).json()
    row = {k: v for k, v in detail["session"].items() if k != "session_id"}

    def strip(node: dict[str, Any]) -> dict[str, Any]:
        node = {k: v for k, v in node.items() if k != "request_ids"}
        node["children"] = [strip(child) for child in node["children"]]
        return node

    return {"session": row, "paths": detail["paths"], "tree": strip(detail["tree"])}


@pytest.fixture
def collector(database_url: str, tmp_path: Path) -> Iterator[RunningCollector]:
    """A real collector (uvicorn on 127.0.0.1) over each backend's fresh database."""
    with running_collector(database_url) as running:
        yield running


@pytest.mark.timeout(120)
def test_duplicated_and_reversed_delivery_gives_the_in_order_metrics(
    collector: RunningCollector, database_url: str
) -> None:
    """The parent first, then the calls newest first one batch each, then the whole batch
    again and a batch repeating one record: stored once, metrics as if sent in order."""
    in_order = agent_run("in-order")
    assert post(collector, in_order) == {"accepted": 6, "duplicates": 0, "rejected": []}

    shuffled = agent_run("shuffled")
    parent, *calls = shuffled
    answers = [post(collector, [parent])]
    answers += [post(collector, [record]) for record in reversed(calls)]
    assert [a["accepted"] for a in answers] == [1] * 6
    assert post(collector, shuffled) == {"accepted": 0, "duplicates": 6, "rejected": []}
    again = post(collector, [calls[0], calls[0], calls[2]])
    assert again == {"accepted": 0, "duplicates": 3, "rejected": []}

    reference, reordered = session_view(collector, "in-order"), session_view(collector, "shuffled")
    assert reordered == reference
    for key, value in EXPECTED_SESSION.items():
        assert reordered["session"][key] == value, key
    stored = read_database(database_url)
    assert sorted(stored.ids) == sorted(r.id for r in in_order + shuffled)
    assert stored.rollups == stored.sums
    assert stored.rollups["shuffled"].duration_us == 12_000_000


@pytest.mark.timeout(120)
def test_a_spool_file_replayed_twice_is_stored_once(
    collector: RunningCollector, database_url: str, tmp_path: Path
) -> None:
    """Two spool files holding the same batch (a claim recovered after its sender died
    having delivered it) are both sent; the second counts as duplicates only."""
    workload = Workload()
    records = [workload.record(0, index) for index in range(300)]
    for record in records:
        workload.note(record)
    spool_dir = tmp_path / "spool"
    spool = Spool(spool_dir, 10 * 2**20)
    body = encode_batch(records)
    assert spool.write(body, len(records)) is None
    assert spool.write(body, len(records)) is None
    shipper = Shipper(Settings.from_env(collector.url, spool_dir=spool_dir, flush_interval=0.05))
    try:
        assert shipper.flush(60)
        stats = shipper.stats
    finally:
        shipper.shutdown(10)
    assert (stats.sent, stats.duplicates, stats.delivered_from_spool) == (300, 300, 600)
    assert list(spool_dir.glob("*.json")) == []
    verdict = workload.verify(read_database(database_url))
    assert verdict.problems == []
    assert (verdict.stored_rows, verdict.rolled_up_requests) == (300, 300)
