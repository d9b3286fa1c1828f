"""Statuses on real graphs: tool errors, node errors, retries, interrupts, resumes, handoffs."""

from __future__ import annotations

import sys
from inspect import signature
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from agenttrace.records import RecordKind, Status
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import CallbackHandler
from agenttrace_langchain.testing import FakeChatModel, tool_call

from .compat import Command, InjectedToolCallId, RetryPolicy, Send, interrupt, requires
from .helpers import asked_aside, by_kind, calls_tool, one_node_graph, react_agent, user


@tool
def broken(query: str) -> str:
    """Always fails."""
    raise RuntimeError(f"backend down for {query}")


def test_tool_error_handled_by_tool_node_is_a_failed_tool_record(
    exporter: InMemoryExporter,
) -> None:
    """With handle_tool_errors=True the run goes on, and the tool record says error."""
    agent = react_agent(
        FakeChatModel(respond=calls_tool("broken")),
        ToolNode([broken], handle_tool_errors=True),
    )
    result = agent.invoke(user("x"), config={"callbacks": [CallbackHandler()]})
    assert "backend down for x" in str(result["messages"][2].content)
    records = asked_aside(exporter)
    assert [(r.kind, r.status) for r in records] == [
        (RecordKind.LLM, Status.OK),
        (RecordKind.TOOL, Status.ERROR),
        (RecordKind.LLM, Status.OK),
    ]
    error = records[1].error
    assert error is not None
    assert (error.type, error.message) == ("RuntimeError", "backend down for x")


def test_unhandled_tool_error_is_recorded_once(exporter: InMemoryExporter) -> None:
    """An error that escapes the graph is one failed tool record, not one per level."""
    tools = ToolNode([broken], handle_tool_errors=False)  # the default differs across releases
    agent = react_agent(FakeChatModel(respond=calls_tool("broken")), tools)
    with pytest.raises(RuntimeError, match="backend down"):
        agent.invoke(user("x"), config={"callbacks": [CallbackHandler()]})
    assert [(r.kind, r.status) for r in asked_aside(exporter)] == [
        (RecordKind.LLM, Status.OK),
        (RecordKind.TOOL, Status.ERROR),
    ]


def test_invalid_tool_arguments_are_a_failed_tool_record(exporter: InMemoryExporter) -> None:
    """Arguments the tool rejects show as a failed tool call."""
    agent = react_agent(
        FakeChatModel(respond=calls_tool("broken", "wrong_argument")),
        ToolNode([broken], handle_tool_errors=True),
    )
    agent.invoke(user("x"), config={"callbacks": [CallbackHandler()]})
    (tool_record,) = by_kind(asked_aside(exporter), RecordKind.TOOL)
    assert tool_record.status is Status.ERROR
    assert tool_record.error is not None


