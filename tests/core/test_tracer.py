"""The process-wide tracer: privacy rules before export, failures contained."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agenttrace
from agenttrace.records import Record
from agenttrace.testing import InMemoryExporter


@pytest.fixture
def exporter() -> Iterator[InMemoryExporter]:
    """A fresh in-memory exporter as the process-wide destination."""
    exporter = InMemoryExporter()
    yield exporter
    agenttrace.configure(exporter=InMemoryExporter())


def _record() -> Record:
    return Record(session_id="s", request={"key": "sk-secret"}, response="card 4111")


def test_records_reach_the_exporter(exporter: InMemoryExporter) -> None:
    """emit() hands the record to the configured exporter unchanged."""
    agenttrace.configure(exporter=exporter)
    record = _record()
    agenttrace.emit(record)
    assert exporter.records == [record]


def test_send_bodies_false_drops_bodies(exporter: InMemoryExporter) -> None:
    """With send_bodies=False no request or response body is exported."""
    agenttrace.configure(exporter=exporter, send_bodies=False)
    agenttrace.emit(_record())
    (sent,) = exporter.records
    assert (sent.request, sent.response) == (None, None)


def test_redaction_hook_is_applied_before_export(exporter: InMemoryExporter) -> None:
    """The redact hook sees every body and only its output is exported."""

    def redact(body: Any) -> Any:
        return "[redacted]" if "secret" in str(body) or "4111" in str(body) else body

    agenttrace.configure(exporter=exporter, redact=redact)
    agenttrace.emit(_record())
    (sent,) = exporter.records
    assert (sent.request, sent.response) == ("[redacted]", "[redacted]")


def test_disabled_tracer_exports_nothing(exporter: InMemoryExporter) -> None:
    """enabled=False turns emission into a no-op."""
    agenttrace.configure(exporter=exporter, enabled=False)
    agenttrace.emit(_record())
    assert exporter.records == []


def test_failing_exporter_is_contained_outside_tests(
    exporter: InMemoryExporter, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside tests an exporter failure is logged, never raised into the caller."""

    class Broken(InMemoryExporter):
        def emit(self, record: Record) -> None:
            raise RuntimeError("disk on fire")

    agenttrace.configure(exporter=Broken())
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")
    agenttrace.emit(_record())
    assert "disk on fire" in caplog.text
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "1")
    with pytest.raises(RuntimeError, match="disk on fire"):
        agenttrace.emit(_record())


def test_reconfigure_shuts_the_previous_exporter_down(exporter: InMemoryExporter) -> None:
    """configure() shuts the previous exporter down so nothing is left running."""
    agenttrace.configure(exporter=exporter)
    agenttrace.configure(exporter=InMemoryExporter())
    assert exporter.closed is True
