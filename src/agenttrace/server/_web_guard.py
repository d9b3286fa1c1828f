"""`WebGuard`: the ASGI middleware that keeps other web sites out of the collector.

* Requests whose ``Host`` the collector does not serve get 421 with a sentence saying why
  and what to do (`agenttrace.server._host_check`: DNS rebinding), while the collector is
  open or whenever ``--allowed-host`` was given.
* Every response carries ``X-Content-Type-Options: nosniff``.

The other half, that a page cannot post to the collector without the browser asking it
first, is the JSON content type every body must declare
(`agenttrace.server.dependencies.read_body`, 415 otherwise).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agenttrace.server._access import Access
from agenttrace.server._errors import error_response
from agenttrace.server._host_check import HostCheck
from agenttrace.server._web_headers import NOSNIFF

__all__ = ["MISDIRECTED", "WebGuard"]

MISDIRECTED = 421
"""The status of a request for a host name the collector does not serve."""

_HOST = b"host"


class WebGuard:
    """Host check and nosniff around the collector app."""

    def __init__(self, app: ASGIApp, *, check: HostCheck, access: Access) -> None:
        """``check``: the names served; ``access``: whether the collector is open now."""
        self.app = app
        self.check = check
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a foreign Host, else pass the request on with nosniff on the answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, _HOST)
        if not self.check.accepts(host) and await self._enforced():
            assert host is not None  # a request without Host is accepted
            response = error_response(Request(scope), MISDIRECTED, self.check.refusal(host))
            response.headers.append(*NOSNIFF)
            await response(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault(*NOSNIFF)
            await send(message)

        await self.app(scope, receive, send_nosniff)

    async def _enforced(self) -> bool:
        """Whether a foreign Host is refused now: always with ``--allowed-host``, else
        while no API key exists."""
        if self.check.always:
            return True
        if self.access.keys_seen:
            return False
        return not await run_in_threadpool(self.access.keys_required)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
