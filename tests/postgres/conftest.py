"""Fixtures for the PostgreSQL store's tests.

Every test gets its own empty schema on the test server (`temporary_schema`), so tests are
isolated and can run in parallel. Without a reachable server the tests skip with a message
saying how to enable them, except under ``CI=true``, where they fail
(`tests.support.postgres_server.require_server`).

``tcp_proxy`` stands between the store and PostgreSQL and can be cut (connections dropped,
new ones refused, like a server that went away) and restored on the same port.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from tests.support.postgres_server import require_server, temporary_schema

from agenttrace.records import Record
from agenttrace.server.store.postgres import PostgresStore

T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)
MakeRecord = Callable[..., Record]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The test server's URL (skips, or fails under CI=true, when there is none)."""
    return require_server()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema (dropped after the test)."""
    with temporary_schema(postgres_server) as url:
        yield url


@pytest.fixture
def open_pg(postgres_url: str) -> Iterator[Callable[..., PostgresStore]]:
    """``open_pg(**options)`` -> a PostgresStore on the test's schema (closed after)."""
    opened: list[PostgresStore] = []

    def open_store(url: str | None = None, **options: Any) -> PostgresStore:
        store = PostgresStore(url or postgres_url, **options)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def pg_store(open_pg: Callable[..., PostgresStore]) -> PostgresStore:
    """An open PostgresStore on a fresh schema."""
    return open_pg()


@pytest.fixture
def sql(postgres_url: str) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
    """``sql(statement, params)`` -> rows, run on the test's schema in autocommit."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:

        def run(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

        yield run


def _record(
    record_id: str,
    session_id: str = "s-1",
    *,
    start_ms: float = 0,
    latency_ms: float | None = 10,
    **fields: Any,
) -> Record:
    start = T0 + timedelta(milliseconds=start_ms)
    end = start + timedelta(milliseconds=latency_ms) if latency_ms is not None else None
    return Record.model_validate(
        {"id": record_id, "session_id": session_id, "start_time": start, "end_time": end, **fields}
    )


@pytest.fixture(scope="session")
def rec() -> MakeRecord:
    """``rec(id, session_id, start_ms=, latency_ms=, **fields)`` -> a `Record`."""
    return _record


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to an upstream server; `cut` and `restore` it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        """Listen (again) on the same port."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening (new connections are refused) and drop every open connection."""
        with self._lock:  # one step, so an accept in progress cannot slip past the cut
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut while this one was connecting
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def url_for(self, url: str) -> str:
        """``url`` pointing at this proxy instead of the server."""
        parts = urlsplit(url)
        userinfo, at, _ = parts.netloc.rpartition("@")
        return urlunsplit(parts._replace(netloc=f"{userinfo}{at}127.0.0.1:{self.port}"))


@pytest.fixture
def tcp_proxy(postgres_server: str) -> Iterator[TcpProxy]:
    """A proxy to the test server that the test can cut and restore."""
    params = conninfo_to_dict(postgres_server)
    host = str(params.get("host") or "")
    if not host or host.startswith("/"):
        pytest.skip("the proxy tests need a PostgreSQL URL with a TCP host, not a socket")
    proxy = TcpProxy((host, int(params.get("port") or 5432)))
    yield proxy
    proxy.cut()
