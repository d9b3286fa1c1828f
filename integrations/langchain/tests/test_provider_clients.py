"""Token extraction against the real ChatOpenAI / ChatAnthropic clients and a local server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agenttrace.instrumentation import compute_cost
from agenttrace.records import Record, Usage
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import CallbackHandler

from .fake_providers import ANTHROPIC_MODEL, OPENAI_MODEL, FakeProviderServer, fake_provider_server

# Provider clients need a newer langchain-core than the oldest supported one.
ChatAnthropic = pytest.importorskip("langchain_anthropic").ChatAnthropic
ChatOpenAI = pytest.importorskip("langchain_openai").ChatOpenAI

OPENAI_EXPECTED = Usage(
    input_tokens=2006,
    output_tokens=300,
    total_tokens=2306,
    cache_read_tokens=1920,
    reasoning_tokens=192,
)
ANTHROPIC_EXPECTED = Usage(
    input_tokens=1070,
    output_tokens=9,
    total_tokens=1079,
    cache_read_tokens=1000,
    cache_write_tokens=50,
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviderServer]:
    """One fake OpenAI + Anthropic server for the module."""
    with fake_provider_server() as running:
        yield running


def _openai(server: FakeProviderServer, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o",
        base_url=f"{server.url}/v1",
        api_key="sk-test",  # type: ignore[arg-type]
        max_retries=0,
        **kwargs,
    )


def _anthropic(server: FakeProviderServer, **kwargs: Any) -> ChatAnthropic:
    return ChatAnthropic(  # type: ignore[call-arg]
        model="claude-haiku-4-5",
        base_url=server.url,
        api_key="sk-ant-test",
        max_retries=0,
        **kwargs,
    )


def _only_record(exporter: InMemoryExporter) -> Record:
    (record,) = exporter.records
    return record


def _check_cost(record: Record) -> None:
    expected = compute_cost(record.model, record.provider, record.usage)
    assert record.cost_usd == expected
    assert expected is not None
    assert expected > 0


def test_openai_invoke(server: FakeProviderServer, exporter: InMemoryExporter) -> None:
    """ChatOpenAI: usage with cached and reasoning tokens, asked vs served model, cost."""
    _openai(server).invoke("hi", config={"callbacks": [CallbackHandler()]})
    record = _only_record(exporter)
    assert record.usage == OPENAI_EXPECTED
    assert (record.model, record.provider) == (OPENAI_MODEL, "openai")
    assert record.request is not None
    assert record.request["model"] == "gpt-4o"
    assert record.time_to_first_token_ms is None
    _check_cost(record)


def test_openai_stream_with_usage_chunk(
    server: FakeProviderServer, exporter: InMemoryExporter
) -> None:
    """ChatOpenAI streaming with stream_usage: tokens stream, usage counted once."""
    chunks = list(
        _openai(server, stream_usage=True).stream("hi", config={"callbacks": [CallbackHandler()]})
    )
    assert "".join(str(c.content) for c in chunks) == "The answer is 42."
    assert server.requests[-1][1]["stream_options"] == {"include_usage": True}
    record = _only_record(exporter)
    assert record.usage == OPENAI_EXPECTED
    assert record.model == OPENAI_MODEL
    assert record.time_to_first_token_ms is not None
    assert record.response is not None
    assert record.response["content"] == "The answer is 42."
    _check_cost(record)


async def test_openai_astream(server: FakeProviderServer, exporter: InMemoryExporter) -> None:
    """The async streaming path reports the same usage, once."""
    model = _openai(server, stream_usage=True)
    async for _ in model.astream("hi", config={"callbacks": [CallbackHandler()]}):
        pass
    assert _only_record(exporter).usage == OPENAI_EXPECTED


def test_openai_stream_without_usage(
    server: FakeProviderServer, exporter: InMemoryExporter
) -> None:
    """A stream without a usage chunk has no usage (and no invented cost)."""
    list(
        _openai(server, stream_usage=False).stream("hi", config={"callbacks": [CallbackHandler()]})
    )
    record = _only_record(exporter)
    assert record.usage is None
    assert record.cost_usd is None
    assert record.model == OPENAI_MODEL


def test_anthropic_invoke(server: FakeProviderServer, exporter: InMemoryExporter) -> None:
    """ChatAnthropic: cache reads and writes are inside input_tokens, as documented."""
    _anthropic(server).invoke("hi", config={"callbacks": [CallbackHandler()]})
    record = _only_record(exporter)
    assert record.usage == ANTHROPIC_EXPECTED
    assert (record.model, record.provider) == (ANTHROPIC_MODEL, "anthropic")
    _check_cost(record)


def test_anthropic_stream(server: FakeProviderServer, exporter: InMemoryExporter) -> None:
    """ChatAnthropic streaming: usage from message_start and message_delta, counted once."""
    chunks = list(_anthropic(server).stream("hi", config={"callbacks": [CallbackHandler()]}))
    assert "".join(str(c.content) for c in chunks if isinstance(c.content, str)) != ""
    record = _only_record(exporter)
    assert record.usage == ANTHROPIC_EXPECTED
    assert record.time_to_first_token_ms is not None
