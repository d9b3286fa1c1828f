"""Which session runs land in, and what code inside a traced run sees as its session."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import MessagesState

import agenttrace
from agenttrace import ManualLogger, RecordKind, SessionContext, UserError
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import CallbackHandler
from agenttrace_langchain.testing import FakeChatModel

from .helpers import (
    by_kind,
    calls_tool,
    one_node_graph,
    react_agent,
    researcher,
    supervisor_graph,
    user,
)


def test_new_session_per_root_run_without_thread_id(exporter: InMemoryExporter) -> None:
    """Without a thread id or session, every root run is a session of its own, with a new
    id of the kind agenttrace makes everywhere (UUIDv7)."""
    handler = CallbackHandler()
    agent = researcher(FakeChatModel(responses=["a"]))
    agent.invoke(user(), config={"callbacks": [handler]})
    agent.invoke(user(), config={"callbacks": [handler]})
    first, second = exporter.records
    assert first.session_id != second.session_id
    assert uuid.UUID(first.session_id).version == 7
    assert first.session_name is None


def test_thread_id_is_the_session(exporter: InMemoryExporter) -> None:
    """LangGraph's thread_id groups runs of one conversation into one session."""
    handler = CallbackHandler()
    agent = researcher(FakeChatModel(responses=["a"]))
    for _ in range(2):
        agent.invoke(user(), config={"callbacks": [handler], "configurable": {"thread_id": "t7"}})
    assert {r.session_id for r in exporter.records} == {"t7"}


def test_handler_arguments_win(exporter: InMemoryExporter) -> None:
    """Handler arguments beat thread_id and an enclosing session scope."""
    handler = CallbackHandler(
        session_id="fixed",
        session_name="nightly",
        user_id="u1",
        properties={"env": "test", "version": 2},  # type: ignore[dict-item]
    )
    agent = researcher(FakeChatModel(responses=["a"]))
    with agenttrace.session(id="outer", name="outer", path="/batch"):
        agent.invoke(user(), config={"callbacks": [handler], "configurable": {"thread_id": "t"}})
    (record,) = exporter.records
    assert (record.session_id, record.session_name, record.user_id) == ("fixed", "nightly", "u1")
    assert record.properties == {"env": "test", "version": "2"}
    assert record.session_path == "/agent"


def test_enclosing_session_scope_is_used(exporter: InMemoryExporter) -> None:
    """An open agenttrace.session gives id, name, user, properties and a base path."""
    agent = researcher(FakeChatModel(responses=["a"]))
    with agenttrace.session(
        id="s1", name="support", path="/batch", user_id="ann", properties={"tier": "gold"}
    ):
        agent.invoke(user(), config={"callbacks": [CallbackHandler()]})
    (record,) = exporter.records
    assert (record.session_id, record.session_name, record.user_id) == ("s1", "support", "ann")
    assert record.session_path == "/batch/agent"
    assert record.properties == {"tier": "gold"}


def test_another_session_inside_a_scope_keeps_only_the_user(exporter: InMemoryExporter) -> None:
    """A handler session other than the enclosing scope's starts afresh at the root with
    the scope's user but not its properties or name (as agenttrace.session and the
    ManualLogger do)."""
    agent = researcher(FakeChatModel(responses=["a"]))
    with agenttrace.session(id="s1", name="support", path="/batch", user_id="ann",
                            properties={"tier": "gold"}):  # fmt: skip
        agent.invoke(user(), config={"callbacks": [CallbackHandler(session_id="other")]})
    (record,) = exporter.records
    assert (record.session_id, record.session_name, record.user_id) == ("other", None, "ann")
    assert (record.session_path, record.properties) == ("/agent", {})


def test_run_metadata_sets_session_user_and_properties(exporter: InMemoryExporter) -> None:
    """agenttrace_* metadata keys set session, user and properties per invocation."""
    handler = CallbackHandler(properties={"env": "prod", "team": "a"})
    agent = researcher(FakeChatModel(responses=["a"]))
    metadata = {
        "agenttrace_session_id": "ticket-42",
        "agenttrace_session_name": "ticket",
        "agenttrace_user_id": "bob",
        "agenttrace_properties": {"team": "b", "priority": 1},
    }
    agent.invoke(user(), config={"callbacks": [handler], "metadata": metadata})
    (record,) = exporter.records
    assert (record.session_id, record.session_name, record.user_id) == (
        "ticket-42",
        "ticket",
        "bob",
    )
    assert record.properties == {"env": "prod", "team": "b", "priority": "1"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"session_id": ""}, "session_id must be a non-empty string"),
        ({"properties": ["a"]}, "properties must be a mapping"),
        ({"properties": {"": "x"}}, "property names must be strings"),
        ({"path_prefix": 3}, "path_prefix must be a non-empty string"),
        ({"include_root_name": "yes"}, "include_root_name must be True or False"),
    ],
)
def test_bad_arguments_say_what_to_do(kwargs: dict[str, Any], message: str) -> None:
    """Wrong handler arguments raise a UserError naming the argument."""
    with pytest.raises(UserError, match=message):
        CallbackHandler(**kwargs)


