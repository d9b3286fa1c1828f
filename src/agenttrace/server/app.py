"""`create_app`: the collector's ASGI app over a `Store`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from agenttrace.server import (
    _alert_routes,
    _export_routes,
    _feed_route,
    _ingest_route,
    _metrics_route,
    _query_routes,
    _score_routes,
)
from agenttrace.server._access import Access
from agenttrace.server._client_guard import (
    CONNECTION_LIMITS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_READ_TIMEOUT_S,
    ClientGuard,
    ConnectionLimits,
)
from agenttrace.server._docs_page import docs_routes
from agenttrace.server._errors import install_error_handlers
from agenttrace.server._fair_ingest import DEFAULT_PART_UNITS, FairIngest
from agenttrace.server._host_check import HostCheck
from agenttrace.server._lifespans import Lifespan, chain_lifespans
from agenttrace.server._limits import (
    DEFAULT_MAX_BATCH_RECORDS,
    DEFAULT_MAX_BODY_DEPTH,
    DEFAULT_MAX_RECORD_BODY_BYTES,
    Limits,
)
from agenttrace.server._openapi import collector_openapi
from agenttrace.server._rate_limit import RateLimiter
from agenttrace.server._retention import RETENTION_INTERVAL_S, retention_lifespan
from agenttrace.server._web_guard import WebGuard
from agenttrace.server.alerts.lifespan import ALERT_INTERVAL_S, alerts_lifespan
from agenttrace.server.dashboard import mount_dashboard
from agenttrace.server.dependencies import (
    DEFAULT_MAX_BODY_BYTES,
    CollectorOptions,
    StoreDep,
)
from agenttrace.server.helicone import mount_helicone
from agenttrace.server.otlp import routes as otlp_routes
from agenttrace.server.store.api_keys import KeyStore
from agenttrace.server.store.base import DEFAULT_PROJECT, Store

__all__ = ["DEFAULT_RATE_LIMIT", "POSTGRES_WRITERS", "Health", "create_app", "store_keys"]

DEFAULT_RATE_LIMIT = 5_000.0
"""Records per second per API key, on average (bursts of twice that): an ingest batch
costs its number of records, any other request one."""
POSTGRES_WRITERS = 6
"""Batches of ingest written at once on PostgreSQL, at most five of one project (SQLite
writes one at a time); the pool holds ten connections."""


class Health(BaseModel):
    """The answer of ``GET /healthz``."""

    status: Literal["ok"]
    store: str
    schema_version: int


_health = APIRouter(tags=["health"])


@_health.get("/healthz", response_model=Health, summary="Liveness and store check")
def healthz(store: StoreDep) -> Health:
    """ok when the store answers."""
    return Health(status="ok", store=store.backend, schema_version=store.schema_version())


def store_keys(store: Store) -> KeyStore | None:
    """The API keys kept in ``store``'s database (None for a store that keeps none)."""
    key_store = getattr(store, "key_store", None)
    return key_store() if callable(key_store) else None


