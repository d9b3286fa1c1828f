"""The OpenTelemetry SDK's own OTLP/HTTP exporters (protobuf and JSON, BatchSpanProcessor)
sending GenAI-convention spans to a real collector, with and without an API key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.json.http.trace_exporter import (
    OTLPSpanExporter as JsonExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as ProtobufExporter,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from agenttrace.query import QueryClient
from agenttrace.server.testing import RunningCollector, running_collector

PROTOBUF = {"Content-Type": "application/x-protobuf"}
EXPORTERS: dict[str, Callable[..., Any]] = {"protobuf": ProtobufExporter, "json": JsonExporter}


def _agent_run(provider: TracerProvider, conversation: str) -> None:
    """An agent calling a model, a tool that fails, and the model again (GenAI names)."""
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("invoke_agent planner") as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        agent.set_attribute("gen_ai.agent.name", "planner")
        agent.set_attribute("gen_ai.conversation.id", conversation)
        for tokens in (120, 80):
            with tracer.start_as_current_span("chat gpt-4o-mini") as chat:
                chat.set_attribute("gen_ai.operation.name", "chat")
                chat.set_attribute("gen_ai.provider.name", "openai")
                chat.set_attribute("gen_ai.request.model", "gpt-4o-mini")
                chat.set_attribute("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
                chat.set_attribute("gen_ai.usage.input_tokens", tokens)
                chat.set_attribute("gen_ai.usage.output_tokens", 20)
                chat.set_attribute("gen_ai.usage.cache_read.input_tokens", 64)
            if tokens == 120:
                with tracer.start_as_current_span("execute_tool search") as tool:
                    tool.set_attribute("gen_ai.operation.name", "execute_tool")
                    tool.set_attribute("gen_ai.tool.name", "search")
                    tool.record_exception(TimeoutError("the index did not answer"))
                    tool.set_status(Status(StatusCode.ERROR, "the index did not answer"))


def _send(url: str, encoding: str, conversation: str, headers: dict[str, str] | None) -> None:
    exporter = EXPORTERS[encoding](endpoint=f"{url}/v1/traces", headers=headers or {})
    provider = TracerProvider(resource=Resource.create({"service.name": "planner-svc"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _agent_run(provider, conversation)
    assert provider.force_flush()
    provider.shutdown()


@pytest.mark.parametrize("encoding", sorted(EXPORTERS))
def test_sdk_exporter_spans_become_records(otlp_collector: RunningCollector, encoding: str) -> None:
    """Model calls and a failed tool call, with paths, tokens, cost, error and service."""
    conversation = f"conv-{uuid.uuid4()}"
    _send(otlp_collector.url, encoding, conversation, None)
    with QueryClient(otlp_collector.url) as client:
        detail = client.session(conversation, include_bodies=True)
    rows = sorted(detail.requests, key=lambda r: r.start_time)
    assert [(r.session_path, r.kind.value, r.status.value) for r in rows] == [
        ("/planner", "llm", "ok"),
        ("/planner/search", "tool", "error"),
        ("/planner", "llm", "ok"),
    ]
    first, tool, _ = rows
    assert (first.model, first.provider) == ("gpt-4o-mini-2024-07-18", "openai")
    assert (first.input_tokens, first.output_tokens, first.cache_read_tokens) == (120, 20, 64)
    assert first.cost_usd is not None
    assert first.cost_usd > 0
    assert tool.error is not None
    assert (tool.error.type, tool.error.message) == ("TimeoutError", "the index did not answer")
    assert first.properties["service.name"] == "planner-svc"
    assert detail.session.status == "error"


def test_exporter_headers_carry_the_api_key(tmp_path: Any) -> None:
    """With keys configured, spans need `Authorization: Bearer <key>` (which the exporters
    send from OTEL_EXPORTER_OTLP_HEADERS) and land in the key's project only."""
    with running_collector(data_dir=tmp_path) as collector:
        key = collector.app.state.access.keys.create_key("team-a").secret
        other = collector.app.state.access.keys.create_key("team-b").secret
        conversation = f"conv-{uuid.uuid4()}"
        refused = httpx.post(f"{collector.url}/v1/traces", content=b"", headers=PROTOBUF)
        assert refused.status_code == 401
        _send(collector.url, "protobuf", conversation, {"Authorization": f"Bearer {key}"})
        with QueryClient(collector.url, api_key=key) as client:
            assert len(client.session(conversation).requests) == 3
        with QueryClient(collector.url, api_key=other) as client:
            assert client.sessions(search=conversation).total == 0