@requires(InjectedToolCallId)
def test_tool_returning_an_error_tool_message(exporter: InMemoryExporter) -> None:
    """A tool that reports failure in-band (ToolMessage status=error) is a failed record."""

    @tool
    def lookup(query: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> ToolMessage:
        """Looks something up."""
        return ToolMessage("not found", tool_call_id=tool_call_id, status="error")

    agent = react_agent(FakeChatModel(respond=calls_tool("lookup")), [lookup])
    agent.invoke(user("x"), config={"callbacks": [CallbackHandler()]})
    (tool_record,) = by_kind(asked_aside(exporter), RecordKind.TOOL)
    assert tool_record.status is Status.ERROR
    assert tool_record.error is not None
    assert tool_record.error.message == "not found"


def test_model_error_is_one_failed_llm_record(exporter: InMemoryExporter) -> None:
    """A chat model that raises gives one failed LLM record at its node's path."""
    agent = react_agent(FakeChatModel(responses=[ConnectionError("provider down")]), [])
    with pytest.raises(ConnectionError):
        agent.invoke(user(), config={"callbacks": [CallbackHandler()]})
    (record,) = asked_aside(exporter)
    assert (record.kind, record.session_path, record.status) == (
        RecordKind.LLM,
        "/agent",
        Status.ERROR,
    )
    assert record.request is not None
    assert record.request["messages"] == [{"role": "user", "content": "hi"}]


def test_error_in_a_node_body_is_a_chain_record(exporter: InMemoryExporter) -> None:
    """A node that raises by itself is recorded once, as a failed chain record at its path."""

    def plan(state: MessagesState) -> dict[str, Any]:
        raise ValueError("no plan")

    with pytest.raises(ValueError, match="no plan"):
        one_node_graph("plan", plan).invoke(user(), config={"callbacks": [CallbackHandler()]})
    (record,) = asked_aside(exporter)
    assert (record.kind, record.session_path, record.name, record.status) == (
        RecordKind.CHAIN,
        "/plan",
        "plan",
        Status.ERROR,
    )


def test_sys_exit_in_a_node_is_cancelled_not_an_error(exporter: InMemoryExporter) -> None:
    """A node that ends the program (sys.exit) stopped the run; it did not fail: the
    chain record says cancelled, as the ManualLogger says of the same exit."""

    def stop(state: MessagesState) -> dict[str, Any]:
        sys.exit(3)

    with pytest.raises(SystemExit):
        one_node_graph("stop", stop).invoke(user(), config={"callbacks": [CallbackHandler()]})
    (record,) = asked_aside(exporter)
    assert (record.kind, record.session_path, record.status) == (
        RecordKind.CHAIN,
        "/stop",
        Status.CANCELLED,
    )
    assert record.error is not None
    assert (record.error.type, record.error.message) == ("SystemExit", "3")


def test_retry_policy_attempts(exporter: InMemoryExporter) -> None:
    """A RetryPolicy retry is attempt 2 on the same path; the failed attempt shows too."""
    model = FakeChatModel(responses=["one", "two"])
    calls = {"n": 0}

    def flaky(state: MessagesState) -> dict[str, Any]:
        reply = model.invoke(state["messages"])
        calls["n"] += 1
        if calls["n"] == 1:
            raise TimeoutError("slow backend")
        return {"messages": [reply]}

    graph = StateGraph(MessagesState)
    policy = RetryPolicy(initial_interval=0.0, jitter=False, retry_on=TimeoutError)
    keyword = "retry_policy" if "retry_policy" in signature(graph.add_node).parameters else "retry"
    graph.add_node("flaky", flaky, **{keyword: policy})
    graph.add_edge(START, "flaky")
    graph.compile().invoke(user(), config={"callbacks": [CallbackHandler()]})
    summary = [(r.kind, r.attempt, r.status, r.session_path) for r in asked_aside(exporter)]
    assert summary == [
        (RecordKind.LLM, 1, Status.OK, "/flaky"),
        (RecordKind.CHAIN, 1, Status.ERROR, "/flaky"),
        (RecordKind.LLM, 2, Status.OK, "/flaky"),
        (RecordKind.CHAIN, 2, Status.OK, "/flaky"),
    ]


def _approval_graph(model: FakeChatModel) -> Any:
    def ask(state: MessagesState) -> dict[str, Any]:
        draft = model.invoke(state["messages"])
        answer = interrupt(f"send {draft.content}?")
        return {"messages": [AIMessage(content=f"{draft.content} ({answer})")]}

    return one_node_graph("ask", ask, checkpointer=MemorySaver())


@requires(Command, interrupt)
def test_interrupt_in_a_node_and_resume(exporter: InMemoryExporter) -> None:
    """interrupt() is status interrupted; the resumed node is attempt 2, same session/path."""
    graph = _approval_graph(FakeChatModel(responses=["draft"]))
    handler = CallbackHandler()
    config: Any = {"callbacks": [handler], "configurable": {"thread_id": "approval-1"}}
    first = graph.invoke(user(), config=config)
    assert "__interrupt__" in first
    paused = asked_aside(exporter)
    assert [(r.kind, r.status, r.attempt) for r in paused] == [
        (RecordKind.LLM, Status.OK, 1),
        (RecordKind.CHAIN, Status.INTERRUPTED, 1),
    ]
    assert paused[1].error is not None
    assert paused[1].error.message == "send draft?"
    graph.invoke(Command(resume="yes"), config=config)
    resumed = asked_aside(exporter)[2:]
    assert [(r.kind, r.status, r.attempt) for r in resumed] == [
        (RecordKind.LLM, Status.OK, 2),
        (RecordKind.CHAIN, Status.OK, 2),
    ]
    assert {r.session_id for r in asked_aside(exporter)} == {"approval-1"}
    assert {r.session_path for r in asked_aside(exporter)} == {"/ask"}
    assert handler.live_runs == 0


@requires(Command, interrupt)
def test_interrupt_inside_a_tool_and_resume(exporter: InMemoryExporter) -> None:
    """A tool that interrupts is an interrupted tool record; its resume is attempt 2."""

    @tool
    def send_email(query: str) -> str:
        """Sends an email after approval."""
        approved = interrupt(f"send {query}?")
        return f"sent ({approved})"

    agent = react_agent(
        FakeChatModel(respond=calls_tool("send_email")),
        [send_email],
        checkpointer=MemorySaver(),
    )
    config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "mail"}}
    agent.invoke(user("report"), config=config)
    agent.invoke(Command(resume="ok"), config=config)
    tools = by_kind(asked_aside(exporter), RecordKind.TOOL)
    assert [(r.status, r.attempt, r.session_path) for r in tools] == [
        (Status.INTERRUPTED, 1, "/tools/send_email"),
        (Status.OK, 2, "/tools/send_email"),
    ]
    assert not by_kind(asked_aside(exporter), RecordKind.CHAIN)
    assert {r.session_id for r in asked_aside(exporter)} == {"mail"}


