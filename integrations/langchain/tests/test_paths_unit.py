"""The path rules, checked by calling the callbacks by hand with explicit run ids."""

from __future__ import annotations

from uuid import uuid4

from agenttrace.records import RecordKind, Status
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import CallbackHandler

from .driver import Driver, node_metadata


def test_llm_adds_no_segment_and_tool_adds_its_name(exporter: InMemoryExporter) -> None:
    """An LLM run sits at its node's path; a tool run adds ``serialized['name']``."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    agent = d.node(root, "agent", "agent:1")
    seq = d.chain(agent, "RunnableSequence", node_metadata("agent", "agent:1"))
    d.llm(seq, node_metadata("agent", "agent:1"))
    d.end(seq)
    d.end(agent)
    tools = d.node(root, "tools", "tools:2")
    d.tool(tools, "search", metadata=node_metadata("tools", "tools:2"))
    d.end(tools)
    d.end(root)
    records = exporter.records
    assert [(r.kind, r.session_path, r.name) for r in records] == [
        (RecordKind.LLM, "/agent", "FakeChat"),
        (RecordKind.TOOL, "/tools/search", "search"),
    ]
    assert d.handler.live_runs == 0


def test_subgraph_and_agent_inside_tool_follow_the_run_tree(exporter: InMemoryExporter) -> None:
    """Nested namespaces nest paths; an agent called from a tool keeps the tool's name."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    helper = d.node(root, "helper", "helper:1")
    sub = d.chain(helper, "LangGraph", node_metadata("helper", "helper:1"))
    tools = d.node(sub, "tools", "helper:1|tools:2")
    tool = d.tool_start(tools, "ask_researcher", node_metadata("tools", "helper:1|tools:2"))
    inner = d.chain(tool, "researcher", node_metadata("tools", "helper:1|tools:2"))
    agent = d.node(inner, "agent", "helper:1|tools:2|agent:3")
    d.llm(agent, node_metadata("agent", "helper:1|tools:2|agent:3"))
    for run in (agent, inner):
        d.end(run)
    d.handler.on_tool_end("answer", run_id=tool)
    for run in (tools, sub, helper, root):
        d.end(run)
    llm, tool_record = exporter.records
    assert llm.session_path == "/helper/tools/ask_researcher/agent"
    assert tool_record.session_path == "/helper/tools/ask_researcher"
    assert llm.parent_id == tool_record.id == str(tool)


def test_nested_graph_with_its_own_configurable_restarts_the_namespace(
    exporter: InMemoryExporter,
) -> None:
    """A graph invoked in a node with its own thread restarts the namespace; the tree wins."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    outer = d.node(root, "outer", "outer:1")
    nested = d.chain(outer, "LangGraph", node_metadata("outer", "outer:1"))
    agent = d.node(nested, "agent", "agent:9")
    d.llm(agent, node_metadata("agent", "agent:9"))
    for run in (agent, nested, outer, root):
        d.end(run)
    assert exporter.records[0].session_path == "/outer/agent"


def test_hidden_runs_are_transparent(exporter: InMemoryExporter) -> None:
    """``__start__``, ``langsmith:hidden`` and ChannelWrite runs add no segment."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    start = d.node(root, "__start__", "__start__:1")
    route = d.chain(start, "route", node_metadata("__start__", "__start__:1"))
    d.llm(route, node_metadata("__start__", "__start__:1"))
    hidden = d.chain(root, "agent", node_metadata("agent", "agent:2"), tags=["langsmith:hidden"])
    d.llm(hidden, node_metadata("agent", "agent:2"))
    write = d.chain(root, "ChannelWrite<x>", node_metadata("x", "x:3"))
    d.llm(write, node_metadata("x", "x:3"))
    assert [r.session_path for r in exporter.records] == ["/", "/", "/"]


def test_handler_attached_below_the_root_bootstraps_from_the_namespace(
    exporter: InMemoryExporter,
) -> None:
    """A first run with no known parent takes its path from the namespace."""
    d = Driver()
    d.tool(None, "search", metadata=node_metadata("tools", "researcher:1|tools:2"))
    d.llm(None, node_metadata("agent", "researcher:1|agent:3"))
    assert [r.session_path for r in exporter.records] == [
        "/researcher/tools/search",
        "/researcher/agent",
    ]
    assert d.handler.live_runs == 0


