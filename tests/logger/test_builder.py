"""LogBuilder: streamed calls chunk by chunk, time to first token, errors, context manager."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import agenttrace
from agenttrace import ManualLogger
from agenttrace.core.pricing import compute_cost
from agenttrace.exceptions import UserError
from agenttrace.records import RecordKind, Status, Usage
from agenttrace.testing import InMemoryExporter

REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
OPENAI_CHUNKS: list[dict[str, Any]] = [
    {"model": "gpt-4o-mini-2024-07-18", "choices": [{"delta": {"content": "Hel"}}], "usage": None},
    {"model": "gpt-4o-mini-2024-07-18", "choices": [{"delta": {"content": "lo"}}], "usage": None},
    {
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    },
]


def test_stream_is_logged_with_chunks_usage_and_cost(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """Chunks become the response; usage and model come from them; the cost is computed."""
    builder = logger.log_builder(REQUEST, {"Helicone-Session-Id": "s-1"}, provider="openai")
    for chunk in OPENAI_CHUNKS:
        builder.add_chunk(chunk)
    builder.send_log()
    (record,) = exporter.records
    assert record.kind is RecordKind.LLM
    assert record.session_id == "s-1"
    assert record.response == OPENAI_CHUNKS
    assert record.request == REQUEST
    assert record.model == "gpt-4o-mini-2024-07-18"
    assert record.usage == Usage(input_tokens=12, output_tokens=3, total_tokens=15)
    assert record.cost_usd == pytest.approx(
        compute_cost("gpt-4o-mini-2024-07-18", "openai", record.usage, at=record.start_time)
    )


def test_first_chunk_sets_time_to_first_token(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """time_to_first_token_ms is measured at the first chunk only, within the call's span."""
    builder = logger.log_builder(REQUEST)
    start = time.perf_counter()
    while time.perf_counter() - start < 0.002:  # the model 'thinks' for at least 2 ms
        pass
    builder.add_chunk("Hel")
    first = builder.time_to_first_token
    builder.add_chunk("lo")
    assert builder.time_to_first_token == first
    builder.send_log()
    (record,) = exporter.records
    assert record.time_to_first_token_ms == first
    assert first is not None
    assert first >= 2.0
    assert record.latency_ms is not None
    assert record.latency_ms >= first
    assert record.response == ["Hel", "lo"]