@requires(Command, interrupt)
def test_interrupt_in_a_subgraph_and_resume(exporter: InMemoryExporter) -> None:
    """Inside a sub-agent, the resumed inner node links to its interrupted attempt."""
    inner = _approval_graph(FakeChatModel(responses=["draft"]))
    outer = StateGraph(MessagesState)
    outer.add_node("writer", inner)
    outer.add_edge(START, "writer")
    graph = outer.compile(checkpointer=MemorySaver())
    config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "sub"}}
    graph.invoke(user(), config=config)
    graph.invoke(Command(resume="yes"), config=config)
    summary = [(r.kind, r.status, r.attempt, r.session_path) for r in asked_aside(exporter)]
    assert summary == [
        (RecordKind.LLM, Status.OK, 1, "/writer/ask"),
        (RecordKind.CHAIN, Status.INTERRUPTED, 1, "/writer/ask"),
        (RecordKind.LLM, Status.OK, 2, "/writer/ask"),
        (RecordKind.CHAIN, Status.OK, 2, "/writer/ask"),
    ]


@requires(Command, InjectedToolCallId)
def test_handoff_from_a_tool_is_not_an_error(exporter: InMemoryExporter) -> None:
    """A tool returning Command(graph=PARENT) is a handoff record; nothing fails."""

    @tool
    def transfer_to_writer(tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
        """Hand the conversation to the writer."""
        message = ToolMessage("handing off", tool_call_id=tool_call_id)
        return Command(graph=Command.PARENT, goto="writer", update={"messages": [message]})

    researcher = react_agent(
        FakeChatModel(responses=[tool_call("transfer_to_writer")]), [transfer_to_writer]
    )
    graph = StateGraph(MessagesState)
    graph.add_node("researcher", researcher, destinations=("writer",))
    graph.add_node("writer", lambda state: {"messages": [AIMessage(content="written")]})
    graph.add_edge(START, "researcher")
    result = graph.compile().invoke(user(), config={"callbacks": [CallbackHandler()]})
    assert result["messages"][-1].content == "written"
    summary = [(r.kind, r.status, r.session_path) for r in asked_aside(exporter)]
    assert summary == [
        (RecordKind.LLM, Status.OK, "/researcher/agent"),
        (RecordKind.TOOL, Status.HANDOFF, "/researcher/tools/transfer_to_writer"),
    ]
    response = asked_aside(exporter)[1].response
    assert response is not None
    assert response["output"]["command"]["goto"] == "writer"


@requires(Command)
def test_handoff_from_a_node_body_is_a_chain_record(exporter: InMemoryExporter) -> None:
    """A node that returns Command(graph=PARENT) itself shows one handoff record."""

    def route(state: MessagesState) -> Command[Any]:
        return Command(graph=Command.PARENT, goto="writer")

    inner = StateGraph(MessagesState)
    inner.add_node("route", route)
    inner.add_edge(START, "route")
    graph = StateGraph(MessagesState)
    graph.add_node("triage", inner.compile(), destinations=("writer",))
    graph.add_node("writer", lambda state: {"messages": [AIMessage(content="written")]})
    graph.add_edge(START, "triage")
    graph.compile().invoke(user(), config={"callbacks": [CallbackHandler()]})
    summary = [(r.kind, r.status, r.session_path) for r in asked_aside(exporter)]
    assert summary == [(RecordKind.CHAIN, Status.HANDOFF, "/triage/route")]


@requires(Command, interrupt)
async def test_async_interrupt_and_resume(exporter: InMemoryExporter) -> None:
    """ainvoke with the async handler: interrupted, then resumed as attempt 2."""
    from agenttrace_langchain import AsyncCallbackHandler

    graph = _approval_graph(FakeChatModel(responses=["draft"]))
    config: Any = {"callbacks": [AsyncCallbackHandler()], "configurable": {"thread_id": "a1"}}
    await graph.ainvoke(user(), config=config)
    await graph.ainvoke(Command(resume="yes"), config=config)
    summary = [(r.kind, r.status, r.attempt) for r in asked_aside(exporter)]
    assert summary == [
        (RecordKind.LLM, Status.OK, 1),
        (RecordKind.CHAIN, Status.INTERRUPTED, 1),
        (RecordKind.LLM, Status.OK, 2),
        (RecordKind.CHAIN, Status.OK, 2),
    ]


@requires(Command, interrupt)
def test_second_interrupt_of_the_same_node_is_attempt_3(exporter: InMemoryExporter) -> None:
    """A node that interrupts twice counts attempts 1, 2, 3 across two resumes."""

    def ask_twice(state: MessagesState) -> dict[str, Any]:
        first = interrupt("first?")
        second = interrupt("second?")
        return {"messages": [AIMessage(content=f"{first} {second}")]}

    app = one_node_graph("ask", ask_twice, checkpointer=MemorySaver())
    config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "twice"}}
    app.invoke(user(), config=config)
    app.invoke(Command(resume="a"), config=config)
    result = app.invoke(Command(resume="b"), config=config)
    assert result["messages"][-1].content == "a b"
    summary = [
        (r.status, r.attempt, r.error.message if r.error else None) for r in asked_aside(exporter)
    ]
    assert summary == [
        (Status.INTERRUPTED, 1, "first?"),
        (Status.INTERRUPTED, 2, "second?"),
        (Status.OK, 3, None),
    ]


