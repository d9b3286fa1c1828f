"""Code written for Helicone's ``HeliconeManualLogger`` runs unchanged on ManualLogger.

The same user functions run twice: against the real ``helicone_helpers`` logger, pointed at
a small HTTP server on 127.0.0.1 that keeps what it is sent, and against ManualLogger. Both
must return the same values, and what ManualLogger records must match what Helicone's
helper posted (session, path, request and response bodies).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from helicone_helpers import HeliconeManualLogger
from helicone_helpers.manual_logger import HeliconeResultRecorder

from agenttrace import ManualLogger
from agenttrace.records import RecordKind, Status
from agenttrace.testing import InMemoryExporter

SESSION = "6f1c7f6e-trip-planner"
OPENAI_RESPONSE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Lisbon"}}],
    "usage": {"prompt_tokens": 42, "completion_tokens": 3, "total_tokens": 45},
}
STREAM_CHUNKS = [
    {"choices": [{"delta": {"content": "Lis"}}]},
    {"choices": [{"delta": {"content": "bon"}}]},
]


# -- the user's code, as Helicone's documentation writes it ------------------------------


def helicone_user_code(logger: Any) -> list[str]:
    """Tools, a vector-db search, an LLM call and a failing tool, Helicone style."""

    def search_tool(result_recorder: HeliconeResultRecorder) -> list[str]:
        documents = ["Lisbon is the capital of Portugal."]
        result_recorder.append_results({"documents": documents})
        return documents

    documents = logger.log_request(
        {"_type": "tool", "toolName": "search", "input": {"query": "capital of Portugal"}},
        search_tool,
        {
            "Helicone-Session-Id": SESSION,
            "Helicone-Session-Path": "/research/search",
            "Helicone-Session-Name": "Trip planner",
        },
    )

    def vector_search(result_recorder: HeliconeResultRecorder) -> list[str]:
        result_recorder.append_results({"matches": [{"id": "doc-7", "score": 0.91}]})
        return ["doc-7"]

    matches = logger.log_request(
        request={
            "_type": "vector_db",
            "operation": "search",
            "text": "Portuguese capital",
            "topK": 3,
            "databaseName": "pinecone",
        },
        operation=vector_search,
        additional_headers={
            "Helicone-Session-Id": SESSION,
            "Helicone-Session-Path": "/research/retrieve",
        },
    )

    def chat_completion_operation(result_recorder: HeliconeResultRecorder) -> str:
        result_recorder.append_results(OPENAI_RESPONSE)
        return str(OPENAI_RESPONSE["choices"][0]["message"]["content"])  # type: ignore[index]

    answer = logger.log_request(
        provider="openai",
        request={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Capital?"}]},
        operation=chat_completion_operation,
        additional_headers={
            "Helicone-Session-Id": SESSION,
            "Helicone-Session-Path": "/answer",
            "Helicone-User-Id": "traveller-1",
            "Helicone-Property-Locale": "pt",
        },
    )

    def flaky_tool(result_recorder: HeliconeResultRecorder) -> None:
        raise ConnectionError("weather service unreachable")

    try:
        logger.log_request(
            {"_type": "tool", "toolName": "weather"},
            flaky_tool,
            {"Helicone-Session-Id": SESSION, "Helicone-Session-Path": "/research/weather"},
        )
    except ConnectionError as exc:
        answer += f" ({exc})"
    return [*documents, *matches, answer]


async def helicone_stream_code(logger: Any) -> None:
    """A streamed answer logged with the builder, Helicone style (send_log is awaited)."""
    builder = logger.log_builder(
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "Capital?"}],
            "stream": True,
        },
        {"Helicone-Session-Id": SESSION, "Helicone-Session-Path": "/answer/stream"},
    )
    for chunk in STREAM_CHUNKS:
        builder.add_chunk(chunk)
    await builder.send_log()


# -- a server that keeps what Helicone's helper posts ------------------------------------


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class CaptureServer:
    url: str
    posted: list[Posted] = field(default_factory=list)


@pytest.fixture
def capture() -> Iterator[CaptureServer]:
    """An HTTP server on 127.0.0.1 (free port) answering 200 and keeping every POST."""
    posted: list[Posted] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            posted.append(Posted(self.path, dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield CaptureServer(f"http://127.0.0.1:{server.server_address[1]}", posted)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _header(posted: Posted, name: str) -> str | None:
    return next((v for k, v in posted.headers.items() if k.lower() == name.lower()), None)


def test_helicone_code_runs_unchanged(capture: CaptureServer, exporter: InMemoryExporter) -> None:
    """Same calls, same return values; ManualLogger records what Helicone's helper posts."""
    helicone = HeliconeManualLogger(
        api_key="sk-helicone-test",
        headers={"Helicone-Property-App": "trip"},
        logging_endpoint=capture.url,
    )
    ours = ManualLogger(headers={"Helicone-Property-App": "trip"})

    helicone_result = helicone_user_code(helicone)
    asyncio.run(helicone_stream_code(helicone))
    our_result = helicone_user_code(ours)
    asyncio.run(helicone_stream_code(ours))

    assert our_result == helicone_result
    assert our_result[-1] == "Lisbon (weather service unreachable)"

    posted = {_header(p, "Helicone-Session-Path"): p for p in capture.posted}
    recorded = {r.session_path: r for r in exporter.records}
    # Helicone's helper drops the failed call; ManualLogger records it as an error.
    assert set(posted) == {"/research/search", "/research/retrieve", "/answer", "/answer/stream"}
    assert set(recorded) == {*posted, "/research/weather"}
    failed = recorded.pop("/research/weather")
    assert failed.status is Status.ERROR
    assert failed.error is not None
    assert failed.error.message == "weather service unreachable"

    for path, record in recorded.items():
        sent = posted[path]
        assert record.session_id == _header(sent, "Helicone-Session-Id") == SESSION
        assert record.properties["App"] == _header(sent, "Helicone-Property-App") == "trip"
        assert record.request == sent.body["providerRequest"]["json"]
        assert record.status is Status.OK
    for path in ("/research/search", "/research/retrieve", "/answer"):
        response_json = dict(posted[path].body["providerResponse"]["json"])
        del response_json["_type"], response_json["toolName"]  # Helicone echoes these
        assert recorded[path].response == response_json

    assert posted["/answer"].path == "/oai/v1/log"
    assert recorded["/answer"].kind is RecordKind.LLM
    assert recorded["/answer"].user_id == _header(posted["/answer"], "Helicone-User-Id")
    assert recorded["/answer"].properties["Locale"] == "pt"
    assert recorded["/answer"].usage is not None
    assert recorded["/answer"].usage.total_tokens == 45
    assert recorded["/research/search"].kind is RecordKind.TOOL
    assert recorded["/research/retrieve"].kind is RecordKind.VECTOR_DB
    assert recorded["/research/search"].session_name == "Trip planner"
    streamed_text = posted["/answer/stream"].body["providerResponse"]["textBody"]
    assert streamed_text == "\n".join(json.dumps(c) for c in STREAM_CHUNKS)
    assert recorded["/answer/stream"].response == STREAM_CHUNKS
    assert recorded["/answer/stream"].time_to_first_token_ms is not None


def test_constructor_takes_helicone_arguments() -> None:
    """ManualLogger(api_key, headers, logging_endpoint), positionally or by name, as Helicone's."""
    by_position = ManualLogger("sk-key", {"Helicone-Property-App": "x"}, "http://127.0.0.1:9")
    by_name = ManualLogger(
        api_key="sk-key",
        headers={"Helicone-Property-App": "x"},
        logging_endpoint="http://127.0.0.1:9",
    )
    assert by_position.tracer is by_name.tracer
    assert by_position.headers == {"Helicone-Property-App": "x"}
    assert (by_name.api_key, by_name.logging_endpoint) == ("sk-key", "http://127.0.0.1:9")
