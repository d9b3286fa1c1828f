"""`serve`: what ``agenttrace serve`` and ``python -m agenttrace.server`` run (their one
command line is `agenttrace.cli._serve`).

Without API keys the collector is open to whoever reaches it: that is the friction-free
default on a loopback address (it says so at start), and refused on any other address
unless ``allow_open`` (``--allow-open``) says it is meant. Web pages are kept out by the
app itself (`agenttrace.server._web_guard`); ``--allowed-host`` names the host names,
beside ``localhost`` and IP addresses, that clients use to reach it.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from agenttrace.core.defaults import DEFAULT_PORT, default_data_dir
from agenttrace.core.spans import require_span
from agenttrace.exceptions import UserError
from agenttrace.server._banner import banner, url_host
from agenttrace.server._connections import GuardedH11Protocol
from agenttrace.server._gc import tune_for_ingest
from agenttrace.server._host_check import HostCheck, split_host_list
from agenttrace.server._listen import close_all, listen
from agenttrace.server._workers import APP_FACTORY, SETTINGS_VARIABLE, settings_for_workers
from agenttrace.server.app import create_app, store_keys
from agenttrace.server.store import Store, database_url_for, open_store
from agenttrace.server.store._database_url import sqlite_file

__all__ = [
    "ALLOW_OPEN_FLAG",
    "OpenCollectorError",
    "check_access",
    "is_loopback",
    "resolve_database_url",
    "serve",
]

ALLOW_OPEN_FLAG = "--allow-open"


class OpenCollectorError(UserError):
    """`serve` was asked to listen beyond loopback without API keys or ``allow_open``."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``).

    Anything else, ``0.0.0.0`` and host names included, may be reachable from elsewhere.
    """
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_access(store: Store, host: str, port: int, *, allow_open: bool) -> str:
    """What `serve` says at start about access; raises `OpenCollectorError` when it must
    not start (no keys, not loopback, no ``allow_open``)."""
    keys = store_keys(store)
    if keys is not None and keys.has_keys():
        active = [key for key in keys.list_keys() if key.active]
        projects = len({key.project_id for key in active})
        return (
            f"agenttrace: API keys required ({len(active)} active key(s), {projects} "
            "project(s)); each key sees only its project"
        )
    where = f"http://{url_host(host)}:{port}"
    if not is_loopback(host) and not allow_open:
        msg = (
            f"refusing to serve {where} without API keys: anyone who can reach it could read "
            "and write every session. Create a key first (agenttrace keys create --project "
            f"NAME --database URL), or pass {ALLOW_OPEN_FLAG} if an open collector is meant"
        )
        raise OpenCollectorError(msg)
    return (
        f"agenttrace: no API keys exist, so the collector is OPEN: anyone who can reach {where} "
        "can read and write every session (create a key with `agenttrace keys create "
        "--project NAME`)"
    )


def resolve_database_url(database_url: str | None = None, data_dir: Path | None = None) -> str:
    """``database_url``, else ``AGENTTRACE_DATABASE_URL``, else ``agenttrace.db`` in
    ``data_dir`` (default: ``AGENTTRACE_DATA_DIR`` or the user data directory)."""
    if database_url:
        return database_url
    configured = os.environ.get("AGENTTRACE_DATABASE_URL", "").strip()
    if configured:
        return configured
    return database_url_for(data_dir if data_dir is not None else default_data_dir())


def retention_span(value: str | None) -> timedelta | None:
    """``--retention`` as a timedelta (None keeps everything); UserError if malformed."""
    if value is None or not value.strip():
        return None
    return require_span(value, "retention", positive=True)


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    database_url: str | None = None,
    data_dir: Path | None = None,
    *,
    allow_open: bool = False,
    log_level: str = "info",
    workers: int = 1,
    allowed_hosts: Sequence[str] = (),
    **app_options: Any,
) -> None:
    """Run the collector in the foreground until interrupted (Ctrl+C / SIGTERM).

    Nothing is created before the options are checked (a database value that is neither a
    URL nor a file path is a `ConfigurationError`), and the store is opened (and migrated)
    only once the port is bound (`agenttrace.server._listen`: `ListenError` saying what to
    do when it cannot be); it is closed after the server stops. Without API keys it serves
    only a loopback ``host``, unless ``allow_open`` (`OpenCollectorError` otherwise).
    ``app_options`` go to `agenttrace.server.create_app` (e.g. ``max_body_bytes``,
    ``rate_limit``, ``read_timeout``, ``max_connections``). ``workers`` above 1 starts that
    many collector processes on the port (`agenttrace.server._workers`). ``allowed_hosts``:
    host names clients use beside ``localhost`` and IP addresses
    (`agenttrace.server._host_check`; ``"*"`` for any).
    Once listening it prints where the collector, its dashboard and its database are.
    """
    if workers < 1:
        msg = f"workers must be at least 1; got {workers}"
        raise UserError(msg)
    if workers > 1 and app_options.get("retention") is not None:
        msg = (
            "--retention runs in a single collector process; with --workers, prune from a "
            "scheduled job instead: agenttrace db prune --older-than SPAN"
        )
        raise UserError(msg)
    HostCheck.build(host, allowed_hosts)  # ConfigurationError before anything starts
    url = resolve_database_url(database_url, data_dir)
    sqlite_file(url)  # ConfigurationError before a file is created or a port bound
    options = {
        **app_options,
        "allow_open": allow_open or is_loopback(host),
        "host": host,
        "allowed_hosts": split_host_list(allowed_hosts),
    }
    sockets = listen(host, port)
    try:
        port = sockets[0].getsockname()[1]
        store = open_store(url)
        try:
            notice = check_access(store, host, port, allow_open=allow_open)
            print(notice, file=sys.stderr, flush=True)
            started = banner(
                host, port, store.location, dashboard=options.get("include_dashboard", True)
            )
            if workers == 1:
                _serve_one(store, sockets, started, log_level=log_level, app_options=options)
                return
        finally:
            store.close()
        print(started, file=sys.stderr, flush=True)
        _serve_workers(url, sockets, workers=workers, log_level=log_level, app_options=options)
    finally:
        close_all(sockets)


class _Server(uvicorn.Server):
    """uvicorn's server, printing `banner` once it has started."""

    def __init__(self, config: uvicorn.Config, started: str) -> None:
        super().__init__(config)
        self._started_message = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then say where the collector is."""
        await super().startup(sockets)
        if self.started:
            print(self._started_message, file=sys.stderr, flush=True)


def _serve_one(
    store: Store,
    sockets: list[socket.socket],
    started: str,
    *,
    log_level: str,
    app_options: dict[str, Any],
) -> None:
    config = uvicorn.Config(
        create_app(store, **app_options),
        http=GuardedH11Protocol,  # slow senders closed, connections capped (`_connections`)
        log_level=log_level,
        timeout_graceful_shutdown=10,
    )
    if threading.current_thread() is threading.main_thread():
        tune_for_ingest()  # this process is the collector (not a test's thread)
    with _stop_quietly_after_signals():
        _Server(config, started).run(sockets=sockets)


def _serve_workers(
    url: str,
    sockets: list[socket.socket],
    *,
    workers: int,
    log_level: str,
    app_options: dict[str, Any],
) -> None:
    """``workers`` processes accepting on ``sockets`` (uvicorn's supervisor, as
    ``uvicorn.run(..., workers=N)`` runs it on a socket of its own)."""
    os.environ[SETTINGS_VARIABLE] = settings_for_workers(url, **app_options)
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        http=GuardedH11Protocol,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=10,
    )
    with _stop_quietly_after_signals():
        Multiprocess(config, sockets=sockets).run()


@contextmanager
def _stop_quietly_after_signals() -> Iterator[None]:
    """Let a SIGINT/SIGTERM end `serve` normally (store closed, status 0).

    uvicorn shuts down gracefully on these signals, then re-raises the signal to the handler
    that was installed before it started; installing a no-op one lets ``serve`` return.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _already_handled) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _already_handled(signum: int, frame: FrameType | None) -> None:
    """uvicorn has stopped already; nothing more to do."""
