"""PostgreSQL going away and coming back: `StoreUnavailableError`, 503 with Retry-After from
the collector, reconnection by the pool, and a real `Shipper` losing nothing meanwhile.

The store reaches PostgreSQL through ``tcp_proxy``; cutting the proxy drops the pool's
connections and refuses new ones, as a server that went down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request, Response

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper
from agenttrace.records import Record
from agenttrace.server.app import create_app
from agenttrace.server.store import SessionQuery, StoreUnavailableError
from agenttrace.server.store.postgres import PostgresStore
from agenttrace.server.testing import serve_in_thread

pytestmark = pytest.mark.postgres

PROJECT = "default"
TIMEOUT_S = 0.5
RECOVERY_DEADLINE_S = 30.0


def _until_available(call: Callable[[], Any]) -> Any:
    """``call()`` once the store answers again (the pool reconnects in the background)."""
    deadline = time.monotonic() + RECOVERY_DEADLINE_S
    while True:
        try:
            return call()
        except StoreUnavailableError:
            if time.monotonic() > deadline:
                raise
        # each failed call already waited TIMEOUT_S for a connection: no sleep needed


@pytest.fixture
def proxied_store(
    open_pg: Callable[..., PostgresStore], postgres_url: str, tcp_proxy: Any
) -> PostgresStore:
    """A store reaching the test schema through the proxy, giving up on a call after 0.5 s."""
    return open_pg(tcp_proxy.url_for(postgres_url), timeout=TIMEOUT_S, retry_after=3)


def test_store_raises_unavailable_then_reconnects(
    proxied_store: PostgresStore, tcp_proxy: Any, rec: Callable[..., Record]
) -> None:
    """While the server is gone every method raises StoreUnavailableError (saying where
    and when to retry); once it is back, the same store works again and lost nothing."""
    assert proxied_store.ingest(PROJECT, [rec("before", "s")]).accepted == 1
    tcp_proxy.cut()
    calls: list[Callable[[], object]] = [
        lambda: proxied_store.query_sessions(PROJECT, SessionQuery()),
        lambda: proxied_store.ingest(PROJECT, [rec("during", "s")]),
        lambda: proxied_store.get_request(PROJECT, "before"),
        proxied_store.schema_version,
    ]
    for call in calls:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError) as caught:
            call()
        assert time.monotonic() - started < TIMEOUT_S + 5
        assert "is unavailable" in str(caught.value)
        assert f"127.0.0.1:{tcp_proxy.port}" in str(caught.value)
        assert caught.value.retry_after == 3
    tcp_proxy.restore()
    counts = _until_available(
        lambda: proxied_store.ingest(PROJECT, [rec("after", "s", start_ms=5)])
    )
    assert counts.accepted == 1
    session = proxied_store.get_session(PROJECT, "s")
    assert session is not None
    assert [r.id for r in session.requests] == ["before", "after"]


def test_collector_answers_503_with_retry_after(
    proxied_store: PostgresStore, tcp_proxy: Any, make_wire_record: Callable[..., Any]
) -> None:
    """Ingest, queries and /healthz answer 503 with Retry-After and a one-sentence error
    while PostgreSQL is unreachable, and 200 again once it is back."""
    with serve_in_thread(create_app(proxied_store)) as url, httpx.Client(base_url=url) as http:
        tcp_proxy.cut()
        answers = [
            http.post("/v1/records", json={"records": [make_wire_record("x", "s")]}),
            http.get("/v1/sessions"),
            http.get("/healthz"),
        ]
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "3"
            assert "is unavailable" in answer.json()["error"]
        helicone = http.post("/v1/request/query", json={"filter": "all"})
        assert helicone.status_code == 503
        assert helicone.json()["data"] is None
        tcp_proxy.restore()
        assert _until_available(proxied_store.schema_version) >= 1
        answer = http.post("/v1/records", json={"records": [make_wire_record("x", "s")]})
        assert (answer.status_code, answer.json()["accepted"]) == (200, 1)


@pytest.fixture
def make_wire_record() -> Callable[..., dict[str, Any]]:
    """``make_wire_record(id, session_id)`` -> a record as a client sends it."""

    def make(record_id: str, session_id: str) -> dict[str, Any]:
        return {"id": record_id, "session_id": session_id, "start_time": "2025-03-01T10:00:00Z"}

    return make


@pytest.fixture
def outage_app(proxied_store: PostgresStore) -> Iterator[tuple[str, threading.Event]]:
    """The collector over the proxied store, and an event set at its first 503 answer."""
    app = create_app(proxied_store)
    answered_503 = threading.Event()

    @app.middleware("http")
    async def watch(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        if response.status_code == 503:
            answered_503.set()
        return response

    with serve_in_thread(app) as url:
        yield url, answered_503


def test_shipper_delivers_everything_across_an_outage(
    outage_app: tuple[str, threading.Event],
    proxied_store: PostgresStore,
    tcp_proxy: Any,
    rec: Callable[..., Record],
    tmp_path: Path,
) -> None:
    """Records emitted while PostgreSQL is down are retried (503 + Retry-After) by the real
    Shipper and all stored, once each, when it comes back."""
    url, answered_503 = outage_app
    tcp_proxy.cut()
    settings = Settings.from_env(
        endpoint=url, spool_dir=tmp_path / "spool", flush_interval=0.05, retry_deadline=60.0
    )
    shipper = Shipper(settings)
    try:
        for index in range(50):
            shipper.emit(rec(f"r-{index:02d}", f"s-{index % 5}"))
        assert answered_503.wait(30), f"the shipper never reached the collector: {shipper.stats}"
        tcp_proxy.restore()
        assert shipper.flush(60), shipper.stats
        stats = shipper.stats
    finally:
        shipper.shutdown(10)
    assert (stats.sent, stats.dropped, stats.spooled) == (50, 0, 0)
    assert stats.retries >= 1
    assert proxied_store.record_count(PROJECT) == 50
