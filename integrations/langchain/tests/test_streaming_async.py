"""stream / astream / astream_events / ainvoke, and the async handler: same records."""

from __future__ import annotations

from typing import Any

import pytest

from agenttrace.records import Record, RecordKind, Status, Usage
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import AsyncCallbackHandler, CallbackHandler
from agenttrace_langchain.testing import DEFAULT_USAGE, FakeChatModel

from .helpers import by_kind, calls_tool, paths, researcher, supervisor_graph, user

EXPECTED_PATHS = [
    "/researcher/agent",
    "/researcher/tools/search",
    "/researcher/agent",
    "/writer/agent",
]
ONE_CALL = Usage(**DEFAULT_USAGE)


def _check_llm_records(records: list[Record], *, streamed: bool) -> None:
    llm = by_kind(records, RecordKind.LLM)
    assert llm
    for record in llm:
        assert record.usage == ONE_CALL, "usage must be counted once per call"
        assert record.model == "gpt-4o-mini"
        if streamed:
            assert record.time_to_first_token_ms is not None
            assert record.time_to_first_token_ms >= 0.0
            assert record.end_time is not None
            assert record.latency_ms is not None
            assert record.time_to_first_token_ms <= record.latency_ms + 1.0


def test_stream_messages_mode_counts_tokens_once(exporter: InMemoryExporter) -> None:
    """stream_mode='messages' streams tokens; each call's usage is still counted once."""

    def respond(messages: list[Any]) -> Any:
        return calls_tool("search")(messages) if len(messages) == 1 else "a long final report"

    agent = researcher(FakeChatModel(respond=respond))
    chunks = list(
        agent.stream(user(), config={"callbacks": [CallbackHandler()]}, stream_mode="messages")
    )
    tokens = [c for c, _ in chunks if type(c).__name__ == "AIMessageChunk" and c.content]
    assert [t.content for t in tokens] == ["a ", "long ", "final ", "report"]
    records = exporter.records
    assert paths(records) == ["/agent", "/tools/search", "/agent"]
    _check_llm_records(records, streamed=True)
    assert records[-1].response is not None
    assert records[-1].response["content"] == "a long final report"
    assert records[0].response is not None
    assert records[0].response["tool_calls"][0]["name"] == "search"


def test_stream_messages_from_sub_agents(exporter: InMemoryExporter) -> None:
    """Streaming a supervisor with subgraphs=True: same paths, usage once, TTFT set."""
    chunks = list(
        supervisor_graph().stream(
            user(),
            config={"callbacks": [CallbackHandler()]},
            stream_mode="messages",
            subgraphs=True,
        )
    )
    assert chunks
    assert paths(exporter.records) == EXPECTED_PATHS
    _check_llm_records(exporter.records, streamed=True)


def test_plain_stream_updates(exporter: InMemoryExporter) -> None:
    """stream() of updates gives the same records as invoke()."""
    steps = list(supervisor_graph().stream(user(), config={"callbacks": [CallbackHandler()]}))
    assert [next(iter(step)) for step in steps] == ["supervisor", "researcher", "writer"]
    assert paths(exporter.records) == EXPECTED_PATHS
    _check_llm_records(exporter.records, streamed=False)


@pytest.mark.parametrize("handler_class", [CallbackHandler, AsyncCallbackHandler])
async def test_ainvoke(exporter: InMemoryExporter, handler_class: type[Any]) -> None:
    """ainvoke with either handler gives the same paths and records."""
    handler = handler_class(session_id="async")
    await supervisor_graph().ainvoke(user(), config={"callbacks": [handler]})
    assert paths(exporter.records) == EXPECTED_PATHS
    assert {r.session_id for r in exporter.records} == {"async"}
    assert handler.live_runs == 0


@pytest.mark.parametrize("handler_class", [CallbackHandler, AsyncCallbackHandler])
async def test_astream_messages(exporter: InMemoryExporter, handler_class: type[Any]) -> None:
    """astream(stream_mode='messages') records each call once, with time to first token."""
    graph = supervisor_graph()
    chunks = [
        chunk
        async for chunk in graph.astream(
            user(), config={"callbacks": [handler_class()]}, stream_mode="messages"
        )
    ]
    assert chunks
    assert paths(exporter.records) == EXPECTED_PATHS
    _check_llm_records(exporter.records, streamed=True)


async def test_astream_events(exporter: InMemoryExporter) -> None:
    """astream_events streams every model token; records are unchanged and counted once."""
    graph = supervisor_graph()
    kinds = set()
    async for event in graph.astream_events(
        user(), config={"callbacks": [CallbackHandler()]}, version="v2"
    ):
        kinds.add(event["event"])
    assert "on_chat_model_stream" in kinds
    assert paths(exporter.records) == EXPECTED_PATHS
    _check_llm_records(exporter.records, streamed=True)


def test_async_handler_in_a_sync_run(exporter: InMemoryExporter) -> None:
    """The async handler also works under invoke() (LangChain runs its coroutines)."""
    handler = AsyncCallbackHandler(session_id="sync-with-async")
    researcher().invoke(user(), config={"callbacks": [handler]})
    assert paths(exporter.records) == ["/agent", "/tools/search", "/agent"]
    assert handler.live_runs == 0


async def test_async_tools_and_model(exporter: InMemoryExporter) -> None:
    """An async tool in an async agent is traced at its path with its output."""
    from langchain_core.tools import tool

    @tool
    async def fetch(query: str) -> str:
        """Fetch a page."""
        return f"page {query}"

    agent = researcher(FakeChatModel(respond=calls_tool("fetch")), tools=[fetch])
    await agent.ainvoke(user("x"), config={"callbacks": [AsyncCallbackHandler()]})
    (tool_record,) = by_kind(exporter.records, RecordKind.TOOL)
    assert tool_record.session_path == "/tools/fetch"
    assert tool_record.response is not None
    assert tool_record.response["output"]["content"] == "page x"


def test_abandoned_stream_is_cancelled_and_forgotten(exporter: InMemoryExporter) -> None:
    """Breaking out of stream() ends the root run as cancelled and leaves no state."""
    handler = CallbackHandler()
    for _ in supervisor_graph().stream(user(), config={"callbacks": [handler]}):
        break
    assert handler.live_runs == 0
    assert [(r.kind, r.status, r.session_path) for r in exporter.records] == [
        (RecordKind.CHAIN, Status.CANCELLED, "/")
    ]


async def test_abandoned_astream_is_cancelled_and_forgotten(exporter: InMemoryExporter) -> None:
    """Breaking out of astream() too."""
    handler = CallbackHandler()
    stream = supervisor_graph().astream(user(), config={"callbacks": [handler]})
    async for _ in stream:
        break
    await stream.aclose()
    assert handler.live_runs == 0
    assert [r.status for r in exporter.records] == [Status.CANCELLED]
