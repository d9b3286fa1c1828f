"""A real collector in a background thread, for tests and examples.

>>> with running_collector() as collector:                      # doctest: +SKIP
...     httpx.post(f"{collector.url}/v1/records", json={"records": [...]})
...     collector.store.query_sessions("default", SessionQuery())

It serves the real app with uvicorn on 127.0.0.1 on a free port, over a SQLite file in a
temporary directory unless told otherwise, and shuts down cleanly on exit.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from agenttrace.server._connections import GuardedH11Protocol
from agenttrace.server.app import create_app
from agenttrace.server.store import Store, database_url_for, open_store

__all__ = ["RunningCollector", "running_collector", "serve_in_thread"]

_START_TIMEOUT_S = 20.0
_STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class RunningCollector:
    """A collector serving in this process."""

    url: str
    """``http://127.0.0.1:<port>``, without a trailing slash."""
    store: Store
    app: FastAPI
    database_url: str

    def client(self, **options: Any) -> httpx.Client:
        """An httpx client for this collector (close it, or use it in a ``with``)."""
        return httpx.Client(base_url=self.url, **options)


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a daemon thread; yield its URL; stop it on exit."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the
    # listening socket says so, and without it Nagle delays every response by ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        http=GuardedH11Protocol,  # the collector's connection limits, as `serve` has them
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"agenttrace-collector-{bound_port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:  # uvicorn offers no event to wait on; poll with a deadline
            if not thread.is_alive() or time.monotonic() > deadline:
                msg = f"the collector did not start on {host}:{bound_port}: {failure or 'timeout'}"
                raise RuntimeError(msg)
            time.sleep(0.005)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT_S)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT_S)
        sock.close()


@contextmanager
def running_collector(
    database_url: str | None = None,
    *,
    data_dir: Path | None = None,
    **app_options: Any,
) -> Iterator[RunningCollector]:
    """Start a real collector on 127.0.0.1 (free port); yield its URL and store.

    The store is ``database_url``, else ``agenttrace.db`` in ``data_dir``, else in a fresh
    temporary directory (deleted on exit). ``app_options`` go to `create_app`. The server
    is stopped and the store closed on exit.
    """
    temporary: tempfile.TemporaryDirectory[str] | None = None
    if database_url is None:
        if data_dir is None:
            temporary = tempfile.TemporaryDirectory(prefix="agenttrace-collector-")
            data_dir = Path(temporary.name)
        database_url = database_url_for(data_dir)
    try:
        store = open_store(database_url)
        try:
            app = create_app(store, **app_options)
            with serve_in_thread(app) as url:
                yield RunningCollector(url=url, store=store, app=app, database_url=database_url)
        finally:
            store.close()
    finally:
        if temporary is not None:
            temporary.cleanup()
