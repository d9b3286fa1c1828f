"""Mistral and Groq as billed: OpenAI-shaped usage, each with its own stream quirk.

* Mistral (langchain-mistralai over httpx): ``usage`` with ``prompt_tokens`` /
  ``completion_tokens`` on the response, and on the last chunk of a stream.
* Groq (langchain-groq and the groq SDK): OpenAI's ``usage`` (cached tokens in
  ``prompt_tokens_details``, reasoning in ``completion_tokens_details``) plus Groq's timing
  fields; a stream reports it in the last chunk under ``x_groq.usage``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from agenttrace.records import Usage
from agenttrace.server.helicone.ingest_mapping import LogEndpoint
from agenttrace.testing import InMemoryExporter

from .capture import check, handler_record, helicone_record, manual_logger_record
from .fake_wire import Event, FakeWire, Received, Reply, sse_text

langchain_mistralai = pytest.importorskip("langchain_mistralai")
langchain_groq = pytest.importorskip("langchain_groq")
groq = pytest.importorskip("groq")

MISTRAL_MODEL = "mistral-small-latest"
GROQ_MODEL = "openai/gpt-oss-20b"
ANSWER = ["The answer ", "is 42."]
MISTRAL_USAGE = {"prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876}
MISTRAL_EXPECTED = Usage(input_tokens=812, output_tokens=64)
GROQ_USAGE = {
    "queue_time": 0.02,
    "prompt_tokens": 1500,
    "prompt_time": 0.01,
    "completion_tokens": 210,
    "completion_time": 0.2,
    "total_tokens": 1710,
    "total_time": 0.21,
    "prompt_tokens_details": {"cached_tokens": 1024},
    "completion_tokens_details": {"reasoning_tokens": 150},
}
GROQ_EXPECTED = Usage(
    input_tokens=1500, output_tokens=210, cache_read_tokens=1024, reasoning_tokens=150
)
GROQ_REQUEST = {"model": GROQ_MODEL, "messages": [{"role": "user", "content": "6 x 7?"}]}
MISTRAL_REQUEST = {"model": MISTRAL_MODEL, "messages": [{"role": "user", "content": "6 x 7?"}]}


def _completion(model: str, usage: dict[str, Any]) -> dict[str, Any]:
    message = {"role": "assistant", "content": "".join(ANSWER)}
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage,
    }


def _chunks(model: str, usage: dict[str, Any], *, groq_style: bool) -> list[Event]:
    base = {"id": "cmpl-1", "object": "chat.completion.chunk", "created": 1_760_000_000}
    base["model"] = model
    events: list[Event] = []
    first = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
    events.append((None, {**base, "choices": [first]}))
    events.extend(
        (None, {**base, "choices": [{"index": 0, "delta": {"content": piece}}]}) for piece in ANSWER
    )
    last: dict[str, Any] = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if groq_style:
        last["x_groq"] = {"id": "req_1", "usage": usage}
    else:
        last["usage"] = usage
    events.append((None, last))
    return events


def respond(received: Received) -> Reply:
    groq_style = received.path.startswith("/openai/")
    model, usage = (GROQ_MODEL, GROQ_USAGE) if groq_style else (MISTRAL_MODEL, MISTRAL_USAGE)
    if received.body.get("stream"):
        return Reply(events=_chunks(model, usage, groq_style=groq_style), done=True)
    return Reply(body=_completion(model, usage))


def _mistral_chat(server: FakeWire) -> Any:
    return langchain_mistralai.ChatMistralAI(
        model=MISTRAL_MODEL, endpoint=f"{server.url}/v1", api_key="m-test", max_retries=0
    )


def _groq_chat(server: FakeWire) -> Any:
    return langchain_groq.ChatGroq(
        model=GROQ_MODEL, base_url=server.url, api_key="gsk-test", max_retries=0
    )


@dataclass(frozen=True)
class Case:
    """One provider: its chat model, the path it calls, what it must come out with."""

    chat: Callable[[FakeWire], Any]
    path: str
    request: dict[str, Any]
    model: str
    provider: str
    usage: dict[str, Any]
    expected: Usage


CASES = {
    "mistral": Case(
        _mistral_chat, "/v1/chat/completions", MISTRAL_REQUEST, MISTRAL_MODEL, "mistral",
        MISTRAL_USAGE, MISTRAL_EXPECTED,
    ),
    "groq": Case(
        _groq_chat, "/openai/v1/chat/completions", GROQ_REQUEST, GROQ_MODEL, "groq",
        GROQ_USAGE, GROQ_EXPECTED,
    ),
}  # fmt: skip


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_handler(server: FakeWire, exporter: InMemoryExporter, name: str, stream: bool) -> None:
    """ChatMistralAI / ChatGroq: usage from the response or the stream's last chunk (Groq's
    ``x_groq.usage``), cached and reasoning tokens, priced at the provider."""
    case = CASES[name]
    record = handler_record(case.chat(server), exporter, stream=stream)
    assert server.requests[-1].path == case.path
    check(record, case.expected, case.model, case.provider)


def _groq(server: FakeWire) -> Any:
    return groq.Groq(base_url=server.url, api_key="gsk-test", max_retries=0)


def test_groq_manual_logger(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The groq SDK's completion through ``log_request``."""
    completion = _groq(server).chat.completions.create(**GROQ_REQUEST)
    record = manual_logger_record(exporter, GROQ_REQUEST, "groq", response=completion)
    check(record, GROQ_EXPECTED, GROQ_MODEL, "groq")


def test_groq_manual_logger_stream(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The groq SDK's chunks through ``log_builder``: usage in the last one's ``x_groq``."""
    chunks = list(_groq(server).chat.completions.create(**GROQ_REQUEST, stream=True))
    record = manual_logger_record(exporter, GROQ_REQUEST, "groq", chunks=chunks)
    check(record, GROQ_EXPECTED, GROQ_MODEL, "groq")


def test_mistral_manual_logger(exporter: InMemoryExporter) -> None:
    """Mistral's response, and its chunks, through the ManualLogger."""
    record = manual_logger_record(
        exporter, MISTRAL_REQUEST, "mistral", response=_completion(MISTRAL_MODEL, MISTRAL_USAGE)
    )
    check(record, MISTRAL_EXPECTED, MISTRAL_MODEL, "mistral")


def test_mistral_manual_logger_stream(exporter: InMemoryExporter) -> None:
    """Mistral's stream chunks through ``log_builder``."""
    chunks = [data for _, data in _chunks(MISTRAL_MODEL, MISTRAL_USAGE, groq_style=False)]
    record = manual_logger_record(exporter, MISTRAL_REQUEST, "mistral", chunks=chunks)
    check(record, MISTRAL_EXPECTED, MISTRAL_MODEL, "mistral")


@pytest.mark.parametrize("name", sorted(CASES))
def test_helicone_custom_log(name: str) -> None:
    """``/custom/v1/log`` with the provider named: the response, and the raw SSE stream."""
    case = CASES[name]
    provider = case.provider.upper()
    json_body = _completion(case.model, case.usage)
    whole = helicone_record(
        LogEndpoint.CUSTOM, case.request, json_body=json_body, provider=provider
    )
    check(whole, case.expected, case.model, case.provider)
    text = sse_text(_chunks(case.model, case.usage, groq_style=name == "groq"), done=True)
    streamed = helicone_record(LogEndpoint.CUSTOM, case.request, text_body=text, provider=provider)
    check(streamed, case.expected, case.model, case.provider)
