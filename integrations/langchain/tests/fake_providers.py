"""A local HTTP server speaking just enough OpenAI and Anthropic for the real clients.

Answers ``POST /v1/chat/completions`` (OpenAI Chat Completions, JSON or SSE with a final
usage chunk when ``stream_options.include_usage`` is set) and ``POST /v1/messages``
(Anthropic Messages, JSON or SSE). Usage figures are realistic, with cached and reasoning
tokens, so that token extraction is checked against the real client libraries.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_MODEL = "gpt-4o-2024-08-06"
OPENAI_USAGE = {
    "prompt_tokens": 2006,
    "completion_tokens": 300,
    "total_tokens": 2306,
    "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 192,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
ANTHROPIC_MODEL = "claude-haiku-4-5-20251001"
ANTHROPIC_USAGE = {
    "input_tokens": 20,
    "output_tokens": 9,
    "cache_read_input_tokens": 1000,
    "cache_creation_input_tokens": 50,
}
TEXT = ["The ", "answer ", "is ", "42."]


def _openai_completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": OPENAI_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(TEXT)},
                "finish_reason": "stop",
            }
        ],
        "usage": OPENAI_USAGE,
    }


def _openai_chunks(include_usage: bool) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_700_000_000}
    base["model"] = OPENAI_MODEL
    first = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
    yield {**base, "choices": [first]}
    for piece in TEXT:
        delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
        yield {**base, "choices": [delta]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if include_usage:
        yield {**base, "choices": [], "usage": OPENAI_USAGE}


def _anthropic_message() -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": [{"type": "text", "text": "".join(TEXT)}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": ANTHROPIC_USAGE,
    }


def _anthropic_events() -> Iterator[tuple[str, dict[str, Any]]]:
    # As the Messages API does today: message_start carries the input side, message_delta
    # the cumulative totals of both sides.
    start_usage = {**ANTHROPIC_USAGE, "output_tokens": 1}
    message = {**_anthropic_message(), "content": [], "stop_reason": None, "usage": start_usage}
    yield "message_start", {"type": "message_start", "message": message}
    block = {"type": "text", "text": ""}
    yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
    for piece in TEXT:
        delta = {"type": "text_delta", "text": piece}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": ANTHROPIC_USAGE,
        },
    )
    yield "message_stop", {"type": "message_stop"}


class _Handler(BaseHTTPRequestHandler):
    server: FakeProviderServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append((self.path, body))
        if self.path.endswith("/chat/completions"):
            if body.get("stream"):
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                self._sse((None, chunk) for chunk in _openai_chunks(include))
            else:
                self._json(_openai_completion())
        elif self.path.endswith("/messages"):
            if body.get("stream"):
                self._sse(_anthropic_events())
            else:
                self._json(_anthropic_message())
        else:
            self.send_error(404)

    def _json(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: Iterator[tuple[str | None, dict[str, Any]]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for event, data in events:
            prefix = f"event: {event}\n" if event else ""
            self.wfile.write(f"{prefix}data: {json.dumps(data)}\n\n".encode())
        if not self.path.endswith("/messages"):
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


class FakeProviderServer(ThreadingHTTPServer):
    """The server; ``requests`` lists ``(path, json body)`` of every call received."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, Any]]] = []

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@contextmanager
def fake_provider_server() -> Iterator[FakeProviderServer]:
    """Serve on a free port in a background thread; shut down on exit."""
    server = FakeProviderServer()
    thread = threading.Thread(target=server.serve_forever, name="fake-provider", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
