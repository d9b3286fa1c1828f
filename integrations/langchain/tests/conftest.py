"""Fixtures for the LangChain handler tests.

* ``exporter``: every test gets a fresh `InMemoryExporter` as the process-wide exporter
  (autouse), so records never leave the process and tests never see each other's records.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import agenttrace
from agenttrace.testing import InMemoryExporter


@pytest.fixture(autouse=True)
def exporter() -> Iterator[InMemoryExporter]:
    """The in-memory exporter records go to during the test."""
    memory = InMemoryExporter()
    agenttrace.configure(exporter=memory)
    yield memory
    agenttrace.configure(exporter=InMemoryExporter())
