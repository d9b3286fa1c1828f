"""A local server speaking OpenAI's Chat Completions, answering with an example's script.

It lets the examples' real-provider path (``AGENTTRACE_EXAMPLE_MODEL=openai:...``, built
with the real ``langchain-openai`` client) run offline: each request's messages are turned
back into LangChain messages and answered by a `Responder` (the example's own offline
script), then sent back in OpenAI's response shape with usage.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

SERVED_MODEL = "gpt-4o-mini-2024-07-18"
USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}

Responder = Callable[[list[BaseMessage], list[str]], "str | AIMessage"]
"""The answer to the messages, given the names of the tools the request offers."""


@dataclass
class FakeOpenAI:
    """The running server: its base URL and the requests it answered."""

    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def to_messages(raw: list[dict[str, Any]]) -> list[BaseMessage]:
    """OpenAI request messages as LangChain messages."""
    messages: list[BaseMessage] = []
    for item in raw:
        role, text = item["role"], _text(item.get("content"))
        if role in {"system", "developer"}:
            messages.append(SystemMessage(content=text))
        elif role == "user":
            messages.append(HumanMessage(content=text))
        elif role == "tool":
            messages.append(ToolMessage(content=text, tool_call_id=item["tool_call_id"]))
        else:
            calls = [
                {
                    "name": call["function"]["name"],
                    "args": json.loads(call["function"]["arguments"] or "{}"),
                    "id": call["id"],
                }
                for call in item.get("tool_calls") or []
            ]
            messages.append(AIMessage(content=text, tool_calls=calls, name=item.get("name")))
    return messages


def completion(answer: str | AIMessage) -> dict[str, Any]:
    """An answer in OpenAI's chat.completion shape."""
    message = AIMessage(content=answer) if isinstance(answer, str) else answer
    body: dict[str, Any] = {"role": "assistant", "content": _text(message.content) or None}
    if message.tool_calls:
        body["tool_calls"] = [
            {
                "id": call["id"] or f"call_{n}",
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
            }
            for n, call in enumerate(message.tool_calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": SERVED_MODEL,
        "choices": [
            {
                "index": 0,
                "message": body,
                "finish_reason": "tool_calls" if message.tool_calls else "stop",
            }
        ],
        "usage": USAGE,
    }


@contextmanager
def fake_openai(respond: Responder) -> Iterator[FakeOpenAI]:
    """Serve Chat Completions on 127.0.0.1 (free port) with ``respond``; stop on exit."""
    server_state = FakeOpenAI(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            request = json.loads(self.rfile.read(length))
            server_state.requests.append(request)
            tools = [tool["function"]["name"] for tool in request.get("tools") or []]
            payload = json.dumps(completion(respond(to_messages(request["messages"]), tools)))
            data = payload.encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
