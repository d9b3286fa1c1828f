"""Fixtures for the ManualLogger and pricing tests.

* ``exporter``: an `InMemoryExporter` configured as the process-wide destination; the
  tracer is reset to a fresh in-memory one afterwards.
* ``logger``: a `ManualLogger` sending through that process-wide tracer.
* ``log_mode``: internal errors are logged instead of re-raised (as in production), to
  show that tracing failures never reach the caller.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace.testing import InMemoryExporter


@pytest.fixture
def exporter() -> Iterator[InMemoryExporter]:
    """A fresh in-memory exporter as the process-wide destination."""
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter)
    yield exporter
    agenttrace.configure(exporter=InMemoryExporter())


@pytest.fixture
def logger(exporter: InMemoryExporter) -> ManualLogger:
    """A ManualLogger that sends through the in-memory process tracer."""
    return ManualLogger()


@pytest.fixture
def log_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Internal errors are logged, not raised, as outside tests."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")
