"""Records built on the shipper's worker: `Tracer.emit_later` and the ManualLogger.

The caller hands the tracer what a record is built from; the worker builds it, applies the
privacy rules, and only then encodes it. Checked against the real collector (uvicorn +
SQLite on 127.0.0.1): what is stored is what building on the caller's thread gave, the
privacy rules still hold, and a record that fails to build is lost alone, loudly.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from agenttrace._internal.manual_logger import ManualLogger
from agenttrace._internal.recorder import ResultRecorder
from agenttrace._internal.tracer import Tracer
from agenttrace.records import Record, RecordKind

if TYPE_CHECKING:
    from agenttrace.server.testing import RunningCollector
    from conftest import ShipKit

OPENAI_RESPONSE = {
    "model": "gpt-4o-mini-2024-07-18",
    "usage": {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280},
}


def _stored(url: str, session_id: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=url, timeout=30) as client:
        page = client.get(
            "/v1/requests",
            params={"session_id": session_id, "limit": 1000, "include_bodies": "true"},
        ).raise_for_status()
        rows: list[dict[str, Any]] = page.json()["requests"]
        return rows


def _tracer(kit: ShipKit, url: str, **options: Any) -> Tracer:
    settings = kit.settings(url)
    return Tracer(settings, exporter=kit.shipper(settings), **options)


def test_the_worker_builds_the_record_and_the_collector_stores_it(
    collector: RunningCollector, kit: ShipKit
) -> None:
    """`emit_later`: the build runs on the worker's thread, not the caller's, and its
    record is stored."""
    tracer = _tracer(kit, collector.url)
    threads: list[threading.Thread] = []

    def build() -> Record:
        threads.append(threading.current_thread())
        return Record(session_id="pending-1", session_path="/a", kind=RecordKind.TOOL, name="t")

    tracer.emit_later(build)
    assert tracer.flush(30.0)
    assert threads
    assert threads[0] is not threading.current_thread()
    assert [row["session_path"] for row in _stored(collector.url, "pending-1")] == ["/a"]


def test_log_request_is_priced_and_redacted_off_the_callers_thread(
    collector: RunningCollector, kit: ShipKit
) -> None:
    """A ManualLogger call through the real shipper: model, usage and cost are read from
    its results on the worker, and the redaction hook still runs before anything leaves."""
    tracer = _tracer(kit, collector.url, redact=lambda body: {"redacted": True})
    logger = ManualLogger()
    logger._tracer = tracer  # the logger's own tracer (as one given an endpoint has)

    def operation(recorder: ResultRecorder) -> str:
        recorder.append_results(OPENAI_RESPONSE)
        return "done"

    headers = {"Helicone-Session-Id": "pending-2", "Helicone-Session-Path": "/agent/llm"}
    assert logger.log_request({"_type": "llm", "model": "gpt-4o-mini"}, operation, headers) == (
        "done"
    )
    assert tracer.flush(30.0)
    [row] = _stored(collector.url, "pending-2")
    assert row["model"] == "gpt-4o-mini-2024-07-18"
    assert (row["input_tokens"], row["output_tokens"]) == (1200, 80)
    assert row["cost_usd"] is not None
    assert row["cost_usd"] > 0
    assert row["request_body"] == {"redacted": True}
    assert row["response_body"] == {"redacted": True}


def test_a_record_that_fails_to_build_is_dropped_alone_and_logged(
    collector: RunningCollector,
    kit: ShipKit,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Outside tests: the bad record is counted as dropped and logged, flush says a record
    was lost, and the records around it are stored."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")
    tracer = _tracer(kit, collector.url)

    def good(n: int) -> Record:
        return Record(session_id="pending-3", session_path=f"/n{n}", kind=RecordKind.TOOL, name="t")

    def bad() -> Record:
        return Record(session_id="x" * 300, session_path="/", kind=RecordKind.TOOL, name="t")

    tracer.emit_later(lambda: good(1))
    tracer.emit_later(bad)
    tracer.emit_later(lambda: good(2))
    assert tracer.flush(30.0) is False
    assert sorted(row["session_path"] for row in _stored(collector.url, "pending-3")) == [
        "/n1",
        "/n2",
    ]
    assert tracer.exporter.stats.dropped == 1  # type: ignore[attr-defined]
    assert "could not be built" in caplog.text
    assert tracer.flush(30.0) is True  # nothing lost since


def test_under_tests_the_build_failure_surfaces_at_flush(
    collector: RunningCollector, kit: ShipKit
) -> None:
    """Under pytest the worker's failure is raised by the caller's next flush."""
    tracer = _tracer(kit, collector.url)

    def bad() -> Record:
        return Record(session_id="x" * 300, session_path="/", kind=RecordKind.TOOL, name="t")

    tracer.emit_later(bad)
    with pytest.raises(ValueError, match="session_id"):
        tracer.flush(30.0)
