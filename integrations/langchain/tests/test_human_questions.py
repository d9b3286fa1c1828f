"""Questions to a human on real graphs with a real checkpointer: one ``human`` record per
interrupt, completed with the answer on resume (in this process or another one).

The checkpointer is LangGraph's SQLite one (a file in ``tmp_path``) where it is installed,
else the in-memory one (the oldest-versions run), which cannot serve a second process.
"""

from __future__ import annotations

import operator
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import START, MessagesState, StateGraph

import agenttrace
from agenttrace.instrumentation import INTERRUPT_ID_PROPERTY, human_record_id
from agenttrace.records import Record, RecordKind, Status
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import AsyncCallbackHandler, CallbackHandler
from agenttrace_langchain.lifecycle import HAS_LIFECYCLE
from agenttrace_langchain.testing import FakeChatModel

from .compat import Command, Send, interrupt, requires
from .helpers import by_kind, calls_tool, one_node_graph, react_agent, user

try:
    from langgraph.checkpoint.sqlite import SqliteSaver
except ImportError:  # the oldest-versions run
    SqliteSaver = None


@contextmanager
def checkpointer(tmp_path: Path) -> Iterator[Any]:
    """LangGraph's SQLite checkpointer on a file, else the in-memory one."""
    if SqliteSaver is None:
        yield MemorySaver()
        return
    with SqliteSaver.from_conn_string(str(tmp_path / "checkpoints.db")) as saver:
        yield saver


def approval_graph(saver: Any) -> Any:
    """``ask``: drafts with a fake model, then asks a human whether to send the draft."""
    model = FakeChatModel(responses=["draft"])

    def ask(state: MessagesState) -> dict[str, Any]:
        draft = model.invoke(state["messages"])
        answer = interrupt({"question": "send it?", "draft": draft.content})
        return {"messages": [AIMessage(content=f"{draft.content} ({answer})")]}

    return one_node_graph("ask", ask, checkpointer=saver)


def questions(exporter: InMemoryExporter) -> list[Record]:
    return by_kind(exporter.records, RecordKind.HUMAN)


def interrupt_ids(result: dict[str, Any]) -> list[str]:
    return [item.id for item in result["__interrupt__"]]


@requires(Command, interrupt)
def test_approval_in_the_root_graph(exporter: InMemoryExporter, tmp_path: Path) -> None:
    """The pause is a question at the node's path; the resume completes that record."""
    with checkpointer(tmp_path) as saver:
        graph = approval_graph(saver)
        config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "t-root"}}
        first = graph.invoke(user(), config=config)
        (interrupt_id,) = interrupt_ids(first)
        (asked,) = questions(exporter)
        assert asked.id == human_record_id("t-root", interrupt_id)
        assert (asked.session_id, asked.session_path, asked.name) == ("t-root", "/ask", "ask")
        assert (asked.status, asked.end_time) == (Status.INTERRUPTED, None)
        assert asked.properties[INTERRUPT_ID_PROPERTY] == interrupt_id
        assert asked.request == {"question": {"question": "send it?", "draft": "draft"}}
        graph.invoke(Command(resume="yes"), config=config)
    _, answered = questions(exporter)
    assert answered.id == asked.id
    assert (answered.status, answered.session_path) == (Status.OK, "/ask")
    assert answered.start_time == asked.start_time
    assert answered.end_time is not None
    assert answered.end_time >= asked.start_time
    assert answered.request == asked.request
    assert answered.response == {"answer": "yes"}


@requires(Command, interrupt)
def test_bodies_off_keeps_the_interrupt_id(tmp_path: Path) -> None:
    """With bodies not sent, the question and answer go without values, ids kept."""
    exporter = InMemoryExporter()
    agenttrace.configure(exporter=exporter, send_bodies=False)
    with checkpointer(tmp_path) as saver:
        graph = approval_graph(saver)
        config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "t"}}
        (interrupt_id,) = interrupt_ids(graph.invoke(user(), config=config))
        graph.invoke(Command(resume="secret answer"), config=config)
    asked, answered = questions(exporter)
    assert (asked.request, answered.response) == (None, None)
    assert answered.properties[INTERRUPT_ID_PROPERTY] == interrupt_id


