"""The collector's HTTP connections: slow senders are closed, and their number is capped.

uvicorn closes a connection that stays idle between requests (``timeout_keep_alive``), but
it waits without end for a request whose headers, or body, arrive a byte at a time: 150
such connections were held open for 40 s. `GuardedH11Protocol` (uvicorn's h11 protocol,
which ``agenttrace serve``, its worker processes and `agenttrace.server.testing` use) adds,
per connection, the app's `ConnectionLimits`:

* ``read_timeout``: a request's headers must arrive within that many seconds of the
  connection waiting for them (408 and close otherwise); so must the rest of a body the app
  answered without reading (close otherwise). A body the app reads is bounded by
  `agenttrace.server._client_guard.ClientGuard`, which can still answer 408.
* ``max_connections``: a connection opened while that many are open is marked, and its
  requests answered 503 with ``Retry-After`` (by ``ClientGuard``) and closed; the
  connections within the limit go on being served.

The limits are the app's settings (`agenttrace.server.create_app`); the app hands them to
the server in its lifespan state, the one channel from an ASGI app to its server that
every way of starting uvicorn (one process, ``--workers``, a thread) keeps.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import h11
import uvicorn
from uvicorn.server import ServerState

from agenttrace.server._client_guard import CONNECTION_LIMITS, OVER_CAPACITY, ConnectionLimits
from agenttrace.server._workers import NoDelayH11Protocol

__all__ = ["GuardedH11Protocol"]

_log = logging.getLogger("agenttrace.server")
_Phase = Literal["headers", "unread body"]
_TIMEOUT_BODY = (
    b'{"error": "the request headers did not arrive within the read timeout; send them '
    b'at once, or start the collector with a longer --read-timeout"}'
)
_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


class GuardedH11Protocol(NoDelayH11Protocol):
    """uvicorn's h11 protocol (TCP_NODELAY on) that closes connections which send too
    slowly and marks those beyond the connection limit."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """As uvicorn's; the limits come from the app's lifespan state (none without)."""
        super().__init__(config, server_state, app_state, _loop)
        limits = app_state.get(CONNECTION_LIMITS)
        if not isinstance(limits, ConnectionLimits):
            limits = ConnectionLimits(read_timeout=None, max_connections=None)
        self.read_timeout = limits.read_timeout
        self.max_connections = limits.max_connections
        self._phase: _Phase | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Mark the connection if it is beyond the limit; wait for the first request."""
        super().connection_made(transport)
        if self.max_connections is not None and len(self.connections) > self.max_connections:
            self.app_state = {**self.app_state, OVER_CAPACITY: self.max_connections}
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock, then as uvicorn."""
        self._stop_clock()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        """As uvicorn, then see whether the client is being waited for."""
        super().handle_events()
        self._watch()

    def on_response_complete(self) -> None:
        """As uvicorn, then see whether the client is being waited for."""
        super().on_response_complete()
        self._watch()

    def _waiting_for(self) -> _Phase | None:
        """What the connection waits for from the client, if anything."""
        if self.transport is None or self.transport.is_closing():
            return None
        theirs = self.conn.their_state
        if theirs is h11.IDLE:
            return "headers"
        if theirs is h11.SEND_BODY and self.cycle is not None and self.cycle.response_complete:
            return "unread body"
        return None

    def _watch(self) -> None:
        """Start the clock when the connection starts waiting for something new from the
        client; stop it when it waits no more."""
        phase = self._waiting_for()
        if phase == self._phase:
            return
        self._stop_clock()
        self._phase = phase
        if phase is not None and self.read_timeout is not None:
            self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = None

    def _too_slow(self) -> None:
        """The read timeout passed: answer 408 to a request begun, and close."""
        self._deadline = None
        transport = self.transport
        if transport.is_closing() or transport.get_protocol() is not self:
            return
        if self._phase == "headers" and self.conn.trailing_data[0]:
            _log.info(
                "closing a connection from %s: its request headers took longer than %g s "
                "(read_timeout)",
                self.client,
                self.read_timeout,
            )
            transport.write(_REQUEST_TIMEOUT)
        elif self._phase == "unread body":
            _log.info(
                "closing a connection from %s: the rest of its request body took longer "
                "than %g s (read_timeout)",
                self.client,
                self.read_timeout,
            )
        self._phase = None
        transport.close()