def _lifespan(limits: ConnectionLimits, tasks: Lifespan | None) -> Any:
    """The app's lifespan: hands ``limits`` to the server in the lifespan state
    (`agenttrace.server._connections`), and runs ``tasks`` (pruning, alerts) meanwhile."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        if tasks is None:
            yield {CONNECTION_LIMITS: limits}
            return
        async with tasks(app):
            yield {CONNECTION_LIMITS: limits}

    return lifespan


def create_app(
    store: Store,
    *,
    keys: KeyStore | None = None,
    allow_open: bool = True,
    rate_limit: float | None = DEFAULT_RATE_LIMIT,
    rate_burst: float | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch_records: int = DEFAULT_MAX_BATCH_RECORDS,
    max_record_body_bytes: int = DEFAULT_MAX_RECORD_BODY_BYTES,
    max_body_depth: int = DEFAULT_MAX_BODY_DEPTH,
    project_id: str = DEFAULT_PROJECT,
    include_helicone: bool = True,
    include_dashboard: bool = True,
    retention: timedelta | None = None,
    retention_interval: float = RETENTION_INTERVAL_S,
    host: str | None = None,
    allowed_hosts: Sequence[str] = (),
    read_timeout: float | None = DEFAULT_READ_TIMEOUT_S,
    max_connections: int | None = DEFAULT_MAX_CONNECTIONS,
    ingest_part_units: int = DEFAULT_PART_UNITS,
    alert_interval: float | None = ALERT_INTERVAL_S,
    alert_options: Mapping[str, Any] | None = None,
) -> FastAPI:
    """The collector app: ingest, native queries, Helicone-shaped endpoints, the dashboard
    (at ``/``) and OpenAPI.

    ``store`` stays open after the app stops (its owner closes it).

    Access: ``keys`` holds the API keys (default: the store's own ``api_keys`` table). Once
    a key exists, every ingest and query request needs one and sees only its project; until
    then requests act on ``project_id`` if ``allow_open``, else get 401. ``rate_limit``
    records per second per key on average, bursts of ``rate_burst`` (default twice the
    rate); an ingest batch costs its number of records, any other request one; None turns
    the limit off.

    Ingest (`FairIngest`): one batch per project is parsed and stored at a time, the turns
    to write going round-robin over the projects; on SQLite a transaction commits after
    the part of about ``ingest_part_units`` (`record_units`) in hand when another project
    waits to write.

    Connections (`ClientGuard`, and `GuardedH11Protocol` when served by
    ``agenttrace serve`` or `agenttrace.server.testing`): a client has ``read_timeout``
    seconds to send a request's headers and as long again for its body (408 and close
    beyond); beyond ``max_connections`` open connections, new ones get 503. None: no
    limit.

    Web pages (`agenttrace.server._web_guard`): a request whose ``Host`` is not
    ``localhost``, an IP address, ``host`` (the name served on) or one of
    ``allowed_hosts`` gets 421 while the collector is open, and always once
    ``allowed_hosts`` is given (``"*"`` accepts every name); request bodies must be
    declared as JSON (415); every answer carries ``X-Content-Type-Options: nosniff``.
    ``/docs`` is a plain page built from the OpenAPI spec, with no script.

    Limits (4xx naming the limit beyond them): ``max_body_bytes`` per request body (413),
    ``max_batch_records`` per batch (413), and per record (only that record is rejected)
    ``max_record_body_bytes`` of request plus response body and ``max_body_depth`` levels
    of nesting in each.

    Retention: with ``retention``, sessions whose last request ended longer ago are pruned
    when the app starts and every ``retention_interval`` seconds (`_retention`).

    Alerts: every ``alert_interval`` seconds (None: never) the rules are evaluated and their
    webhooks delivered (`agenttrace.server.alerts`; ``alert_options`` go to its
    `AlertEvaluator`).
    """
    from agenttrace import __version__

    if max_body_bytes < 1:
        msg = f"max_body_bytes must be a positive number of bytes; got {max_body_bytes}"
        raise ValueError(msg)
    limits = Limits(
        max_body_bytes=max_body_bytes,
        max_batch_records=max_batch_records,
        max_record_body_bytes=max_record_body_bytes,
        max_body_depth=max_body_depth,
    )
    limiter = RateLimiter(rate_limit, rate_burst) if rate_limit else None
    host_check = HostCheck.build(host, allowed_hosts)
    connection_limits = ConnectionLimits(read_timeout, max_connections)
    lifespans: list[Lifespan] = []
    if retention:
        lifespans.append(retention_lifespan(store, retention, retention_interval))
    if alert_interval is not None:
        lifespans.append(alerts_lifespan(store, alert_interval, **(alert_options or {})))
    app = FastAPI(
        lifespan=_lifespan(connection_limits, chain_lifespans(lifespans)),
        title="agenttrace collector",
        version=__version__,
        description="Session tracing for LLM agents: ingest, sessions, requests and paths.",
        docs_url=None,  # FastAPI's pages load scripts from a CDN; `_docs_page` serves /docs
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.store = store
    app.state.options = CollectorOptions(limits=limits, project_id=project_id)
    app.state.ingest = FairIngest(
        store,
        writers=1 if store.backend == "sqlite" else POSTGRES_WRITERS,
        part_units=ingest_part_units,
    )
    access = Access(
        keys if keys is not None else store_keys(store),
        open_project=project_id,
        allow_open=allow_open,
        limiter=limiter,
    )
    app.state.access = access
    app.add_middleware(WebGuard, check=host_check, access=access)
    install_error_handlers(app)
    app.add_middleware(ClientGuard, read_timeout=read_timeout)
    app.include_router(_ingest_route.router)
    app.include_router(_query_routes.router)
    app.include_router(_metrics_route.router)
    app.include_router(_feed_route.router)
    app.include_router(_export_routes.router)
    app.include_router(_score_routes.router)
    app.include_router(_alert_routes.router)
    app.include_router(_health)
    app.router.routes.extend(docs_routes(lambda: collector_openapi(app)))
    app.include_router(otlp_routes.router)
    if include_helicone:
        mount_helicone(app)
    if include_dashboard:
        mount_dashboard(app)  # after the API routes: it claims only / and /dashboard/
    app.openapi = lambda: collector_openapi(app)  # type: ignore[method-assign]
    return app
