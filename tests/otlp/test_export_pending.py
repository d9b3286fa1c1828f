"""Records built on the OpenTelemetry export's thread (`emit_later`, the door's).

Checked against a real OTLP/HTTP receiver on 127.0.0.1 (and the real collector for
``export_to="both"``): the build runs on the export's thread, a record that fails to build
is lost alone and loudly, and the collector and the OTLP export share one build.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import agenttrace
from agenttrace.instrumentation import emit_later
from agenttrace.records import Record, RecordKind

from .otlp_receiver import OtlpReceiver

if TYPE_CHECKING:
    from agenttrace.server.testing import RunningCollector


pytestmark = pytest.mark.usefixtures("reset_tracer")


def _to_receiver(receiver: OtlpReceiver, tmp_path: Path) -> Any:
    return agenttrace.configure(
        otlp_endpoint=receiver.url, export_to="otlp", spool_dir=tmp_path / "spool"
    )


def _record(session_id: str, path: str) -> Record:
    return Record(session_id=session_id, session_path=path, kind=RecordKind.TOOL, name="t")


def _bad() -> Record:
    return Record(session_id="x" * 300, session_path="/", kind=RecordKind.TOOL, name="t")


def _record_paths(receiver: OtlpReceiver, session_id: str) -> list[str]:
    return sorted(
        span.attributes["agenttrace.path"]
        for span in receiver.spans
        if "agenttrace.record.id" in span.attributes and span.attributes["session.id"] == session_id
    )


def test_the_export_thread_builds_the_record(receiver: OtlpReceiver, tmp_path: Path) -> None:
    """`emit_later` hands the exporter the build; it runs on the export's thread."""
    tracer = _to_receiver(receiver, tmp_path)
    threads: list[threading.Thread] = []

    def build() -> Record:
        threads.append(threading.current_thread())
        return _record("otel-pending-1", "/a")

    emit_later(build)
    assert tracer.flush(30.0)
    assert threads
    assert threads[0] is not threading.current_thread()
    assert _record_paths(receiver, "otel-pending-1") == ["/a"]


def test_a_record_that_fails_to_build_is_dropped_alone_and_logged(
    receiver: OtlpReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Outside tests: the bad record is counted and logged, flush says one was lost, and
    the records around it are sent in the same tree."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")
    tracer = _to_receiver(receiver, tmp_path)
    emit_later(lambda: _record("otel-pending-2", "/n1"))
    emit_later(_bad)
    emit_later(lambda: _record("otel-pending-2", "/n2"))
    assert tracer.flush(30.0) is False
    assert _record_paths(receiver, "otel-pending-2") == ["/n1", "/n2"]
    exporter: Any = tracer.exporter
    assert exporter.dropped == 1
    assert "could not be built" in caplog.text
    assert tracer.flush(30.0) is True  # nothing lost since


def test_under_tests_the_build_failure_surfaces_at_flush(
    receiver: OtlpReceiver, tmp_path: Path
) -> None:
    """Under pytest the export thread's failure is raised by the caller's next flush."""
    tracer = _to_receiver(receiver, tmp_path)
    emit_later(_bad)
    with pytest.raises(ValueError, match="session_id"):
        tracer.flush(30.0)
    assert tracer.flush(30.0) is True


def test_both_wires_share_one_build(
    receiver: OtlpReceiver, otlp_collector: RunningCollector, tmp_path: Path
) -> None:
    """``export_to="both"``: the record is built once, off the caller's thread, and the
    collector stores it and the OTLP receiver gets its span."""
    tracer = agenttrace.configure(
        otlp_collector.url,
        otlp_endpoint=receiver.url,
        export_to="both",
        spool_dir=tmp_path / "spool",
    )
    builds: list[threading.Thread] = []

    def build() -> Record:
        builds.append(threading.current_thread())
        return _record("otel-pending-3", "/once")

    emit_later(build)
    assert tracer.flush(30.0)
    assert len(builds) == 1
    assert builds[0] is not threading.current_thread()
    assert _record_paths(receiver, "otel-pending-3") == ["/once"]
    with httpx.Client(base_url=otlp_collector.url, timeout=30) as client:
        page = client.get("/v1/requests", params={"session_id": "otel-pending-3"})
        assert [row["session_path"] for row in page.raise_for_status().json()["requests"]] == [
            "/once"
        ]


def test_both_wires_raise_a_failed_build_once_and_flush_both(
    receiver: OtlpReceiver, otlp_collector: RunningCollector, tmp_path: Path
) -> None:
    """``export_to="both"`` under tests: a failed build is raised by the next flush, which
    still flushes both wires (the record after it reaches both), and only once."""
    tracer = agenttrace.configure(
        otlp_collector.url,
        otlp_endpoint=receiver.url,
        export_to="both",
        spool_dir=tmp_path / "spool",
    )
    emit_later(_bad)
    emit_later(lambda: _record("otel-pending-4", "/after"))
    with pytest.raises(ValueError, match="session_id"):
        tracer.flush(30.0)
    assert _record_paths(receiver, "otel-pending-4") == ["/after"]
    assert tracer.flush(30.0) is True
