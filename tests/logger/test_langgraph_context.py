"""A log_request inside a LangGraph tool joins that run's session, path and parent.

Real LangGraph ReAct agents with agenttrace's CallbackHandler and LangChain fake chat model:
the tool ``search`` logs a ``fetch_page`` call by hand, which must land at
``/tools/search/fetch_page`` in the run's session (the thread id), as a child of the
tool's own record. Inside a ``Send`` branch, hand-logged calls also carry the branch's id.
"""

from __future__ import annotations

import operator
import warnings
from typing import Annotated, Any, TypedDict

from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import START, StateGraph
from langgraph.types import Send

import agenttrace
from agenttrace import ManualLogger
from agenttrace.records import RecordKind
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import AsyncCallbackHandler, CallbackHandler
from agenttrace_langchain.testing import FakeChatModel, Reply, tool_call


def react_agent(model: Any, tools: list[Any]) -> Any:
    """``create_react_agent`` without its deprecation warning on langgraph 1.x."""
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_react_agent(model, tools)


def search_once(messages: list[BaseMessage]) -> Reply:
    """Call ``search`` with the user's question, then answer with its result."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return f"answer: {last.content}"
    return tool_call("search", {"query": str(last.content)})


def check_nesting(records: list[Any], thread_id: str) -> None:
    """The hand-logged call sits under the tool, in the thread's session."""
    (fetch,) = [r for r in records if r.name == "fetch_page"]
    (search,) = [r for r in records if r.kind is RecordKind.TOOL and r.name == "search"]
    assert fetch.session_id == search.session_id == thread_id
    assert search.session_path == "/tools/search"
    assert fetch.session_path == "/tools/search/fetch_page"
    assert fetch.parent_id == search.id
    assert fetch.response == {"status": 200}


def test_sync_tool_call_inherits_the_run(exporter: InMemoryExporter) -> None:
    """In a sync graph (tools run in ToolNode's worker threads) the call joins the run."""
    logger = ManualLogger()

    @tool
    def search(query: str) -> str:
        """Search the web."""
        return logger.log_request(
            {"_type": "tool", "toolName": "fetch_page", "url": f"https://example.org/?q={query}"},
            lambda recorder: recorder.append_results({"status": 200}) or "page text",
        )

    agent = react_agent(FakeChatModel(respond=search_once), [search])
    config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "thread-sync"}}
    agent.invoke({"messages": [("user", "weather in Lisbon")]}, config)
    check_nesting(exporter.records, "thread-sync")


async def test_async_tool_call_inherits_the_run(exporter: InMemoryExporter) -> None:
    """In an async graph, alog_request inside an async tool joins the run the same way."""
    logger = ManualLogger()

    async def fetch(recorder: Any) -> str:
        recorder.append_results({"status": 200})
        return "page text"

    @tool
    async def search(query: str) -> str:
        """Search the web."""
        return await logger.alog_request({"_type": "tool", "toolName": "fetch_page"}, fetch)

    agent = react_agent(FakeChatModel(respond=search_once), [search])
    config: Any = {
        "callbacks": [AsyncCallbackHandler()],
        "configurable": {"thread_id": "thread-async"},
    }
    await agent.ainvoke({"messages": [("user", "weather in Porto")]}, config)
    check_nesting(exporter.records, "thread-async")


class Topics(TypedDict):
    """State of a graph that researches each topic in its own ``Send`` branch."""

    topics: list[str]
    notes: Annotated[list[str], operator.add]


def test_calls_inside_a_send_branch_carry_its_branch_id(exporter: InMemoryExporter) -> None:
    """log_request, a nested log_request, an agenttrace.session scope and a model with its
    own handler, all inside one Send branch, carry that branch's id as its model call does."""
    logger = ManualLogger()
    model = FakeChatModel(respond=lambda messages: f"note on {messages[-1].content}")
    own_model = FakeChatModel(responses=["checked"], model="own-model")

    def research(state: dict[str, Any]) -> dict[str, Any]:
        topic = state["topic"]
        note = str(model.invoke(topic).content)

        def fetch(recorder: Any) -> str:
            logger.log_request(
                {"_type": "vector_db", "databaseName": "index", "topic": topic},
                lambda inner: inner.append_results({"hits": 1}),
            )
            recorder.append_results({"status": 200})
            return "page"

        logger.log_request({"_type": "tool", "toolName": "fetch", "topic": topic}, fetch)
        with agenttrace.session(path="review"):
            logger.log_request(
                {"_type": "tool", "toolName": "check", "topic": topic},
                lambda recorder: recorder.append_results({"ok": True}),
            )
        own_model.invoke(topic, config={"callbacks": [CallbackHandler()]})
        return {"notes": [note]}

    graph = StateGraph(Topics)
    graph.add_node("research", research)
    graph.add_conditional_edges(
        START, lambda s: [Send("research", {"topic": t}) for t in s["topics"]], ["research"]
    )
    graph.compile().invoke({"topics": ["a", "b"], "notes": []}, {"callbacks": [CallbackHandler()]})

    def topic_of(record: Any) -> str:
        request = record.request
        return str(request["topic"] if "topic" in request else request["messages"][0]["content"])

    places = sorted((r.session_path, r.model or r.name, topic_of(r)) for r in exporter.records)
    assert places == [
        (path, what, topic)
        for path, what in [
            ("/research", "gpt-4o-mini"),
            ("/research", "own-model"),
            ("/research/fetch", "fetch"),
            ("/research/fetch/index", "index"),
            ("/research/review/check", "check"),
        ]
        for topic in ("a", "b")
    ]
    branch_of = {topic_of(r): r.branch_id for r in exporter.records if r.model == "gpt-4o-mini"}
    assert None not in branch_of.values()
    assert branch_of["a"] != branch_of["b"]
    assert [(topic_of(r), r.branch_id) for r in exporter.records] == [
        (topic_of(r), branch_of[topic_of(r)]) for r in exporter.records
    ]
