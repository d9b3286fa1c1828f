"""Collectors with API keys, on SQLite and on PostgreSQL, for the access and limit tests.

``database_url`` is a fresh SQLite file or a fresh PostgreSQL schema (the ``postgresql``
variants skip without a server, and fail under ``CI=true``). ``keyed`` is a real collector
(uvicorn on 127.0.0.1) over it with two projects, ``alpha`` and ``beta``, one key each.
`headless_chromium` starts the browser tests' Chromium (skipped without it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.postgres_server import require_server, temporary_schema

from agenttrace.server.store import SqlStore, database_url_for
from agenttrace.server.store.api_keys import SqlKeyStore
from agenttrace.server.testing import RunningCollector, running_collector

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
CHROMIUM = os.environ.get("AGENTTRACE_TEST_CHROMIUM", "/usr/bin/chromium")
RecordDict = dict[str, Any]
MakeRecord = Callable[..., RecordDict]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        yield database_url_for(tmp_path)
        return
    with temporary_schema(require_server()) as url:
        yield url


def bearer(key: str) -> dict[str, str]:
    """The header that carries ``key``."""
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Keyed:
    """A running collector with projects ``alpha`` and ``beta`` and a key for each."""

    collector: RunningCollector
    keys: SqlKeyStore
    alpha: str
    beta: str

    @property
    def url(self) -> str:
        """The collector's base URL."""
        return self.collector.url

    def client(self, key: str | None) -> httpx.Client:
        """An HTTP client that sends ``key`` (or no key)."""
        return httpx.Client(base_url=self.url, headers=bearer(key) if key else {}, timeout=30.0)


def keys_of(collector: RunningCollector) -> SqlKeyStore:
    """The key store of a collector's database."""
    assert isinstance(collector.store, SqlStore)
    return collector.store.key_store()


@pytest.fixture
def keyed(database_url: str) -> Iterator[Keyed]:
    """A real collector on 127.0.0.1 with keys for projects alpha and beta (no rate limit)."""
    with running_collector(database_url, rate_limit=None) as collector:
        keys = keys_of(collector)
        alpha = keys.create_key("alpha", "alpha's key").secret
        beta = keys.create_key("beta").secret
        yield Keyed(collector=collector, keys=keys, alpha=alpha, beta=beta)


def _record(
    record_id: str, session_id: str = "s-1", *, start_s: float = 0, **fields: Any
) -> RecordDict:
    start = T0 + timedelta(seconds=start_s)
    return {
        "id": record_id,
        "session_id": session_id,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(milliseconds=250)).isoformat(),
        **fields,
    }


@pytest.fixture(scope="session")
def record() -> MakeRecord:
    """``record(id, session_id, start_s=, **fields)`` -> a wire record dict."""
    return _record


@contextmanager
def headless_chromium(*args: str) -> Iterator[Any]:
    """Headless Chromium through Playwright, launched with ``args``; the test is skipped
    without it (failed under ``CI=true``)."""
    if shutil.which(CHROMIUM) is None:
        message = (
            f"{CHROMIUM} is missing (apt-get install chromium, or set AGENTTRACE_TEST_CHROMIUM)"
        )
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", *args]
        )
        try:
            yield browser
        finally:
            browser.close()
