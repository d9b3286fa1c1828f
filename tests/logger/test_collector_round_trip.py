"""ManualLogger -> real Shipper -> real collector (SQLite) -> GET /v1/sessions/{id}.

A session is built by hand with every way of logging (log_request, alog_request, the
builder, send_log, a failure, a nested call); every metric the collector reports for it
is checked against figures worked out here from the records that were sent.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import agenttrace
from agenttrace._internal.config import Settings
from agenttrace._internal.manual_logger import ManualLogger, shutdown_endpoint_tracers
from agenttrace._internal.recorder import ResultRecorder
from agenttrace._internal.shipping import Shipper
from agenttrace.records import Record, Status
from agenttrace.server.testing import RunningCollector
from agenttrace.testing import InMemoryExporter

OPENAI_RESPONSE = {
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"message": {"role": "assistant", "content": "Lisbon"}}],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 80,
        "total_tokens": 1280,
        "prompt_tokens_details": {"cached_tokens": 1024},
    },
}


class Tee:
    """An exporter that keeps what it passes on to the real shipper."""

    def __init__(self, inner: Shipper) -> None:
        self.inner = inner
        self.records: list[Record] = []

    def emit(self, record: Record) -> None:
        self.records.append(record)
        self.inner.emit(record)

    def flush(self, timeout: float | None = None) -> bool:
        return self.inner.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        return self.inner.shutdown(timeout)


@pytest.fixture
def shipped(collector: RunningCollector, tmp_path: Path) -> Iterator[Tee]:
    """The process tracer ships to the collector through a real Shipper (tee'd)."""
    settings = Settings.from_env(collector.url, spool_dir=tmp_path / "spool", flush_interval=0.05)
    tee = Tee(Shipper(settings))
    agenttrace.configure(collector.url, exporter=tee, spool_dir=tmp_path / "spool")
    try:
        yield tee
    finally:
        agenttrace.configure(exporter=InMemoryExporter())


def percentile_cont(values: list[float], fraction: float) -> float:
    """Linear-interpolated percentile (PostgreSQL's percentile_cont), worked out here."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def busy(milliseconds: float) -> None:
    """Work for at least ``milliseconds`` (latencies differ between requests)."""
    end = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < end:
        pass


def build_session(logger: ManualLogger) -> None:
    """One session with tools, an LLM call, a stream, a failure and a nested call."""

    def search(recorder: ResultRecorder) -> list[str]:
        busy(3)
        recorder.append_results({"documents": ["doc-1"]})
        return ["doc-1"]

    def research(recorder: ResultRecorder) -> None:
        busy(1)
        logger.log_request({"_type": "tool", "toolName": "search"}, search)

    def chat(recorder: ResultRecorder) -> str:
        busy(5)
        recorder.append_results(OPENAI_RESPONSE)
        return "Lisbon"

    def flaky(recorder: ResultRecorder) -> None:
        busy(2)
        raise ConnectionError("weather service unreachable")

    async def fetch(recorder: ResultRecorder) -> None:
        await asyncio.sleep(0)
        busy(4)

    logger.log_request({"_type": "tool", "toolName": "research"}, research)
    logger.log_request({"model": "gpt-4o-mini", "messages": []}, chat, provider="openai")
    with pytest.raises(ConnectionError):
        logger.log_request({"_type": "tool", "toolName": "weather"}, flaky)
    asyncio.run(logger.alog_request({"_type": "data", "name": "fetch"}, fetch))
    builder = logger.log_builder(
        {"model": "claude-3-5-haiku-latest", "messages": []}, provider="anthropic"
    )
    busy(2)
    builder.add_chunk(
        {
            "type": "message_start",
            "message": {
                "model": "claude-3-5-haiku-20241022",
                "usage": {"input_tokens": 30, "cache_read_input_tokens": 200, "output_tokens": 1},
            },
        }
    )
    busy(2)
    builder.add_chunk({"type": "message_delta", "usage": {"output_tokens": 40}})
    builder.send_log()
    now = time.time()
    logger.send_log(
        None,
        {"_type": "tool", "toolName": "geocode"},
        {"lat": 38.7},
        {"start_time": now - 0.25, "end_time": now - 0.2},
    )


def test_session_metrics_round_trip(collector: RunningCollector, shipped: Tee) -> None:
    """Cost, duration, counts, tokens, latencies, errors and status match the records sent."""
    logger = ManualLogger(headers={"Helicone-Property-App": "trip"})
    with agenttrace.session(name="Trip planner", user_id="traveller-1", path="/planner") as scope:
        build_session(logger)
    assert agenttrace.flush(30), "the shipper did not deliver everything"
    records = shipped.records
    assert len(records) == 7
    assert all(r.session_id == scope.id for r in records)

    with collector.client(timeout=10) as client:
        response = client.get(f"/v1/sessions/{scope.id}")
    assert response.status_code == 200, response.text
    detail = response.json()
    session = detail["session"]

    latencies = [r.latency_ms for r in records if r.latency_ms is not None]
    starts = [r.start_time for r in records]
    ends = [r.end_time for r in records if r.end_time is not None]
    costs = [r.cost_usd for r in records if r.cost_usd is not None]
    assert len(costs) == 2  # the OpenAI and the Anthropic call
    assert session["session_id"] == scope.id
    assert session["session_name"] == "Trip planner"
    assert session["request_count"] == 7
    assert session["cost_usd"] == pytest.approx(sum(costs), rel=1e-9)
    assert session["input_tokens"] == 1200 + 230
    assert session["output_tokens"] == 80 + 40
    assert session["total_tokens"] == 1280 + 270
    assert session["error_count"] == 1
    assert session["status"] == "error"
    assert session["mean_latency_ms"] == pytest.approx(statistics.fmean(latencies), abs=1e-6)
    assert session["p50_latency_ms"] == pytest.approx(percentile_cont(latencies, 0.5), abs=1e-6)
    assert session["p95_latency_ms"] == pytest.approx(percentile_cont(latencies, 0.95), abs=1e-6)
    expected_duration = (max(ends) - min(starts)).total_seconds() * 1000
    assert session["duration_ms"] == pytest.approx(expected_duration, abs=1e-3)
    assert session["user_ids"] == ["traveller-1"]
    assert session["properties"] == {"App": "trip"}

    paths = {row["path"]: row for row in detail["paths"]}
    assert set(paths) == {
        "/planner",
        "/planner/research",
        "/planner/research/search",
        "/planner/weather",
        "/planner/fetch",
        "/planner/geocode",
    }
    assert paths["/planner"]["request_count"] == 2  # the two LLM calls add no segment
    assert paths["/planner/weather"]["error_count"] == 1

    requests = {row["id"]: row for row in detail["requests"]}
    assert set(requests) == {r.id for r in records}
    for record in records:
        row = requests[record.id]
        assert row["status"] == record.status.value
        assert row["parent_id"] == record.parent_id
        assert row["latency_ms"] == pytest.approx(record.latency_ms, abs=1e-3)
    search = next(r for r in records if r.name == "search")
    research = next(r for r in records if r.name == "research")
    assert requests[search.id]["parent_id"] == research.id
    weather = next(r for r in records if r.status is Status.ERROR)
    assert requests[weather.id]["error"] == {
        "type": "ConnectionError",
        "message": "weather service unreachable",
    }


def test_logger_with_its_own_endpoint_delivers_there(
    collector: RunningCollector,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    exporter: InMemoryExporter,
) -> None:
    """logging_endpoint= sends through a tracer of its own, shared by loggers naming it."""
    monkeypatch.setenv("AGENTTRACE_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("AGENTTRACE_FLUSH_INTERVAL", "0.05")
    try:
        logger = ManualLogger(api_key="sk-test", logging_endpoint=collector.url)
        same = ManualLogger(api_key="sk-test", logging_endpoint=collector.url)
        assert logger.tracer is same.tracer
        assert logger.tracer is not agenttrace.get_tracer()
        builder = logger.log_builder(
            {"_type": "tool", "toolName": "stream"}, {"Helicone-Session-Id": "own-endpoint"}
        )
        builder.add_chunk("x")
        builder.send_log()
        logger.log_request(
            {"_type": "tool", "toolName": "search"},
            lambda r: None,
            {"Helicone-Session-Id": "own-endpoint"},
        )
        assert logger.flush(30)
    finally:
        assert shutdown_endpoint_tracers(10)
    assert exporter.records == []  # nothing went through the process tracer
    with httpx.Client(base_url=collector.url, timeout=10) as client:
        answer: dict[str, Any] = client.get("/v1/sessions/own-endpoint").json()
    assert answer["session"]["request_count"] == 2
    assert {row["session_path"] for row in answer["requests"]} == {"/stream", "/search"}


def test_logger_naming_the_process_endpoint_uses_the_process_tracer(
    exporter: InMemoryExporter,
) -> None:
    """An endpoint and key equal to the process tracer's do not start a second shipper."""
    settings = agenttrace.get_tracer().settings
    logger = ManualLogger(api_key=settings.api_key, logging_endpoint=settings.endpoint)
    logger.log_request({"_type": "tool", "toolName": "search"}, lambda r: None)
    assert len(exporter.records) == 1