def test_send_branches_share_the_path_with_their_own_branch_ids(
    exporter: InMemoryExporter,
) -> None:
    """Parallel ``Send`` tasks of one node: same path, one record each, task id as branch."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    push = {"langgraph_triggers": ("__pregel_push",)}
    first = d.node(root, "work", "work:task-a", **push)
    second = d.node(root, "work", "work:task-b", **push)
    d.llm(second, node_metadata("work", "work:task-b"))
    d.llm(first, node_metadata("work", "work:task-a"))
    records = exporter.records
    assert [r.session_path for r in records] == ["/work", "/work"]
    assert [r.branch_id for r in records] == ["task-b", "task-a"]
    plain = d.node(root, "plain", "plain:task-c")
    d.llm(plain, node_metadata("plain", "plain:task-c"))
    assert exporter.records[-1].branch_id is None


def test_retry_counts_attempts_and_records_the_failed_node(exporter: InMemoryExporter) -> None:
    """A node re-started in the same namespace is attempt 2; both attempts are visible."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    first = d.node(root, "work", "work:1")
    d.llm(first, node_metadata("work", "work:1"))
    d.fail(first, ValueError("flaky"))
    second = d.node(root, "work", "work:1")
    d.llm(second, node_metadata("work", "work:1"))
    d.end(second)
    d.end(root)
    summary = [(r.kind, r.attempt, r.status, r.error and r.error.type) for r in exporter.records]
    assert summary == [
        (RecordKind.LLM, 1, Status.OK, None),
        (RecordKind.CHAIN, 1, Status.ERROR, "ValueError"),
        (RecordKind.LLM, 2, Status.OK, None),
        (RecordKind.CHAIN, 2, Status.OK, None),
    ]
    assert {r.session_path for r in exporter.records} == {"/work"}


def test_a_failure_already_recorded_below_is_not_recorded_again(
    exporter: InMemoryExporter,
) -> None:
    """A tool error bubbling through its node and graph gives one error record, not three."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    tools = d.node(root, "tools", "tools:1")
    tool = d.tool_start(tools, "search", node_metadata("tools", "tools:1"))
    boom = RuntimeError("boom")
    d.handler.on_tool_error(boom, run_id=tool)
    d.fail(tools, boom)
    d.fail(root, boom)
    assert [(r.kind, r.status) for r in exporter.records] == [(RecordKind.TOOL, Status.ERROR)]
    assert exporter.records[0].error is not None
    assert exporter.records[0].error.message == "boom"


def test_an_error_raised_in_a_node_body_gets_a_chain_record(exporter: InMemoryExporter) -> None:
    """Without any record below, a node's own exception still shows, once, at its path."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    node = d.node(root, "plan", "plan:1")
    error = KeyError("missing")
    d.fail(node, error)
    d.fail(root, error)
    (record,) = exporter.records
    assert (record.kind, record.session_path, record.name, record.status) == (
        RecordKind.CHAIN,
        "/plan",
        "plan",
        Status.ERROR,
    )
    assert record.error is not None
    assert record.error.type == "KeyError"


def test_a_failing_plain_chain_root_gets_a_record(exporter: InMemoryExporter) -> None:
    """A root chain that fails on its own (no graph, no model) is not silently lost."""
    d = Driver()
    root = d.chain(None, "my_chain")
    d.fail(root, ValueError("bad input"))
    (record,) = exporter.records
    assert (record.name, record.session_path, record.status) == ("my_chain", "/", Status.ERROR)


def test_path_prefix_and_root_name(exporter: InMemoryExporter) -> None:
    """``path_prefix`` and ``include_root_name`` go in front of every path."""
    d = Driver(CallbackHandler(path_prefix="batch/run", include_root_name=True))
    root = d.chain(None, "supervisor")
    node = d.node(root, "agent", "agent:1")
    d.llm(node, node_metadata("agent", "agent:1"))
    assert exporter.records[0].session_path == "/batch/run/supervisor/agent"


def test_unknown_parent_becomes_a_root_and_unknown_ends_are_ignored(
    exporter: InMemoryExporter,
) -> None:
    """Runs whose start we never saw are not errors: parents become roots, ends are dropped."""
    d = Driver()
    d.llm(uuid4())
    d.end(uuid4())
    d.handler.on_llm_end(None, run_id=uuid4())
    d.handler.on_tool_error(ValueError("x"), run_id=uuid4())
    assert [r.session_path for r in exporter.records] == ["/"]


def test_root_end_forgets_every_run_under_it(exporter: InMemoryExporter) -> None:
    """Runs left open when their root ends are dropped: nothing is kept between roots."""
    d = Driver()
    root = d.chain(None, "LangGraph")
    node = d.node(root, "agent", "agent:1")
    d.llm_start(node, node_metadata("agent", "agent:1"))
    assert d.handler.live_runs == 3
    d.end(root)
    assert d.handler.live_runs == 0


def test_deep_nesting_stops_growing_the_path(exporter: InMemoryExporter) -> None:
    """A recursion of nodes deeper than records allow keeps a valid path."""
    d = Driver()
    parent = d.chain(None, "LangGraph")
    namespace = ""
    for depth in range(80):
        namespace = f"{namespace}|n{depth}:{depth}" if namespace else f"n0:{depth}"
        parent = d.node(parent, f"n{depth}", namespace)
    d.llm(parent, node_metadata("n79", namespace))
    assert exporter.records[0].session_path.count("/") == 60
