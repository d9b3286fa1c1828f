"""Fixtures for the OTLP ingest tests: a real collector, and posting OTLP bodies to it.

* ``otlp_collector``: a real collector (uvicorn on 127.0.0.1, SQLite in a temporary
  directory) for one test module; tests use their own session / trace ids.
* ``receiver``: a real OTLP/HTTP receiver on 127.0.0.1 (for the export's tests);
* ``reset_tracer``: the process-wide tracer switched off after the test (the export's
  tests configure it);
* ``summary``: what a session looks like, as ``(path, kind, status, input tokens, output
  tokens)`` per request, counted (the same whoever traced it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import agenttrace
from agenttrace.query import RequestRow
from agenttrace.server.testing import RunningCollector, running_collector

from .otlp_receiver import OtlpReceiver, otlp_receiver

Shape = Counter[tuple[str, str, str, int | None, int | None]]


@pytest.fixture(scope="module")
def otlp_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A real collector over SQLite, shared by one module's tests."""
    with running_collector(data_dir=tmp_path_factory.mktemp("otlp-collector")) as collector:
        yield collector


def shape(requests: Iterable[RequestRow]) -> Shape:
    """(path, kind, status, input tokens, output tokens) of each request, counted."""
    return Counter(
        (r.session_path, r.kind.value, r.status.value, r.input_tokens, r.output_tokens)
        for r in requests
    )


def fixture_path(name: str) -> Path:
    """A recorded fixture under fixtures/."""
    return Path(__file__).resolve().parent / "fixtures" / name


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    """A real OTLP/HTTP receiver on 127.0.0.1."""
    with otlp_receiver() as received:
        yield received


@pytest.fixture
def reset_tracer(tmp_path: Path) -> Iterator[None]:
    """Switch the process-wide tracer off after the test."""
    yield
    agenttrace.configure(enabled=False, spool_dir=tmp_path / "spool")