@requires(Command, interrupt)
def test_approval_in_a_subgraph(exporter: InMemoryExporter, tmp_path: Path) -> None:
    """Asked by the inner node: one question at the inner path (not one per level)."""
    with checkpointer(tmp_path) as saver:
        outer = StateGraph(MessagesState)
        outer.add_node("writer", approval_graph(None))
        outer.add_edge(START, "writer")
        graph = outer.compile(checkpointer=saver)
        config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "t-sub"}}
        (interrupt_id,) = interrupt_ids(graph.invoke(user(), config=config))
        graph.invoke(Command(resume="approved"), config=config)
    asked, answered = questions(exporter)
    assert asked.session_path == answered.session_path == "/writer/ask"
    assert asked.properties[INTERRUPT_ID_PROPERTY] == interrupt_id
    assert answered.response == {"answer": "approved"}


@requires(Command, interrupt)
def test_approval_inside_a_tool(exporter: InMemoryExporter, tmp_path: Path) -> None:
    """A tool that asks: the question sits at the tool's path."""

    @tool
    def send_email(query: str) -> str:
        """Sends an email after approval."""
        approved = interrupt(f"send {query}?")
        return f"sent ({approved})"

    with checkpointer(tmp_path) as saver:
        agent = react_agent(
            FakeChatModel(respond=calls_tool("send_email")), [send_email], checkpointer=saver
        )
        config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "mail"}}
        agent.invoke(user("report"), config=config)
        agent.invoke(Command(resume="ok"), config=config)
    asked, answered = questions(exporter)
    assert asked.session_path == "/tools/send_email"
    assert asked.request == {"question": "send report?"}
    assert (answered.status, answered.response) == (Status.OK, {"answer": "ok"})


class FanOut(TypedDict):
    topic: str
    done: Annotated[list[str], operator.add]


@requires(Command, interrupt)
@requires(Send)
def test_two_parallel_send_branches_each_ask(exporter: InMemoryExporter, tmp_path: Path) -> None:
    """Two Send branches pause together: two questions told apart by branch; one resume
    naming both interrupts completes each with its own answer."""

    def review(state: dict[str, Any]) -> dict[str, Any]:
        verdict = interrupt(f"approve {state['topic']}?")
        return {"done": [f"{state['topic']}={verdict}"]}

    with checkpointer(tmp_path) as saver:
        builder = StateGraph(FanOut)
        builder.add_node("review", review)
        builder.add_conditional_edges(
            START, lambda s: [Send("review", {"topic": t}) for t in ("a", "b")], ["review"]
        )
        graph = builder.compile(checkpointer=saver)
        config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "fan"}}
        first = graph.invoke({"topic": "", "done": []}, config=config)
        by_question = {item.value: item.id for item in first["__interrupt__"]}
        asked = questions(exporter)
        assert len(asked) == 2
        assert {r.session_path for r in asked} == {"/review"}
        assert len({r.branch_id for r in asked}) == 2
        answers = {by_question["approve a?"]: "yes", by_question["approve b?"]: "no"}
        result = graph.invoke(Command(resume=answers), config=config)
    assert sorted(result["done"]) == ["a=yes", "b=no"]
    answered = {r.request["question"]: r for r in questions(exporter)[2:]}  # type: ignore[index]
    assert {q: (r.status, r.response) for q, r in answered.items()} == {
        "approve a?": (Status.OK, {"answer": "yes"}),
        "approve b?": (Status.OK, {"answer": "no"}),
    }


@requires(Command, interrupt)
async def test_async_handler_asks_and_completes(exporter: InMemoryExporter) -> None:
    """ainvoke with the async handler: the same question and answer."""
    graph = approval_graph(MemorySaver())
    config: Any = {"callbacks": [AsyncCallbackHandler()], "configurable": {"thread_id": "as"}}
    await graph.ainvoke(user(), config=config)
    await graph.ainvoke(Command(resume="fine"), config=config)
    asked, answered = questions(exporter)
    assert (asked.status, answered.status) == (Status.INTERRUPTED, Status.OK)
    assert answered.response == {"answer": "fine"}


