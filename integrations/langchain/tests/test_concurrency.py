"""One handler shared by concurrent runs (threads, asyncio.gather) never mixes them up."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool

import agenttrace
from agenttrace.records import Record, RecordKind
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import AsyncCallbackHandler, CallbackHandler
from agenttrace_langchain.run_state import RunStore
from agenttrace_langchain.testing import FakeChatModel, tool_call

from .helpers import by_kind, researcher, supervisor_graph, user

EXPECTED_PATHS = [
    "/researcher/agent",
    "/researcher/tools/search",
    "/researcher/agent",
    "/writer/agent",
]
RUNS = 12


def _graph_seeing_sessions(seen: dict[str, list[tuple[str, str]]]) -> Any:
    """A supervisor whose search tool notes the session it believes it runs in."""

    @tool
    def search(query: str) -> str:
        """Search, remembering which session and path this call ran in."""
        context = agenttrace.current_session()
        assert context is not None
        seen[query].append((context.id, context.path))
        return f"results for {query}"

    def respond(messages: list[Any]) -> Any:
        if isinstance(messages[-1], ToolMessage):
            return "done"
        return tool_call("search", {"query": messages[0].content})

    return supervisor_graph(
        researcher_agent=researcher(FakeChatModel(respond=respond), tools=[search]),
        writer_agent=researcher(FakeChatModel(responses=["report"])),
    )


def _check_sessions(records: list[Record], thread_ids: list[str]) -> None:
    by_session: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_session[record.session_id].append(record)
    assert sorted(by_session) == sorted(thread_ids)
    for thread_id, session_records in by_session.items():
        assert [r.session_path for r in session_records] == EXPECTED_PATHS
        (tool_record,) = by_kind(session_records, RecordKind.TOOL)
        assert tool_record.request == {"input": {"query": thread_id}}


def _input(thread_id: str) -> dict[str, Any]:
    return {"messages": [("user", thread_id)]}


def test_threads_share_one_handler(exporter: InMemoryExporter) -> None:
    """Runs on many threads at once: each session gets exactly its own records and paths."""
    handler = CallbackHandler()
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    graph = _graph_seeing_sessions(seen)
    thread_ids = [f"thread-{i}" for i in range(RUNS)]

    def run(thread_id: str) -> None:
        config: Any = {"callbacks": [handler], "configurable": {"thread_id": thread_id}}
        graph.invoke(_input(thread_id), config=config)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(run, thread_ids))
    _check_sessions(exporter.records, thread_ids)
    assert dict(seen) == {t: [(t, "/researcher/tools/search")] for t in thread_ids}
    assert handler.live_runs == 0


@pytest.mark.parametrize("handler_class", [CallbackHandler, AsyncCallbackHandler])
async def test_asyncio_gather_shares_one_handler(
    exporter: InMemoryExporter, handler_class: type[Any]
) -> None:
    """Concurrent ainvoke calls on one handler stay apart, context included."""
    handler = handler_class()
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    graph = _graph_seeing_sessions(seen)
    thread_ids = [f"task-{i}" for i in range(RUNS)]
    await asyncio.gather(
        *(
            graph.ainvoke(
                _input(t), config={"callbacks": [handler], "configurable": {"thread_id": t}}
            )
            for t in thread_ids
        )
    )
    _check_sessions(exporter.records, thread_ids)
    assert dict(seen) == {t: [(t, "/researcher/tools/search")] for t in thread_ids}
    assert handler.live_runs == 0


def test_sequential_runs_leave_no_state(exporter: InMemoryExporter) -> None:
    """Between root runs the handler holds nothing: no runs, no per-root memory."""
    handler = CallbackHandler()
    graph = supervisor_graph()
    for i in range(5):
        graph.invoke(user(), config={"callbacks": [handler], "configurable": {"thread_id": i}})
        assert handler.live_runs == 0
    assert len(exporter.records) == 5 * len(EXPECTED_PATHS)


def test_interrupt_memory_is_bounded() -> None:
    """The interrupt/resume memory keeps only the newest entries."""
    store = RunStore(resume_memory=3)
    for i in range(10):
        store.remember_interrupt(f"t{i}", "ask:1", 1, recorded=False)
    assert store.remembered_interrupts == 3
    store.forget_interrupt("t9", "ask:1")
    assert store.remembered_interrupts == 2


def test_run_ids_from_another_process_do_not_collide(exporter: InMemoryExporter) -> None:
    """Record ids are the run ids, so two handlers tracing different runs never clash."""
    first, second = CallbackHandler(), CallbackHandler()
    agent = researcher(FakeChatModel(responses=["a"]))
    agent.invoke(user(), config={"callbacks": [first], "run_id": uuid4()})
    agent.invoke(user(), config={"callbacks": [second], "run_id": uuid4()})
    ids = [r.id for r in exporter.records]
    assert len(ids) == len(set(ids)) == 2
