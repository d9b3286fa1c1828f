"""OpenAI as billed: Chat Completions, the Responses API and Azure OpenAI.

OpenAI's ``usage`` counts cached tokens inside ``prompt_tokens`` / ``input_tokens``
(``*_tokens_details.cached_tokens``) and reasoning tokens inside ``completion_tokens`` /
``output_tokens`` (``*_tokens_details.reasoning_tokens``), which is agenttrace's convention.
A Chat Completions stream reports usage once, in a last chunk with no choices (asked for
with ``stream_options.include_usage``); a Responses stream in ``response.completed``.
"""

from __future__ import annotations

from typing import Any

import pytest

from agenttrace.records import Usage
from agenttrace.server.helicone.ingest_mapping import LogEndpoint
from agenttrace.testing import InMemoryExporter

from .capture import check, handler_record, helicone_record, manual_logger_record
from .fake_wire import Event, FakeWire, Received, Reply, sse_text

openai = pytest.importorskip("openai")
langchain_openai = pytest.importorskip("langchain_openai")

SERVED = "o4-mini-2025-04-16"
AZURE_SERVED = "gpt-4o-2024-11-20"
PROMPT, CACHED, COMPLETION, REASONING = 2006, 1920, 300, 192
EXPECTED = Usage(
    input_tokens=PROMPT,
    output_tokens=COMPLETION,
    cache_read_tokens=CACHED,
    reasoning_tokens=REASONING,
)
CHAT_USAGE = {
    "prompt_tokens": PROMPT,
    "completion_tokens": COMPLETION,
    "total_tokens": PROMPT + COMPLETION,
    "prompt_tokens_details": {"cached_tokens": CACHED, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": REASONING,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
RESPONSES_USAGE = {
    "input_tokens": PROMPT,
    "input_tokens_details": {"cached_tokens": CACHED},
    "output_tokens": COMPLETION,
    "output_tokens_details": {"reasoning_tokens": REASONING},
    "total_tokens": PROMPT + COMPLETION,
}
ANSWER = ["The answer ", "is 42."]
CHAT_REQUEST = {"model": "o4-mini", "messages": [{"role": "user", "content": "6 x 7?"}]}
RESPONSES_REQUEST = {"model": "o4-mini", "input": "6 x 7?"}


def _completion(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(ANSWER), "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": CHAT_USAGE,
        "service_tier": "default",
        "system_fingerprint": "fp_1",
    }


def _chunks(model: str, *, azure: bool = False) -> list[Event]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_760_000_000}
    base["model"] = model
    events: list[Event] = []
    if azure:  # Azure's first chunk: content filter results, no model, no choices
        events.append(
            (
                None,
                {
                    "id": "",
                    "object": "",
                    "created": 0,
                    "model": "",
                    "choices": [],
                    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
                },
            )
        )
    first = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
    events.append((None, {**base, "choices": [first], "usage": None}))
    for piece in ANSWER:
        delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
        events.append((None, {**base, "choices": [delta], "usage": None}))
    events.append(
        (
            None,
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": None,
            },
        )
    )
    events.append((None, {**base, "choices": [], "usage": CHAT_USAGE}))
    return events  # fmt: skip


def _response(*, completed: bool = True) -> dict[str, Any]:
    message = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "".join(ANSWER), "annotations": []}],
    }
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_760_000_000,
        "status": "completed" if completed else "in_progress",
        "model": SERVED,
        "output": [{"type": "reasoning", "id": "rs_1", "summary": []}, message]
        if completed
        else [],
        "usage": RESPONSES_USAGE if completed else None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "text": {"format": {"type": "text"}},
    }


def _response_events() -> list[Event]:
    item = {
        "type": "message",
        "id": "msg_1",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    part = {"type": "output_text", "text": "", "annotations": []}
    at = {"item_id": "msg_1", "output_index": 1, "content_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": _response(completed=False)},
        {"type": "response.in_progress", "response": _response(completed=False)},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_1", "summary": []},
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_1", "summary": []},
        },
        {"type": "response.output_item.added", "output_index": 1, "item": item},
        {"type": "response.content_part.added", **at, "part": part},
        *(
            {"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []}
            for piece in ANSWER
        ),
        {"type": "response.output_text.done", **at, "text": "".join(ANSWER), "logprobs": []},
        {"type": "response.content_part.done", **at, "part": {**part, "text": "".join(ANSWER)}},
        {"type": "response.output_item.done", "output_index": 1, "item": _response()["output"][1]},
        {"type": "response.completed", "response": _response()},
    ]  # fmt: skip
    return [(event["type"], {**event, "sequence_number": n}) for n, event in enumerate(events)]


