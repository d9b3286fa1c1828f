"""Fixtures for the example agents' tests: a real collector and the tracer pointed at it.

* ``examples_collector``: one real collector (uvicorn on 127.0.0.1, SQLite) for the tests of
  this directory; every example run makes sessions of its own, so they do not interfere.
* ``traced``: points the process-wide tracer at that collector (spool in ``tmp_path``) for
  one test; ``traced.session(id)`` flushes and reads the stored session back through the
  HTTP query API, with bodies.

The examples import their helpers as sibling modules (``from _models import ...``), as
they do when run as scripts, so their directory is put on ``sys.path`` here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import agenttrace
from agenttrace.server.testing import RunningCollector, running_collector
from agenttrace.testing import InMemoryExporter

from .helpers import Traced

ROOT = Path(__file__).resolve().parents[2]
AGENTS = ROOT / "examples" / "agents"
if str(AGENTS) not in sys.path:
    sys.path.insert(0, str(AGENTS))


@pytest.fixture(scope="module")
def examples_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A real collector over SQLite, shared by the tests of one module."""
    with running_collector(data_dir=tmp_path_factory.mktemp("examples-collector")) as collector:
        yield collector


@pytest.fixture
def traced(
    examples_collector: RunningCollector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Traced]:
    """The process-wide tracer sends to the collector during the test (offline models)."""
    monkeypatch.delenv("AGENTTRACE_EXAMPLE_MODEL", raising=False)
    agenttrace.configure(endpoint=examples_collector.url, spool_dir=tmp_path / "spool")
    yield Traced(examples_collector.url)
    agenttrace.configure(exporter=InMemoryExporter())