def test_anthropic_stream_usage_is_merged(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """message_start's input counts and message_delta's output count make one usage."""
    builder = logger.log_builder(
        {"model": "claude-3-5-haiku-latest", "messages": []}, provider="anthropic"
    )
    builder.add_chunk(
        {
            "type": "message_start",
            "message": {
                "model": "claude-3-5-haiku-20241022",
                "usage": {"input_tokens": 25, "cache_read_input_tokens": 100, "output_tokens": 1},
            },
        }
    )
    builder.add_chunk({"type": "message_delta", "usage": {"output_tokens": 15}})
    builder.send_log()
    (record,) = exporter.records
    assert record.usage == Usage(input_tokens=125, output_tokens=15, cache_read_tokens=100)
    assert record.model == "claude-3-5-haiku-20241022"
    assert record.cost_usd is not None
    assert record.cost_usd > 0


def test_add_response_for_a_call_that_did_not_stream(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """add_response sets the body and ends the call; its usage prices the call."""
    builder = logger.log_builder({"model": "gpt-4o", "messages": []}, provider="openai")
    response = {
        "model": "gpt-4o-2024-08-06",
        "usage": {"prompt_tokens": 100, "completion_tokens": 20},
    }
    builder.add_response(response)
    builder.send_log()
    (record,) = exporter.records
    assert record.response == response
    assert record.model == "gpt-4o-2024-08-06"
    assert record.cost_usd is not None
    assert record.time_to_first_token_ms is None


def test_add_model_names_the_model(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """add_model sets the record's model and writes it into the request, as in Helicone."""
    builder = logger.log_builder({"messages": []}, provider="openai")
    builder.add_model("gpt-4o")
    builder.add_chunk({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 2}})
    builder.send_log()
    (record,) = exporter.records
    assert record.model == "gpt-4o"
    assert record.request == {"messages": [], "model": "gpt-4o"}
    assert record.cost_usd is not None


def test_set_cost_wins(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """An explicit cost replaces the computed one."""
    builder = logger.log_builder(REQUEST, provider="openai")
    for chunk in OPENAI_CHUNKS:
        builder.add_chunk(chunk)
    builder.set_cost(0.75)
    builder.send_log()
    assert exporter.records[0].cost_usd == 0.75
    with pytest.raises(UserError):
        builder.set_cost(-1)


def test_set_error_records_a_failure(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """set_error with an exception or a message makes the record an error."""
    first = logger.log_builder(REQUEST)
    first.add_chunk("partial")
    first.set_error(ConnectionResetError("stream reset by peer"))
    first.send_log()
    second = logger.log_builder(REQUEST)
    second.set_error("upstream returned 502")
    second.send_log()
    failed, messaged = exporter.records
    assert failed.status is Status.ERROR
    assert failed.error is not None
    assert (failed.error.type, failed.error.message) == (
        "ConnectionResetError",
        "stream reset by peer",
    )
    assert failed.response == ["partial"]
    assert messaged.error is not None
    assert messaged.error.message == "upstream returned 502"


def test_was_cancelled_records_cancelled(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """Setting was_cancelled (Helicone's flag) records the call as cancelled."""
    builder = logger.log_builder(REQUEST)
    builder.was_cancelled = True
    builder.send_log()
    assert exporter.records[0].status is Status.CANCELLED


def test_send_log_logs_once(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """A second send_log does nothing."""
    builder = logger.log_builder(REQUEST)
    builder.send_log()
    builder.send_log()
    assert len(exporter.records) == 1


async def test_send_log_can_be_awaited_as_in_helicone(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """`await builder.send_log()` (Helicone's async method) works; so does asend_log()."""
    first = logger.new_builder(REQUEST)
    first.add_chunk("x")
    await first.send_log()
    second = logger.log_builder(REQUEST)
    await second.asend_log()
    assert len(exporter.records) == 2


def test_omit_response_keeps_no_chunks(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """With Helicone-Omit-Response the chunks are not even kept, but usage still counts."""
    builder = logger.log_builder(REQUEST, {"Helicone-Omit-Response": "true"}, provider="openai")
    for chunk in OPENAI_CHUNKS:
        builder.add_chunk(chunk)
    assert builder.stream_chunks == []
    builder.send_log()
    (record,) = exporter.records
    assert record.response is None
    assert record.usage is not None
    assert record.usage.output_tokens == 3


def test_session_is_taken_when_the_builder_is_made(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """The call belongs to the session open at its start, even if sent after the scope closed."""
    with agenttrace.session(id="s-1", path="/agent"):
        builder = logger.log_builder({"_type": "tool", "toolName": "stream_search"})
    builder.send_log()
    (record,) = exporter.records
    assert (record.session_id, record.session_path) == ("s-1", "/agent/stream_search")


def test_context_manager_sends_on_exit(logger: ManualLogger, exporter: InMemoryExporter) -> None:
    """`with logger.log_builder(...)` sends at the end; calls inside nest under it."""
    with agenttrace.session(id="s-1", path="/agent"):
        with logger.log_builder({"_type": "tool", "toolName": "stream"}) as builder:
            builder.add_chunk("a")
            logger.log_request({"_type": "tool", "toolName": "lookup"}, lambda r: None)
        assert agenttrace.current_session() is not None
        assert agenttrace.current_session().path == "/agent"  # type: ignore[union-attr]
    inner, outer = exporter.records
    assert outer.session_path == "/agent/stream"
    assert inner.session_path == "/agent/stream/lookup"
    assert inner.parent_id == outer.id == builder.record_id


def test_context_manager_records_errors_and_reraises(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """An exception inside the block is recorded and propagates unchanged."""
    raised = TimeoutError("no chunk for 30 s")

    def consume() -> None:
        with logger.log_builder(REQUEST) as builder:
            builder.add_chunk("a")
            raise raised

    with pytest.raises(TimeoutError) as caught:
        consume()
    assert caught.value is raised
    (record,) = exporter.records
    assert record.status is Status.ERROR
    assert record.error is not None
    assert record.error.message == "no chunk for 30 s"


async def test_async_context_manager_records_cancellation(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """`async with` a builder whose task is cancelled records 'cancelled'."""
    started = asyncio.Event()
    never = asyncio.Event()

    async def consume() -> None:
        async with logger.log_builder(REQUEST) as builder:
            builder.add_chunk("a")
            started.set()
            await never.wait()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (record,) = exporter.records
    assert record.status is Status.CANCELLED


def test_pydantic_chunks_are_read_like_dicts(
    logger: ManualLogger, exporter: InMemoryExporter
) -> None:
    """SDK chunk objects (pydantic) are stored and read through model_dump()."""
    import pydantic

    class Chunk(pydantic.BaseModel):
        model: str
        usage: dict[str, int] | None = None

    builder = logger.log_builder({"messages": []}, provider="openai")
    builder.add_chunk(
        Chunk(model="gpt-4o-mini", usage={"prompt_tokens": 5, "completion_tokens": 1})
    )
    builder.send_log()
    (record,) = exporter.records
    assert record.response == [
        {"model": "gpt-4o-mini", "usage": {"prompt_tokens": 5, "completion_tokens": 1}}
    ]
    assert record.usage == Usage(input_tokens=5, output_tokens=1)
