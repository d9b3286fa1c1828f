"""AWS Bedrock Converse as billed (langchain-aws' ChatBedrockConverse and boto3).

Converse's ``usage``: ``inputTokens`` excludes the cache, read in
``cacheReadInputTokens`` and written in ``cacheWriteInputTokens`` (broken down by lifetime
in ``cacheDetails``); ``totalTokens`` is the sum of all four. ConverseStream sends usage
once, in its last event, ``metadata``, framed as AWS's binary event stream.
"""

from __future__ import annotations

from typing import Any

import pytest

from agenttrace.records import Usage
from agenttrace.server.helicone.ingest_mapping import LogEndpoint
from agenttrace.testing import InMemoryExporter

from .aws_event_stream import event_stream
from .capture import check, handler_record, helicone_record, manual_logger_record
from .fake_wire import FakeWire, Received, Reply

boto3 = pytest.importorskip("boto3")
langchain_aws = pytest.importorskip("langchain_aws")

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
UNCACHED, READ, WRITE_5M, WRITE_1H, OUTPUT = 40, 1500, 1024, 256, 120
USAGE = {
    "inputTokens": UNCACHED,
    "outputTokens": OUTPUT,
    "cacheReadInputTokens": READ,
    "cacheWriteInputTokens": WRITE_5M + WRITE_1H,
    "cacheDetails": [
        {"ttl": "5m", "inputTokens": WRITE_5M},
        {"ttl": "1h", "inputTokens": WRITE_1H},
    ],
    "totalTokens": UNCACHED + READ + WRITE_5M + WRITE_1H + OUTPUT,
}
EXPECTED = Usage(
    input_tokens=UNCACHED + READ + WRITE_5M + WRITE_1H,
    output_tokens=OUTPUT,
    cache_read_tokens=READ,
    cache_write_tokens=WRITE_5M + WRITE_1H,
    cache_write_1h_tokens=WRITE_1H,
)
ANSWER = ["The answer ", "is 42."]
REQUEST = {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "6 x 7?"}]}]}


def _converse() -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": "".join(ANSWER)}]}},
        "stopReason": "end_turn",
        "usage": USAGE,
        "metrics": {"latencyMs": 412},
    }


def _events() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("messageStart", {"role": "assistant"}),
        *(
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
            for piece in ANSWER
        ),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
        ("metadata", {"usage": USAGE, "metrics": {"latencyMs": 412}}),
    ]


def respond(received: Received) -> Reply:
    if received.path.endswith("/converse-stream"):
        return Reply(raw=event_stream(_events()), content_type="application/vnd.amazon.eventstream")
    assert received.path.endswith("/converse"), received.path
    return Reply(body=_converse())


_CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "secret",
}


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_handler(server: FakeWire, exporter: InMemoryExporter, stream: bool) -> None:
    """ChatBedrockConverse: reads, 5m and 1h writes (``cacheDetails``), priced at AWS."""
    chat = langchain_aws.ChatBedrockConverse(model=MODEL, endpoint_url=server.url, **_CREDENTIALS)
    record = handler_record(chat, exporter, stream=stream)
    check(record, EXPECTED, MODEL, "aws")


def _client(server: FakeWire) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=server.url, **_CREDENTIALS)


def test_manual_logger(server: FakeWire, exporter: InMemoryExporter) -> None:
    """boto3's converse() answer through ``log_request`` (the model is the request's)."""
    response = _client(server).converse(**REQUEST)
    record = manual_logger_record(exporter, REQUEST, "aws", response=response)
    check(record, EXPECTED, MODEL, "aws")


def test_manual_logger_stream(server: FakeWire, exporter: InMemoryExporter) -> None:
    """boto3's converse_stream() events through ``log_builder``: usage in ``metadata``."""
    events = list(_client(server).converse_stream(**REQUEST)["stream"])
    assert "metadata" in events[-1]
    record = manual_logger_record(exporter, REQUEST, "aws", chunks=events)
    check(record, EXPECTED, MODEL, "aws")


def test_helicone_custom_log() -> None:
    """``/custom/v1/log`` with provider BEDROCK: a converse answer, and a stream's events as
    ``streamed_data``."""
    whole = helicone_record(LogEndpoint.CUSTOM, REQUEST, json_body=_converse(), provider="BEDROCK")
    check(whole, EXPECTED, MODEL, "aws")
    events = [{name: payload} for name, payload in _events()]
    streamed = helicone_record(
        LogEndpoint.CUSTOM, REQUEST, json_body={"streamed_data": events}, provider="BEDROCK"
    )
    check(streamed, EXPECTED, MODEL, "aws")
