"""Google Gemini as billed (langchain-google-genai, the Gemini API's REST wire format).

Gemini's ``usageMetadata``: ``promptTokenCount`` includes ``cachedContentTokenCount``;
``candidatesTokenCount`` excludes thinking, counted in ``thoughtsTokenCount`` and billed as
output; ``totalTokenCount`` is their sum. A stream repeats the running totals in every
chunk (the last is the call's), so usage must not be summed over chunks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agenttrace.records import Usage
from agenttrace.server.helicone.ingest_mapping import LogEndpoint
from agenttrace.testing import InMemoryExporter

from .capture import check, handler_record, helicone_record, manual_logger_record
from .fake_wire import FakeWire, Received, Reply, sse_text

genai_chat = pytest.importorskip("langchain_google_genai")

MODEL = "gemini-2.5-flash"
PROMPT, CACHED, CANDIDATES, THOUGHTS = 3000, 2048, 60, 240
EXPECTED = Usage(
    input_tokens=PROMPT,
    output_tokens=CANDIDATES + THOUGHTS,
    cache_read_tokens=CACHED,
    reasoning_tokens=THOUGHTS,
)
ANSWER = ["The answer ", "is 42."]
REQUEST = {"model": MODEL, "contents": [{"role": "user", "parts": [{"text": "6 x 7?"}]}]}


def _usage(candidates: int, thoughts: int) -> dict[str, Any]:
    return {
        "promptTokenCount": PROMPT,
        "cachedContentTokenCount": CACHED,
        "candidatesTokenCount": candidates,
        "thoughtsTokenCount": thoughts,
        "totalTokenCount": PROMPT + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": PROMPT}],
        "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": CACHED}],
    }


def _chunk(text: str, usage: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "content": {"role": "model", "parts": [{"text": text}]},
        "index": 0,
    }
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": MODEL,
            "responseId": "resp-1"}  # fmt: skip


def _whole() -> dict[str, Any]:
    return _chunk("".join(ANSWER), _usage(CANDIDATES, THOUGHTS), "STOP")


def _stream() -> list[dict[str, Any]]:
    return [  # running totals: thinking first, then the answer
        _chunk(ANSWER[0], _usage(20, THOUGHTS)),
        _chunk(ANSWER[1], _usage(CANDIDATES, THOUGHTS), "STOP"),
    ]


def respond(received: Received) -> Reply:
    if received.path.endswith(":streamGenerateContent"):
        if received.query.get("alt") == ["sse"]:
            return Reply(events=[(None, chunk) for chunk in _stream()])
        return Reply(array=_stream())
    assert received.path.endswith(":generateContent"), received.path
    return Reply(body=_whole())


def _chat(server: FakeWire) -> Any:
    return genai_chat.ChatGoogleGenerativeAI(
        model=MODEL, google_api_key="g-test", base_url=server.url, transport="rest",
        max_retries=0,
    )  # fmt: skip


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_handler(server: FakeWire, exporter: InMemoryExporter, stream: bool) -> None:
    """ChatGoogleGenerativeAI: cached content and thoughts, counted once, priced at Google."""
    record = handler_record(_chat(server), exporter, stream=stream)
    check(record, EXPECTED, MODEL, "google")


def test_manual_logger(exporter: InMemoryExporter) -> None:
    """A generateContent response through ``log_request``."""
    record = manual_logger_record(exporter, REQUEST, "google", response=_whole())
    check(record, EXPECTED, MODEL, "google")


def test_manual_logger_stream(exporter: InMemoryExporter) -> None:
    """streamGenerateContent chunks through ``log_builder``: the last running total wins."""
    record = manual_logger_record(exporter, REQUEST, "google", chunks=_stream())
    check(record, EXPECTED, MODEL, "google")


def test_helicone_googleapis_log() -> None:
    """``/googleapis/v1/log`` with the response, and with the SSE stream as ``textBody``."""
    whole = helicone_record(LogEndpoint.GOOGLE, REQUEST, json_body=_whole())
    check(whole, EXPECTED, MODEL, "google")
    streamed = helicone_record(
        LogEndpoint.GOOGLE, REQUEST, text_body=sse_text([(None, c) for c in _stream()])
    )
    check(streamed, EXPECTED, MODEL, "google")
    as_array = helicone_record(LogEndpoint.GOOGLE, REQUEST, text_body=json.dumps(_stream()))
    check(as_array, EXPECTED, MODEL, "google")
