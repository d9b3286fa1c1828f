"""agenttrace.flush() and shutdown() cover every tracer in the process, and return as soon
as the records are stored or safe in the spool (ManualLogger -> Shipper -> collector)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace._internal.manual_logger import shutdown_endpoint_tracers
from agenttrace._internal.shipping import Shipper, record_ids
from agenttrace.server.testing import RunningCollector
from agenttrace.testing import InMemoryExporter


@pytest.fixture
def slow_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Shippers made from the environment send only on flush (a 60 s interval) and spool
    under ``tmp_path``; loggers' own tracers are shut down afterwards."""
    monkeypatch.setenv("AGENTTRACE_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("AGENTTRACE_FLUSH_INTERVAL", "60")
    yield tmp_path / "spool"
    shutdown_endpoint_tracers(10)


@pytest.fixture
def dead_endpoint() -> Iterator[str]:
    """A URL whose port is bound but not listening: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def log_calls(logger: ManualLogger, session_id: str, count: int) -> None:
    """``count`` tool calls in session ``session_id``."""
    for i in range(count):
        logger.log_request(
            {"_type": "tool", "toolName": f"search-{i}"},
            lambda recorder: recorder.append_results({"hits": 2}),
            {"Helicone-Session-Id": session_id},
        )


def stored_requests(collector: RunningCollector, session_id: str) -> int:
    """How many requests of ``session_id`` the collector has stored right now."""
    with collector.client(timeout=10) as client:
        answer = client.get(f"/v1/sessions/{session_id}")
    if answer.status_code == 404:
        return 0
    body: dict[str, Any] = answer.json()
    return len(body["requests"])


def spooled_ids(spool_dir: Path) -> list[str]:
    """The record ids in every ready spool file under ``spool_dir``."""
    return [i for path in sorted(spool_dir.rglob("*.json")) for i in record_ids(path.read_bytes())]


def test_flush_covers_a_logger_with_its_own_endpoint(
    collector: RunningCollector, slow_interval: Path, exporter: InMemoryExporter
) -> None:
    """Helicone's usual form, ManualLogger(api_key=..., logging_endpoint=...): when
    agenttrace.flush() returns True every record is already stored in the collector."""
    logger = ManualLogger(api_key="sk-helicone-style", logging_endpoint=collector.url)
    log_calls(logger, "own-endpoint-flush", 5)
    assert agenttrace.flush(30)
    assert stored_requests(collector, "own-endpoint-flush") == 5
    assert exporter.records == []


def test_shutdown_covers_a_logger_with_its_own_endpoint(
    collector: RunningCollector, slow_interval: Path, exporter: InMemoryExporter
) -> None:
    """agenttrace.shutdown() delivers a logger's own tracer's records too, and a logger made
    afterwards for the same endpoint gets a working tracer again."""
    logger = ManualLogger(api_key="sk-helicone-style", logging_endpoint=collector.url)
    log_calls(logger, "own-endpoint-shutdown", 4)
    assert agenttrace.shutdown(30)
    assert stored_requests(collector, "own-endpoint-shutdown") == 4
    later = ManualLogger(api_key="sk-helicone-style", logging_endpoint=collector.url)
    assert later.tracer is not logger.tracer
    log_calls(later, "own-endpoint-after", 1)
    assert agenttrace.flush(30)
    assert stored_requests(collector, "own-endpoint-after") == 1


@pytest.mark.timeout(30)
def test_quick_start_with_the_collector_down_returns_at_once_and_delivers_later(
    dead_endpoint: str,
    collector: RunningCollector,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The README's Quick start with nothing listening: agenttrace.flush() (no timeout, a
    60 s retry deadline) returns True once the records are in the spool, in one line saying
    where; the next tracer, once a collector answers, delivers them once each."""
    spool_dir = tmp_path / "spool"
    agenttrace.configure(
        dead_endpoint, spool_dir=spool_dir, retry_deadline=60.0, flush_interval=60.0
    )
    try:
        log_calls(ManualLogger(), "quick-start-down", 3)
        with caplog.at_level(logging.WARNING, logger="agenttrace"):
            assert agenttrace.flush()
        (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert f"{dead_endpoint} does not answer; 3 record(s) are safe" in line
        assert str(spool_dir) in line
        assert len(spooled_ids(spool_dir)) == 3
        # the next run, with the collector up, sends the spool along with its own records
        agenttrace.configure(collector.url, spool_dir=spool_dir, flush_interval=0.05)
        log_calls(ManualLogger(), "quick-start-up", 1)
        assert agenttrace.flush(30)
        assert stored_requests(collector, "quick-start-down") == 3
        assert stored_requests(collector, "quick-start-up") == 1
        assert spooled_ids(spool_dir) == []
        shipper = agenttrace.get_tracer().exporter
        assert isinstance(shipper, Shipper)
        assert shipper.stats.delivered_from_spool == 3
        assert shipper.stats.duplicates == 0
    finally:
        agenttrace.configure(exporter=InMemoryExporter())


@pytest.mark.timeout(30)
def test_flush_covers_every_tracer_when_their_collectors_are_down(
    dead_endpoint: str, slow_interval: Path, tmp_path: Path, exporter: InMemoryExporter
) -> None:
    """Two loggers with their own (dead) endpoints and keys: one agenttrace.flush() spools
    the records of both promptly (a 60 s retry deadline) and says True."""
    first = ManualLogger(api_key="sk-one", logging_endpoint=dead_endpoint)
    second = ManualLogger(api_key="sk-two", logging_endpoint=dead_endpoint)
    assert first.tracer is not second.tracer
    for logger in (first, second):
        assert isinstance(logger.tracer.exporter, Shipper)
    log_calls(first, "down-one", 2)
    log_calls(second, "down-two", 3)
    assert agenttrace.flush()
    assert len(spooled_ids(slow_interval)) == 5