def test_current_session_inside_a_tool_of_a_sub_agent(exporter: InMemoryExporter) -> None:
    """Inside the researcher's search tool (a ToolNode worker thread) the session is the
    run's own: id, name, properties, path /researcher/tools/search and the tool as parent."""
    seen: list[SessionContext | None] = []

    @tool
    def search(query: str) -> str:
        """Search."""
        seen.append(agenttrace.current_session())
        return ManualLogger().log_request(
            {"_type": "tool", "toolName": "web", "input": query},
            lambda recorder: recorder.append_results({"hits": 3}) or "3 hits",
        )

    graph = supervisor_graph(researcher_agent=researcher(tools=[search]))
    handler = CallbackHandler(session_name="research", properties={"env": "test"})
    graph.invoke(user(), config={"callbacks": [handler], "configurable": {"thread_id": "t1"}})
    (context,) = seen
    assert context is not None
    tool_record = next(r for r in exporter.records if r.name == "search")
    assert (context.id, context.name, context.path, context.parent_id) == (
        "t1",
        "research",
        "/researcher/tools/search",
        tool_record.id,
    )
    assert dict(context.properties) == {"env": "test"}
    logged = next(r for r in exporter.records if r.name == "web")
    assert logged.session_id == "t1"
    assert logged.session_path.startswith("/researcher/tools/search")
    assert logged.parent_id == tool_record.id
    assert agenttrace.current_session() is None


def test_current_session_inside_a_node_and_a_nested_scope(exporter: InMemoryExporter) -> None:
    """In a node body the path is the node's; a session scope opened there extends it."""
    seen: list[SessionContext | None] = []

    def plan(state: MessagesState) -> dict[str, Any]:
        seen.append(agenttrace.current_session())
        with agenttrace.session(path="step") as inner:
            seen.append(inner)
        return {"messages": []}

    one_node_graph("plan", plan).invoke(
        user(), config={"callbacks": [CallbackHandler()], "configurable": {"thread_id": "x"}}
    )
    node, scoped = seen
    assert node is not None
    assert scoped is not None
    assert (node.id, node.path, node.parent_id) == ("x", "/plan", None)
    assert (scoped.id, scoped.path) == ("x", "/plan/step")


async def test_current_session_inside_an_async_tool(exporter: InMemoryExporter) -> None:
    """An async tool under ainvoke sees its run's session too."""
    seen: list[SessionContext | None] = []

    @tool
    async def lookup(query: str) -> str:
        """Look up."""
        seen.append(agenttrace.current_session())
        return "found"

    agent = react_agent(FakeChatModel(respond=calls_tool("lookup")), [lookup])
    await agent.ainvoke(user(), config={"callbacks": [CallbackHandler(session_id="async-1")]})
    (context,) = seen
    assert context is not None
    (tool_record,) = by_kind(exporter.records, RecordKind.TOOL)
    assert (context.id, context.path, context.parent_id) == (
        "async-1",
        "/tools/lookup",
        tool_record.id,
    )


def test_graph_invoked_with_its_own_handler_inside_a_traced_tool(
    exporter: InMemoryExporter,
) -> None:
    """A second handler on an inner graph joins the outer run's session and path."""
    inner = researcher()

    @tool
    def delegate(query: str) -> str:
        """Delegate to the researcher with its own callbacks."""
        inner.invoke(user(query), config={"callbacks": [CallbackHandler()]})
        return "delegated"

    outer = react_agent(FakeChatModel(respond=calls_tool("delegate")), [delegate])
    outer.invoke(user(), config={"callbacks": [CallbackHandler(session_id="outer")]})
    records = exporter.records
    delegate_record = next(r for r in records if r.name == "delegate")
    inner_records = [r for r in records if r.session_path.startswith("/tools/delegate/")]
    assert [r.session_path for r in inner_records] == [
        "/tools/delegate/agent",
        "/tools/delegate/tools/search",
        "/tools/delegate/agent",
    ]
    assert {r.session_id for r in records} == {"outer"}
    assert {r.parent_id for r in inner_records} == {delegate_record.id}


def test_graph_with_its_own_handler_inside_a_plain_chain_is_traced_once(
    exporter: InMemoryExporter,
) -> None:
    """A plain chain in a node (a lambda: no path segment, no record of its own) that
    invokes a graph with a second handler: the outer handler traces the inner graph
    below the node, the second one stays silent, so every call is recorded once."""
    inner = researcher()

    def ask_inner(query: str) -> str:
        inner.invoke(user(query), config={"callbacks": [CallbackHandler()]})
        return "done"

    lookup = RunnableLambda(ask_inner)

    def plan(state: MessagesState) -> dict[str, Any]:
        lookup.invoke("q")
        return {"messages": []}

    one_node_graph("plan", plan).invoke(
        user(), config={"callbacks": [CallbackHandler(session_id="outer")]}
    )
    records = exporter.records
    assert [r.session_path for r in records] == [
        "/plan/agent",
        "/plan/tools/search",
        "/plan/agent",
    ]
    assert {r.session_id for r in records} == {"outer"}
    assert len({r.id for r in records}) == len(records)


def test_new_handler_inside_a_scope_opened_in_a_node(exporter: InMemoryExporter) -> None:
    """A scope opened in a traced node, with a fresh handler on a model call, nests once."""
    model = FakeChatModel(responses=["ok"])

    def plan(state: MessagesState) -> dict[str, Any]:
        with agenttrace.session(path="step"):
            model.invoke("hi", config={"callbacks": [CallbackHandler()]})
        return {"messages": []}

    one_node_graph("plan", plan).invoke(
        user(), config={"callbacks": [CallbackHandler()], "configurable": {"thread_id": "n"}}
    )
    (record,) = exporter.records
    assert (record.session_id, record.session_path) == ("n", "/plan/step")
