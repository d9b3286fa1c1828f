"""Fixtures for the ManualLogger tests (``exporter`` and ``log_mode`` are the suite's).

* ``logger``: a `ManualLogger` sending through the process-wide in-memory tracer.
"""

from __future__ import annotations

import pytest

from agenttrace import ManualLogger
from agenttrace.testing import InMemoryExporter


@pytest.fixture
def logger(exporter: InMemoryExporter) -> ManualLogger:
    """A ManualLogger that sends through the in-memory process tracer."""
    return ManualLogger()
