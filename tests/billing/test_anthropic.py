"""Anthropic as billed: 5-minute and 1-hour cache writes, cache reads, extended thinking.

Anthropic's Messages API reports ``input_tokens`` without the cache; cache reads in
``cache_read_input_tokens``; cache writes in ``cache_creation_input_tokens`` broken down
by lifetime in ``cache_creation.ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens``
(non-streamed responses and ``message_start``); ``output_tokens`` includes thinking,
broken down in ``output_tokens_details.thinking_tokens``. A stream's ``message_start``
carries the input side and ``message_delta`` the cumulative totals (no lifetime breakdown).
agenttrace's convention: input includes reads and writes, output includes thinking.
"""

from __future__ import annotations

from typing import Any

import pytest

from agenttrace.records import Usage
from agenttrace.server.helicone.ingest_mapping import LogEndpoint
from agenttrace.server.testing import RunningCollector
from agenttrace.testing import InMemoryExporter

from .capture import (
    check,
    genai_cost,
    handler_record,
    helicone_body,
    helicone_record,
    manual_logger_record,
)
from .fake_wire import Event, FakeWire, Received, Reply, fake_wire, sse_text

anthropic = pytest.importorskip("anthropic")
ChatAnthropic = pytest.importorskip("langchain_anthropic").ChatAnthropic

MODEL = "claude-haiku-4-5-20251001"
UNCACHED, READ, WRITE_5M, WRITE_1H, OUTPUT, THINKING = 30, 1000, 2048, 512, 400, 300
RAW_USAGE = {
    "input_tokens": UNCACHED,
    "cache_read_input_tokens": READ,
    "cache_creation_input_tokens": WRITE_5M + WRITE_1H,
    "cache_creation": {
        "ephemeral_5m_input_tokens": WRITE_5M,
        "ephemeral_1h_input_tokens": WRITE_1H,
    },
    "output_tokens": OUTPUT,
    "output_tokens_details": {"thinking_tokens": THINKING},
    "service_tier": "standard",
}


def _expected(*, one_hour_known: bool = True) -> Usage:
    return Usage(
        input_tokens=UNCACHED + READ + WRITE_5M + WRITE_1H,
        output_tokens=OUTPUT,
        cache_read_tokens=READ,
        cache_write_tokens=WRITE_5M + WRITE_1H,
        cache_write_1h_tokens=WRITE_1H if one_hour_known else None,
        reasoning_tokens=THINKING,
    )


THOUGHT, ANSWER = "6 x 7 is 42.", "42"


def _message(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [
            {"type": "thinking", "thinking": THOUGHT, "signature": "c2lnbmF0dXJl"},
            {"type": "text", "text": ANSWER},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


def _events(usage: dict[str, Any]) -> list[Event]:
    start_usage = {**usage, "output_tokens": 1}
    start_usage.pop("output_tokens_details", None)
    start = {**_message(start_usage), "content": [], "stop_reason": None}
    delta_usage = {k: v for k, v in usage.items() if k not in {"cache_creation", "service_tier"}}
    return [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": THOUGHT},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "c2lnbmF0dXJl"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "text_delta", "text": ANSWER},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": delta_usage,
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


def _reply_with(usage: dict[str, Any]) -> Any:
    def respond(received: Received) -> Reply:
        assert received.path == "/v1/messages"
        if received.body.get("stream"):
            return Reply(events=_events(usage))
        return Reply(body=_message(usage))

    return respond


respond = _reply_with(RAW_USAGE)


def _chat(server: FakeWire) -> Any:
    return ChatAnthropic(
        model="claude-haiku-4-5",
        base_url=server.url,
        api_key="sk-ant-test",
        max_retries=0,
    )


REQUEST = {
    "model": "claude-haiku-4-5",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "6 x 7?"}],
}


def test_issue_17_five_minute_cache_writes_invoke(exporter: InMemoryExporter) -> None:
    """The reported bug: a non-streamed response breaks its cache writes down by lifetime;
    langchain-anthropic then reports ``cache_creation`` 0 and the writes under the
    ``ephemeral_*`` keys, which must still be counted and priced as cache writes."""
    usage = {
        "input_tokens": 20,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 512,
        "cache_creation": {"ephemeral_5m_input_tokens": 512, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 40,
    }
    with fake_wire(_reply_with(usage)) as server:
        record = handler_record(_chat(server), exporter, stream=False)
    expected = Usage(
        input_tokens=532, output_tokens=40, cache_read_tokens=0, cache_write_tokens=512
    )
    check(record, expected, MODEL, "anthropic")


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_handler(server: FakeWire, exporter: InMemoryExporter, stream: bool) -> None:
    """langchain-anthropic: reads, 5m and 1h writes, thinking; served model; genai-prices' cost.

    A stream's usage comes from ``message_delta``, which has no lifetime breakdown, so the
    one-hour writes are known only when langchain-anthropic passes them on (invoke)."""
    record = handler_record(_chat(server), exporter, stream=stream)
    check(record, _expected(one_hour_known=not stream), MODEL, "anthropic")
    assert bool(server.requests[-1].body.get("stream")) is stream


def _client(server: FakeWire) -> Any:
    return anthropic.Anthropic(base_url=server.url, api_key="sk-ant-test", max_retries=0)


def test_manual_logger_response(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The Anthropic SDK's Message, logged with ``log_request``."""
    message = _client(server).messages.create(**REQUEST)
    record = manual_logger_record(exporter, REQUEST, "anthropic", response=message)
    check(record, _expected(), MODEL, "anthropic")


def test_manual_logger_stream(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The Anthropic SDK's stream events, chunk by chunk: message_start gives the lifetime
    breakdown, message_delta the final counts; usage counted once."""
    events = list(_client(server).messages.create(**REQUEST, stream=True))
    record = manual_logger_record(exporter, REQUEST, "anthropic", chunks=events)
    check(record, _expected(), MODEL, "anthropic")


def test_helicone_anthropic_log() -> None:
    """``/anthropic/v1/log`` with the message as ``providerResponse.json``, and with the raw
    SSE stream as ``textBody``."""
    whole = helicone_record(LogEndpoint.ANTHROPIC, REQUEST, json_body=_message(RAW_USAGE))
    check(whole, _expected(), MODEL, "anthropic")
    streamed = helicone_record(
        LogEndpoint.ANTHROPIC, REQUEST, text_body=sse_text(_events(RAW_USAGE))
    )
    check(streamed, _expected(), MODEL, "anthropic")


def test_anthropic_log_over_http_keeps_the_cost(collector: RunningCollector) -> None:
    """Through a real collector: ``/anthropic/v1/log`` with the SSE stream as ``textBody``
    stores the one-hour-aware cost and the cache counts (read back with GET /v1/request)."""
    body = helicone_body(REQUEST, text_body=sse_text(_events(RAW_USAGE)))
    with collector.client(timeout=10) as http:
        response = http.post("/anthropic/v1/log", json=body)
        assert (response.status_code, response.text) == (200, "ok")
        stored = http.get(f"/v1/request/{response.headers['helicone-id']}").json()["data"]
    expected = _expected()
    assert (stored["prompt_tokens"], stored["completion_tokens"]) == (
        expected.input_tokens,
        expected.output_tokens,
    )
    assert (stored["prompt_cache_read_tokens"], stored["prompt_cache_write_tokens"]) == (
        READ,
        WRITE_5M + WRITE_1H,
    )
    assert stored["cost"] == pytest.approx(genai_cost(MODEL, "anthropic", expected), abs=1e-9)
