"""Several collector processes on one port (``agenttrace serve --workers N``).

One collector process validates and stores on one core. With ``--workers N`` uvicorn starts
N processes that share the listening socket; each opens its own store on the same database
(SQLite serialises their writes with its file lock, PostgreSQL with row locks; ingest is
idempotent by record id either way). Batches that arrive together are then validated in
parallel (see ``benchmarks/collector_processes.py``).

uvicorn builds each process's app from an import string, so `serve` hands the settings to
`app_from_environment` through one environment variable.

The workers accept on a socket uvicorn made with ``socket.socket(family)``, whose protocol
number is 0; asyncio then leaves Nagle's algorithm on for the connections (it turns it off
only for sockets that say IPPROTO_TCP), and an answer written in two pieces waits for the
client's delayed ACK: about 40 ms per request, measured as half the collector's time.
`NoDelayH11Protocol` turns Nagle off for each connection, as a single process has it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from agenttrace.server._gc import tune_for_ingest
from agenttrace.server.app import create_app
from agenttrace.server.store import open_store

__all__ = [
    "APP_FACTORY",
    "SETTINGS_VARIABLE",
    "NoDelayH11Protocol",
    "app_from_environment",
    "settings_for_workers",
]

SETTINGS_VARIABLE = "AGENTTRACE_WORKER_SETTINGS"
APP_FACTORY = "agenttrace.server._workers:app_from_environment"
_PORTABLE = (str, int, float, bool, type(None))


def settings_for_workers(database_url: str, **app_options: Any) -> str:
    """The JSON `app_from_environment` reads: the database and `create_app`'s options."""
    for name, value in app_options.items():
        items = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(item, _PORTABLE) for item in items):
            msg = f"{name}={value!r} cannot be handed to worker processes"
            raise TypeError(msg)
    return json.dumps({"database_url": database_url, **app_options})


def app_from_environment() -> FastAPI:
    """One worker process's app, over its own connection to the shared database."""
    settings = json.loads(os.environ[SETTINGS_VARIABLE])
    store = open_store(settings.pop("database_url"))
    app = create_app(store, **settings)
    tune_for_ingest()
    return app


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with TCP_NODELAY set on every connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Turn Nagle's algorithm off, then proceed as uvicorn does."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in {socket.AF_INET, socket.AF_INET6}:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
