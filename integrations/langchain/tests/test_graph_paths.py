"""Session paths on real LangGraph graphs driven by offline fake chat models."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from agenttrace.records import RecordKind
from agenttrace.testing import InMemoryExporter
from agenttrace_langchain import CallbackHandler
from agenttrace_langchain.testing import FakeChatModel

from .compat import Send, entrypoint, requires, task
from .helpers import (
    agent_calling_agent,
    calls_tool,
    one_node_graph,
    paths,
    react_agent,
    researcher,
    search,
    supervisor_graph,
    user,
)


def test_react_agent_paths_and_records(exporter: InMemoryExporter) -> None:
    """A ReAct agent gives /agent LLM records and a /tools/search tool record."""
    handler = CallbackHandler()
    agent = researcher()
    agent.invoke(user("llamas"), config={"callbacks": [handler]})
    records = exporter.records
    assert [(r.kind, r.session_path) for r in records] == [
        (RecordKind.LLM, "/agent"),
        (RecordKind.TOOL, "/tools/search"),
        (RecordKind.LLM, "/agent"),
    ]
    tool_record = records[1]
    assert tool_record.name == "search"
    assert tool_record.request == {"input": {"query": "llamas"}}
    assert tool_record.response is not None
    assert tool_record.response["output"]["content"] == "results for llamas"
    assert len({r.session_id for r in records}) == 1
    assert len({r.id for r in records}) == 3
    assert handler.live_runs == 0


def test_supervisor_with_sub_agents(exporter: InMemoryExporter) -> None:
    """Sub-agents added as nodes nest their node paths under the sub-agent's name."""
    supervisor_graph().invoke(user(), config={"callbacks": [CallbackHandler()]})
    assert paths(exporter.records) == [
        "/researcher/agent",
        "/researcher/tools/search",
        "/researcher/agent",
        "/writer/agent",
    ]


def test_agent_called_from_inside_a_tool(exporter: InMemoryExporter) -> None:
    """An agent invoked inside a tool keeps the tool name: /tools/ask_researcher/agent."""
    agent_calling_agent().invoke(user("q"), config={"callbacks": [CallbackHandler()]})
    records = exporter.records
    assert paths(records) == [
        "/agent",
        "/tools/ask_researcher/agent",
        "/tools/ask_researcher/tools/search",
        "/tools/ask_researcher/agent",
        "/tools/ask_researcher",
        "/agent",
    ]
    ask = records[4]
    assert {r.parent_id for r in records[1:4]} == {ask.id}
    assert records[0].parent_id is None


def test_nested_graph_with_its_own_configurable(exporter: InMemoryExporter) -> None:
    """A graph invoked in a node with its own thread stays in the outer session and path."""
    inner = react_agent(FakeChatModel(respond=calls_tool("search")), [search])
    inner_with_memory = react_agent(
        FakeChatModel(respond=calls_tool("search")), [search], checkpointer=MemorySaver()
    )

    def outer_node(state: MessagesState) -> dict[str, Any]:
        inner.invoke(user("a"), config={"configurable": {"thread_id": "inner-thread"}})
        inner_with_memory.invoke(user("b"), config={"configurable": {"thread_id": "t2"}})
        return {"messages": []}

    config: Any = {"callbacks": [CallbackHandler()], "configurable": {"thread_id": "outer-1"}}
    one_node_graph("outer", outer_node).invoke(user(), config=config)
    records = exporter.records
    assert paths(records) == ["/outer/agent", "/outer/tools/search", "/outer/agent"] * 2
    assert {r.session_id for r in records} == {"outer-1"}


