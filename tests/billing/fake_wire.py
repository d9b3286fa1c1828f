"""A local HTTP server that answers each request with a provider's wire format.

A test gives it a `Responder` (path, query and JSON body -> `Reply`); the reply is sent as
one JSON document, as server-sent events (``event:`` / ``data:`` lines, as OpenAI,
Anthropic, Gemini, Mistral and Groq stream), as newline-delimited JSON (Ollama) or as one
JSON array of chunks (the Gemini API's ``alt=json`` stream, which Google's REST clients read). The
payloads themselves live with each provider's tests, written from the provider's API
reference, so that the real client packages parse them as they parse the provider's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Event = tuple[str | None, dict[str, Any]]
"""One server-sent event: its ``event:`` name (or None) and its ``data:`` JSON."""


@dataclass(frozen=True)
class Reply:
    """One answer: a JSON body, SSE events (with ``[DONE]`` when ``done``), JSON lines, or a
    JSON array of chunks (a REST stream of Google's API clients), or ``raw`` bytes (AWS's
    binary event stream)."""

    body: dict[str, Any] | None = None
    events: Sequence[Event] = ()
    done: bool = False
    lines: Sequence[dict[str, Any]] = ()
    array: Sequence[dict[str, Any]] = ()
    raw: bytes | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Received:
    """A request the server answered."""

    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


Responder = Callable[[Received], Reply]


@dataclass
class FakeWire:
    """The running server: its base URL and the requests it answered."""

    url: str
    requests: list[Received] = field(default_factory=list)


def sse_text(events: Sequence[Event], *, done: bool = False) -> str:
    """``events`` framed as server-sent events, as a provider sends them."""
    parts = []
    for name, data in events:
        prefix = f"event: {name}\n" if name else ""
        parts.append(f"{prefix}data: {json.dumps(data)}\n\n")
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts)


@contextmanager
def fake_wire(respond: Responder) -> Iterator[FakeWire]:
    """Serve ``respond`` on 127.0.0.1 (a free port) until the block ends."""
    state = FakeWire(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            received = Received(parts.path, parse_qs(parts.query), json.loads(raw or b"{}"))
            state.requests.append(received)
            reply = respond(received)
            if reply.raw is not None:
                self._send(reply.content_type or "application/octet-stream", reply.raw)
            elif reply.body is not None:
                self._send(reply.content_type or "application/json", json.dumps(reply.body))
            elif reply.array:
                self._send(reply.content_type or "application/json", json.dumps(list(reply.array)))
            elif reply.lines:
                text = "".join(json.dumps(line) + "\n" for line in reply.lines)
                self._send(reply.content_type or "application/x-ndjson", text)
            else:
                text = sse_text(reply.events, done=reply.done)
                self._send(reply.content_type or "text/event-stream", text)

        def _send(self, content_type: str, text: str | bytes) -> None:
            data = text.encode() if isinstance(text, str) else text
            self.send_response(200)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fake-wire", daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