@requires(Command, interrupt)
def test_never_answered_question_stays_open(exporter: InMemoryExporter) -> None:
    """No resume: one question, no answer, no end time."""
    graph = approval_graph(MemorySaver())
    config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "open"}}
    graph.invoke(user(), config=config)
    (asked,) = questions(exporter)
    assert (asked.status, asked.end_time, asked.response) == (Status.INTERRUPTED, None, None)


_SECOND_PROCESS = """
import sys
from typing import Any

import agenttrace
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agenttrace_langchain import CallbackHandler
from tests.test_human_questions import approval_graph

endpoint, database, thread_id, interrupt_id = sys.argv[1:5]
agenttrace.configure(endpoint=endpoint, spool_dir=database + ".spool")
answer = "approved later"
resume = Command(resume=answer if interrupt_id == "bare" else {interrupt_id: answer})
with SqliteSaver.from_conn_string(database) as saver:
    config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": thread_id}}
    approval_graph(saver).invoke(resume, config=config)
assert agenttrace.flush(10.0)
"""


@requires(Command, interrupt)
@pytest.mark.skipif(SqliteSaver is None, reason="needs langgraph-checkpoint-sqlite")
@pytest.mark.parametrize("resume", ["by interrupt id", "bare"])
def test_resume_in_a_second_process_answers_the_question(tmp_path: Path, resume: str) -> None:
    """Asked here and shipped; answered by another process (an approval UI resuming from
    the SQLite checkpointer with a new handler), naming the interrupt or not: the collector
    shows one answered question and the session is no longer waiting. A second thread left
    unanswered stays waiting."""
    collector_testing = pytest.importorskip("agenttrace.server.testing")
    database = str(tmp_path / "checkpoints.db")
    with collector_testing.running_collector(data_dir=tmp_path / "db") as collector:
        agenttrace.configure(endpoint=collector.url, spool_dir=tmp_path / "spool")
        with SqliteSaver.from_conn_string(database) as saver:
            graph = approval_graph(saver)
            config: Any = {"callbacks": [CallbackHandler()]}
            first = graph.invoke(user(), config={**config, "configurable": {"thread_id": "x1"}})
            graph.invoke(user(), config={**config, "configurable": {"thread_id": "x2"}})
        assert agenttrace.flush(10.0)
        with collector.client(timeout=10.0) as http:
            inbox = http.get("/v1/sessions", params={"status": "waiting"}).json()
        assert sorted(s["session_id"] for s in inbox["sessions"]) == ["x1", "x2"]
        (interrupt_id,) = interrupt_ids(first)
        tests_root = Path(__file__).resolve().parents[1]
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _SECOND_PROCESS,
                collector.url,
                database,
                "x1",
                interrupt_id if resume == "by interrupt id" else "bare",
            ],
            cwd=tests_root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        with collector.client(timeout=10.0) as http:
            detail = http.get("/v1/sessions/x1", params={"include_bodies": "true"}).json()
            inbox = http.get("/v1/sessions", params={"status": "waiting"}).json()
    assert [s["session_id"] for s in inbox["sessions"]] == ["x2"]
    assert inbox["sessions"][0]["waiting_since"] is not None
    assert detail["session"]["status"] == "ok"
    (human,) = [r for r in detail["requests"] if r["kind"] == "human"]
    assert (human["status"], human["session_path"], human["name"]) == ("ok", "/ask", "ask")
    assert human["request_body"] == {"question": {"question": "send it?", "draft": "draft"}}
    assert human["response_body"] == {"answer": "approved later"}
    assert human["latency_ms"] > 0
    llms = [r for r in detail["requests"] if r["kind"] == "llm"]
    assert len(llms) == 2  # the first run's and the resumed run's (another process)


def _breakpoint_graph() -> Any:
    """One node, ``send``, with a static breakpoint before it."""
    return one_node_graph(
        "send",
        lambda state: {"messages": [AIMessage(content="sent")]},
        checkpointer=MemorySaver(),
        interrupt_before=["send"],
    )