class FanOutState(TypedDict):
    """State with one topic."""

    topic: str


class ToolStarts(BaseCallbackHandler):
    """Counts the tool runs LangChain started."""

    def __init__(self) -> None:
        self.count = 0

    def on_tool_start(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


def test_parallel_branches_failing_together_are_recorded_once_each(
    exporter: InMemoryExporter,
) -> None:
    """Two Send branches whose tools both fail: two failed tool records, no extra ones."""

    def work(state: dict[str, Any]) -> dict[str, Any]:
        broken.invoke({"query": state["topic"]})
        return {}

    graph = StateGraph(FanOutState)
    graph.add_node("work", work)
    graph.add_conditional_edges(
        START, lambda s: [Send("work", {"topic": t}) for t in ("a", "b")], ["work"]
    )
    started = ToolStarts()
    with pytest.raises(RuntimeError, match="backend down"):
        graph.compile().invoke({"topic": ""}, config={"callbacks": [CallbackHandler(), started]})
    records = asked_aside(exporter)
    assert {(r.kind, r.status, r.session_path) for r in records} == {
        (RecordKind.TOOL, Status.ERROR, "/work/broken")
    }
    # langgraph < 0.2.5x cancels the other branch when one fails, sometimes before it starts
    # its tool; newer releases run both. Either way: one record per tool that ran.
    assert started.count == (2 if Command is not None else started.count)
    assert len(records) == started.count
    assert len({r.branch_id for r in records}) == started.count
