"""Fixtures shared by the whole core test suite.

* ``collector``: a real collector (uvicorn on 127.0.0.1, free port) over a SQLite file in
  ``tmp_path``; ``collector.url`` and ``collector.store``.
* ``store_factory`` / ``store``: every store backend, so a store test written once runs
  against each: SQLite in ``tmp_path``, PostgreSQL in a fresh schema of the test server
  (marked ``postgres``; skipped without a server, failed under ``CI=true``).
* ``exporter``: an `InMemoryExporter` configured as the process-wide destination; the
  tracer is reset to a fresh in-memory one afterwards.
* ``log_mode``: internal errors are logged instead of re-raised (as in production), to
  show that tracing failures never reach the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.support.postgres_server import require_server, temporary_schema

import agenttrace
from agenttrace.server.store import Store, database_url_for, open_store
from agenttrace.server.testing import RunningCollector, running_collector
from agenttrace.testing import InMemoryExporter

STORE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass
class StoreFactory:
    """Opens stores on one test database; every store it opened is closed at teardown."""

    backend: str
    database_url: str
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        """A new store over the same database (reopening shows what survived)."""
        store = open_store(self.database_url)
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        """Close every store this factory opened."""
        for store in self.opened:
            store.close()


def _database_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return database_url_for(tmp_path)
    msg = f"no test database for store backend {backend!r}"
    raise ValueError(msg)


@pytest.fixture(params=STORE_BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of stores over a fresh test database, once per backend."""
    backend = str(request.param)
    with ExitStack() as cleanup:
        if backend == "postgresql":
            url = cleanup.enter_context(temporary_schema(require_server()))
        else:
            url = _database_url(backend, tmp_path)
        factory = StoreFactory(backend=backend, database_url=url)
        try:
            yield factory
        finally:
            factory.close_all()


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    """An open store over a fresh test database (every backend)."""
    return store_factory.open()


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """A real collector on 127.0.0.1 over a SQLite file in ``tmp_path``."""
    with running_collector(data_dir=tmp_path / "collector") as running:
        yield running


@pytest.fixture
def exporter() -> Iterator[InMemoryExporter]:
    """A fresh in-memory exporter as the process-wide destination."""
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter)
    yield exporter
    agenttrace.configure(exporter=InMemoryExporter())


@pytest.fixture
def log_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Internal errors are logged, not raised, as outside tests."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")