@pytest.mark.skipif(not HAS_LIFECYCLE, reason="langgraph without on_interrupt")
@pytest.mark.parametrize("handler_type", [CallbackHandler, AsyncCallbackHandler])
async def test_static_breakpoint_is_a_question(
    exporter: InMemoryExporter, handler_type: type[Any]
) -> None:
    """interrupt_before pauses with no interrupt() call: LangGraph's on_interrupt makes it a
    question at the graph's path, and on_resume (the resume names the checkpoint it went
    on from) answers it."""
    compiled = _breakpoint_graph()
    config: Any = {"callbacks": [handler_type()], "configurable": {"thread_id": "bp"}}
    await compiled.ainvoke(user(), config=config)
    (asked,) = questions(exporter)
    assert asked.properties[INTERRUPT_ID_PROPERTY].startswith("breakpoint:")
    assert (asked.status, asked.session_path) == (Status.INTERRUPTED, "/")
    assert asked.request == {"question": {"breakpoint": "interrupt_before"}}
    result = await compiled.ainvoke(None, config=config)
    assert result["messages"][-1].content == "sent"
    _, answered = questions(exporter)
    assert (answered.id, answered.status) == (asked.id, Status.OK)
    assert answered.end_time is not None


@pytest.mark.skipif(not HAS_LIFECYCLE, reason="langgraph without on_interrupt")
@pytest.mark.parametrize("handler_type", [CallbackHandler, AsyncCallbackHandler])
async def test_breakpoint_of_a_graph_run_inside_a_node_is_the_inner_graphs_question(
    exporter: InMemoryExporter, handler_type: type[Any]
) -> None:
    """A graph with a breakpoint invoked from a node's body (a chain that adds no path
    segment of its own): the question is the inner graph's, at the node's path."""
    inner = _breakpoint_graph()

    def outer(state: MessagesState) -> dict[str, Any]:
        inner.invoke(user(), config={"configurable": {"thread_id": "inner"}})
        return {"messages": []}

    await one_node_graph("outer", outer).ainvoke(user(), config={"callbacks": [handler_type()]})
    (asked,) = questions(exporter)
    assert (asked.name, asked.session_path, asked.parent_id) == ("interrupt", "/outer", None)


@pytest.mark.skipif(not HAS_LIFECYCLE, reason="langgraph without on_interrupt")
def test_breakpoint_of_a_graph_run_inside_a_tool_hangs_under_the_tool(
    exporter: InMemoryExporter,
) -> None:
    """A graph with a breakpoint invoked from a tool: the question is the inner graph's,
    with the tool's record as its parent."""
    inner = _breakpoint_graph()

    @tool
    def delegate(query: str) -> str:
        """Hand the query to a graph that pauses for approval."""
        inner.invoke(user(query), config={"configurable": {"thread_id": "inner"}})
        return "asked"

    agent = react_agent(FakeChatModel(respond=calls_tool("delegate")), [delegate])
    agent.invoke(user(), config={"callbacks": [CallbackHandler()]})
    (asked,) = questions(exporter)
    (tool_record,) = [r for r in exporter.records if r.kind is RecordKind.TOOL]
    assert (asked.name, asked.session_path) == ("interrupt", "/tools/delegate")
    assert asked.parent_id == tool_record.id


class Approval(TypedDict):
    approved: bool
    sent: bool


def test_node_interrupt_is_answered_when_the_node_finishes(
    exporter: InMemoryExporter, tmp_path: Path
) -> None:
    """Every langgraph version down to the oldest: a NodeInterrupt (no interrupt id, no
    Command) is a question keyed by the node; the resumed node finishing answers it."""
    import warnings

    from langgraph.errors import NodeInterrupt

    def send(state: Approval) -> dict[str, Any]:
        if not state["approved"]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated in langgraph 1.x
                raise NodeInterrupt("approve sending?")
        return {"sent": True}

    builder = StateGraph(Approval)
    builder.add_node("send", send)
    builder.add_edge(START, "send")
    with checkpointer(tmp_path) as saver:
        graph = builder.compile(checkpointer=saver)
        config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "ni"}}
        graph.invoke({"approved": False, "sent": False}, config=config)
        (asked,) = questions(exporter)
        assert (asked.session_path, asked.status) == ("/send", Status.INTERRUPTED)
        assert asked.end_time is None
        assert asked.request == {"question": "approve sending?"}
        graph.update_state(config, {"approved": True})
        assert graph.invoke(None, config=config)["sent"] is True
    _, answered = questions(exporter)
    assert (answered.id, answered.status, answered.response) == (asked.id, Status.OK, None)
    assert answered.end_time is not None
