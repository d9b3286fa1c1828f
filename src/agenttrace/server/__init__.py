"""The collector: ASGI app, ingest, query endpoints, stores and migrations.

Needs the ``server`` extra (FastAPI, uvicorn). Start one with ``agenttrace serve``,
``python -m agenttrace.server`` or `serve`; embed one in tests with
`agenttrace.server.testing.running_collector`.
"""

from __future__ import annotations

from agenttrace.server._serve import resolve_database_url, serve
from agenttrace.server.app import create_app
from agenttrace.server.dependencies import DEFAULT_MAX_BODY_BYTES
from agenttrace.server.store import Store, open_store

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Store",
    "create_app",
    "open_store",
    "resolve_database_url",
    "serve",
]