def respond(received: Received) -> Reply:
    stream = bool(received.body.get("stream"))
    if received.path.endswith("/responses"):
        return Reply(events=_response_events()) if stream else Reply(body=_response())
    azure = "/openai/deployments/" in received.path
    model = AZURE_SERVED if azure else SERVED
    if stream:
        return Reply(events=_chunks(model, azure=azure), done=True)
    return Reply(body=_completion(model))


def _chat_openai(server: FakeWire, **kwargs: Any) -> Any:
    return langchain_openai.ChatOpenAI(
        model="o4-mini", base_url=f"{server.url}/v1", api_key="sk-test", max_retries=0, **kwargs
    )


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_chat_completions_handler(
    server: FakeWire, exporter: InMemoryExporter, stream: bool
) -> None:
    """ChatOpenAI: cached and reasoning tokens, the served model, counted once."""
    record = handler_record(_chat_openai(server, stream_usage=True), exporter, stream=stream)
    check(record, EXPECTED, SERVED, "openai")


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_responses_api_handler(server: FakeWire, exporter: InMemoryExporter, stream: bool) -> None:
    """ChatOpenAI(use_responses_api=True): usage from the response (``response.completed``)."""
    chat = _chat_openai(server, use_responses_api=True)
    record = handler_record(chat, exporter, stream=stream)
    assert server.requests[-1].path == "/v1/responses"
    check(record, EXPECTED, SERVED, "openai")


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_azure_handler(server: FakeWire, exporter: InMemoryExporter, stream: bool) -> None:
    """AzureChatOpenAI: the deployment's served model, priced as Azure's."""
    chat = langchain_openai.AzureChatOpenAI(
        azure_endpoint=server.url,
        azure_deployment="prod-4o",
        api_version="2024-10-21",
        api_key="azure-key",
        max_retries=0,
        stream_usage=True,
    )
    record = handler_record(chat, exporter, stream=stream)
    assert server.requests[-1].path == "/openai/deployments/prod-4o/chat/completions"
    check(record, EXPECTED, AZURE_SERVED, "azure")


def _sdk(server: FakeWire) -> Any:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-test", max_retries=0)


def test_manual_logger_chat_completions(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The OpenAI SDK's ChatCompletion, logged with ``log_request``."""
    completion = _sdk(server).chat.completions.create(**CHAT_REQUEST)
    record = manual_logger_record(exporter, CHAT_REQUEST, "openai", response=completion)
    check(record, EXPECTED, SERVED, "openai")


def test_manual_logger_chat_completions_stream(
    server: FakeWire, exporter: InMemoryExporter
) -> None:
    """The SDK's stream chunks, the last one carrying usage."""
    chunks = list(
        _sdk(server).chat.completions.create(
            **CHAT_REQUEST, stream=True, stream_options={"include_usage": True}
        )
    )
    record = manual_logger_record(exporter, CHAT_REQUEST, "openai", chunks=chunks)
    check(record, EXPECTED, SERVED, "openai")


def test_manual_logger_responses(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The SDK's Response, logged with ``log_request``."""
    response = _sdk(server).responses.create(**RESPONSES_REQUEST)
    record = manual_logger_record(exporter, RESPONSES_REQUEST, "openai", response=response)
    check(record, EXPECTED, SERVED, "openai")


def test_manual_logger_responses_stream(server: FakeWire, exporter: InMemoryExporter) -> None:
    """The SDK's Responses stream events: usage in ``response.completed``, counted once."""
    events = list(_sdk(server).responses.create(**RESPONSES_REQUEST, stream=True))
    record = manual_logger_record(exporter, RESPONSES_REQUEST, "openai", chunks=events)
    check(record, EXPECTED, SERVED, "openai")


def test_helicone_oai_log() -> None:
    """``/oai/v1/log``: a completion, a chunk stream and a Responses stream as ``textBody``;
    ``/custom/v1/log`` with provider AZURE prices Azure's deployment."""
    cases: list[tuple[LogEndpoint, dict[str, Any], dict[str, Any] | None, str | None, None]] = [
        (LogEndpoint.OPENAI, CHAT_REQUEST, _completion(SERVED), None, None),
        (LogEndpoint.OPENAI, CHAT_REQUEST, None, sse_text(_chunks(SERVED), done=True), None),
        (LogEndpoint.OPENAI, RESPONSES_REQUEST, _response(), None, None),
        (LogEndpoint.OPENAI, RESPONSES_REQUEST, None, sse_text(_response_events()), None),
    ]
    for endpoint, request, json_body, text_body, provider in cases:
        record = helicone_record(
            endpoint, request, json_body=json_body, text_body=text_body, provider=provider
        )
        check(record, EXPECTED, SERVED, "openai")
    azure = helicone_record(
        LogEndpoint.CUSTOM,
        CHAT_REQUEST,
        text_body=sse_text(_chunks(AZURE_SERVED, azure=True), done=True),
        provider="AZURE",
    )
    check(azure, EXPECTED, AZURE_SERVED, "azure")
