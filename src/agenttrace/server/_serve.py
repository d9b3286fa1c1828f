"""`serve` (what ``agenttrace serve`` and ``python -m agenttrace.server`` run) and its
command line.

Without API keys the collector is open to whoever reaches it: that is the friction-free
default on a loopback address (it says so at start), and refused on any other address
unless ``allow_open`` (``--allow-open``) says it is meant. Web pages are kept out by the
app itself (`agenttrace.server._web_guard`); ``--allowed-host`` names the host names,
beside ``localhost`` and IP addresses, that clients use to reach it.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from agenttrace.core.defaults import DEFAULT_PORT, default_data_dir
from agenttrace.core.spans import SPAN_HELP, require_span
from agenttrace.exceptions import UserError
from agenttrace.server._gc import tune_for_ingest
from agenttrace.server._host_check import ALLOWED_HOSTS_VARIABLE, HostCheck, split_host_list
from agenttrace.server._workers import (
    APP_FACTORY,
    SETTINGS_VARIABLE,
    NoDelayH11Protocol,
    settings_for_workers,
)
from agenttrace.server.app import DEFAULT_RATE_LIMIT, create_app, store_keys
from agenttrace.server.dependencies import DEFAULT_MAX_BODY_BYTES
from agenttrace.server.store import Store, StoreUnavailableError, database_url_for, open_store

__all__ = [
    "ALLOW_OPEN_FLAG",
    "OpenCollectorError",
    "check_access",
    "is_loopback",
    "main",
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
    where = f"http://{host}:{port}"
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

    The store is opened (and migrated) before the server starts and closed after it stops.
    Without API keys it serves only a loopback ``host``, unless ``allow_open``
    (`OpenCollectorError` otherwise). ``app_options`` go to
    `agenttrace.server.create_app` (e.g. ``max_body_bytes``, ``rate_limit``). ``workers``
    above 1 starts that many collector processes on the port (`agenttrace.server._workers`).
    ``allowed_hosts``: host names clients use beside ``localhost`` and IP addresses
    (`agenttrace.server._host_check`; ``"*"`` for any).
    """
    import uvicorn

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
    options = {
        **app_options,
        "allow_open": allow_open or is_loopback(host),
        "host": host,
        "allowed_hosts": split_host_list(allowed_hosts),
    }
    store = open_store(url)
    try:
        notice = check_access(store, host, port, allow_open=allow_open)
        print(notice, file=sys.stderr, flush=True)
        if workers == 1:
            config = uvicorn.Config(
                create_app(store, **options),
                host=host,
                port=port,
                log_level=log_level,
                timeout_graceful_shutdown=10,
            )
            if threading.current_thread() is threading.main_thread():
                tune_for_ingest()  # this process is the collector (not a test's thread)
            with _stop_quietly_after_signals():
                uvicorn.Server(config).run()
            return
    finally:
        store.close()
    _serve_workers(url, host, port, workers=workers, log_level=log_level, app_options=options)


def _serve_workers(
    url: str,
    host: str,
    port: int,
    *,
    workers: int,
    log_level: str,
    app_options: dict[str, Any],
) -> None:
    import uvicorn

    os.environ[SETTINGS_VARIABLE] = settings_for_workers(url, **app_options)
    with _stop_quietly_after_signals():
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            http=NoDelayH11Protocol,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            timeout_graceful_shutdown=10,
        )


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agenttrace.server",
        description="Run the agenttrace collector (ingest, query API, API docs at /docs).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--database",
        default=None,
        help="sqlite:///path/to.db or postgresql://user:password@host/db (default: "
        "AGENTTRACE_DATABASE_URL, else agenttrace.db in the data directory)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the default SQLite file lives (default: AGENTTRACE_DATA_DIR or the user "
        "data directory)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help=f"largest accepted request body (default {DEFAULT_MAX_BODY_BYTES})",
    )
    parser.add_argument(
        ALLOW_OPEN_FLAG,
        action="store_true",
        help="serve a non-loopback --host even though no API key exists (anyone who reaches "
        "it can read and write every session)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="a host name clients use to reach the collector, beside localhost and IP "
        "addresses (repeatable; * for any); other names get 421, while no API key exists or "
        f"always once this is given (default: {ALLOWED_HOSTS_VARIABLE}, comma separated)",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=DEFAULT_RATE_LIMIT,
        help=f"requests per second per API key, bursts of twice that; 0 turns it off "
        f"(default {DEFAULT_RATE_LIMIT:g})",
    )
    parser.add_argument(
        "--retention",
        default=os.environ.get("AGENTTRACE_RETENTION") or None,
        help=f"prune sessions that ended longer ago than this, at start and hourly ({SPAN_HELP}; "
        "default: AGENTTRACE_RETENTION, else keep everything)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="collector processes sharing the port and the database (default 1)",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        retention = retention_span(args.retention)
        serve(
            args.host,
            args.port,
            args.database,
            args.data_dir,
            allow_open=args.allow_open,
            log_level=args.log_level,
            workers=args.workers,
            allowed_hosts=args.allowed_host or [os.environ.get(ALLOWED_HOSTS_VARIABLE, "")],
            max_body_bytes=args.max_body_bytes,
            rate_limit=args.rate_limit or None,
            retention=retention,
        )
    except (UserError, ValueError, StoreUnavailableError) as exc:
        print(f"agenttrace.server: {exc}", file=sys.stderr)
        return 2
    return 0
