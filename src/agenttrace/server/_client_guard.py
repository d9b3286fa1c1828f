"""`ClientGuard`: the collector's answer to clients that send too slowly or too many at once.

An ASGI middleware with two jobs, each answered with the usual one-sentence error and
``Connection: close``:

* a request body must arrive within ``read_timeout`` seconds of the app waiting for it
  (the time the app spends on the body between reads does not count against the client):
  later, 408;
* a connection that the server marked as over its connection limit (``scope["state"]
  [OVER_CAPACITY]``, set by `agenttrace.server._connections.GuardedH11Protocol`) gets 503
  with ``Retry-After``, whatever it asks.

Request headers, and the rest of a body that the app did not read, are bounded by the
protocol (`agenttrace.server._connections`), which sees them before and after the app.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agenttrace.server._errors import error_response

__all__ = [
    "CONNECTION_LIMITS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_READ_TIMEOUT_S",
    "OVER_CAPACITY",
    "ClientGuard",
    "ClientTooSlowError",
    "ConnectionLimits",
]

DEFAULT_READ_TIMEOUT_S = 30.0
DEFAULT_MAX_CONNECTIONS = 500
CONNECTION_LIMITS = "agenttrace.connection_limits"
"""The key of the app's lifespan state that hands `ConnectionLimits` to the server."""
OVER_CAPACITY = "agenttrace.over_capacity"
"""The key of ``scope["state"]`` that marks a connection beyond the limit (its value: the
limit)."""


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How long a client may take to send a request, and how many connections are
    served at once (None: no limit)."""

    read_timeout: float | None = DEFAULT_READ_TIMEOUT_S
    max_connections: int | None = DEFAULT_MAX_CONNECTIONS

    def __post_init__(self) -> None:
        if self.read_timeout is not None and not self.read_timeout > 0:
            msg = f"read_timeout must be a positive number of seconds; got {self.read_timeout}"
            raise ValueError(msg)
        if self.max_connections is not None and self.max_connections < 1:
            msg = f"max_connections must be at least 1; got {self.max_connections}"
            raise ValueError(msg)


class ClientTooSlowError(Exception):
    """The client did not send the request body within the read timeout."""


def _over_capacity(scope: Scope) -> int | None:
    state: Any = scope.get("state")
    limit = state.get(OVER_CAPACITY) if isinstance(state, dict) else None
    return limit if isinstance(limit, int) else None


class ClientGuard:
    """The middleware (see the module's docstring); ``read_timeout`` None: no body limit."""

    def __init__(self, app: ASGIApp, read_timeout: float | None) -> None:
        self.app = app
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``scope`` through the app, within the limits."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _over_capacity(scope)
        if limit is not None:
            await self._refuse(
                scope,
                receive,
                send,
                status=503,
                message=f"the collector is serving as many connections as it may ({limit}, "
                "max_connections); retry after Retry-After seconds, or start it with a "
                "larger --max-connections",
                headers={"Retry-After": "1"},
            )
            return
        if self.read_timeout is None:
            await self.app(scope, receive, send)
            return
        await self._serve_within(scope, receive, send, self.read_timeout)

    async def _serve_within(
        self, scope: Scope, receive: Receive, send: Send, read_timeout: float
    ) -> None:
        loop = asyncio.get_running_loop()
        left = read_timeout
        body_done = False
        responded = False

        async def timed_receive() -> Message:
            nonlocal left, body_done
            if body_done:
                return await receive()
            started = loop.time()
            try:
                async with asyncio.timeout(max(left, 0.0)):
                    message = await receive()
            except TimeoutError:
                raise ClientTooSlowError from None
            left -= loop.time() - started
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except ClientTooSlowError:
            if responded:  # pragma: no cover - an app does not read a body after answering
                raise
            await self._refuse(
                scope,
                receive,
                send,
                status=408,
                message=f"the request body did not arrive within {read_timeout:g} s "
                "(read_timeout); send it faster or in smaller batches, or start the collector "
                "with a longer --read-timeout",
            )

    @staticmethod
    async def _refuse(
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        response = error_response(Request(scope), status, message)
        response.headers.update({**(headers or {}), "Connection": "close"})
        await response(scope, receive, send)