@requires(entrypoint, task)
def test_functional_api_tasks(exporter: InMemoryExporter) -> None:
    """@entrypoint and @task are nodes; parallel task calls get their own branch ids."""
    model = FakeChatModel(respond=lambda messages: "summary")

    @task
    def summarize(text: str) -> str:
        return str(model.invoke(text).content)

    @entrypoint()
    def pipeline(texts: list[str]) -> list[str]:
        futures = [summarize(text) for text in texts]
        return [f.result() for f in futures]

    assert pipeline.invoke(["a", "b"], config={"callbacks": [CallbackHandler()]}) == [
        "summary",
        "summary",
    ]
    records = exporter.records
    assert paths(records) == ["/pipeline/summarize", "/pipeline/summarize"]
    branches = {r.branch_id for r in records}
    assert len(branches) == 2
    assert None not in branches


class FanOut(TypedDict):
    """State of the Send fan-out graph."""

    topics: list[str]
    notes: Annotated[list[str], operator.add]


def test_send_fan_out_branches(exporter: InMemoryExporter) -> None:
    """Send branches run on one path; each LLM call is its own record with its branch id."""
    model = FakeChatModel(respond=lambda messages: f"note on {messages[-1].content}")

    def research(state: dict[str, Any]) -> dict[str, Any]:
        return {"notes": [str(model.invoke(state["topic"]).content)]}

    graph = StateGraph(FanOut)
    graph.add_node("research", research)
    graph.add_conditional_edges(
        START, lambda s: [Send("research", {"topic": t}) for t in s["topics"]], ["research"]
    )
    out = graph.compile().invoke(
        {"topics": ["a", "b", "c"], "notes": []}, config={"callbacks": [CallbackHandler()]}
    )
    assert sorted(out["notes"]) == ["note on a", "note on b", "note on c"]
    records = exporter.records
    assert paths(records) == ["/research"] * 3
    assert len({r.branch_id for r in records}) == 3
    asked = sorted(r.request["messages"][0]["content"] for r in records)
    assert asked == ["a", "b", "c"]


def test_handler_attached_below_the_root(exporter: InMemoryExporter) -> None:
    """A handler given only to a model call inside a sub-agent node takes the node's path."""
    handler = CallbackHandler()
    model = FakeChatModel(responses=["fine"])

    def writer(state: MessagesState) -> dict[str, Any]:
        model.invoke("draft", config={"callbacks": [handler]})
        return {"messages": []}

    inner = StateGraph(MessagesState)
    inner.add_node("draft", writer)
    inner.add_edge(START, "draft")
    outer = StateGraph(MessagesState)
    outer.add_node("writer", inner.compile())
    outer.add_edge(START, "writer")
    outer.compile().invoke(user())
    assert paths(exporter.records) == ["/writer/draft"]


class Library(BaseRetriever):
    """A retriever over a fixed list of documents."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [Document(page_content=f"{query} facts", metadata={"source": "lib"}, id="d1")]


def test_retriever_gives_a_vector_db_record(exporter: InMemoryExporter) -> None:
    """A retriever call in a node is a vector_db record with its query and documents."""
    library = Library()

    def lookup(state: MessagesState) -> dict[str, Any]:
        library.invoke("llama")
        return {"messages": []}

    one_node_graph("lookup", lookup).invoke(user(), config={"callbacks": [CallbackHandler()]})
    (record,) = exporter.records
    assert (record.kind, record.session_path, record.name) == (
        RecordKind.VECTOR_DB,
        "/lookup",
        "Library",
    )
    assert record.request == {"query": "llama"}
    assert record.response == {
        "documents": [{"page_content": "llama facts", "metadata": {"source": "lib"}, "id": "d1"}]
    }


def test_include_root_name_uses_the_graph_name(exporter: InMemoryExporter) -> None:
    """``include_root_name`` starts paths with the graph's name (two graphs, one session)."""
    handler = CallbackHandler(session_id="shared", include_root_name=True)
    researcher(FakeChatModel(responses=["a"])).with_config(run_name="triage").invoke(
        user(), config={"callbacks": [handler]}
    )
    assert paths(exporter.records) == ["/triage/agent"]
    assert exporter.records[0].session_id == "shared"
