"""Graph builders and record helpers shared by the integration tests."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.graph import START, MessagesState, StateGraph

from agenttrace.records import Record, RecordKind
from agenttrace_langchain.testing import FakeChatModel, Reply, tool_call


def react_agent(model: Any, tools: Sequence[Any], **kwargs: Any) -> Any:
    """``langgraph.prebuilt.create_react_agent`` without its v1 deprecation warning."""
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_react_agent(model, tools, **kwargs)


def calls_tool(name: str, arg: str = "query") -> Callable[[list[BaseMessage]], Reply]:
    """A respond function: call tool ``name`` with the last message as ``arg``, then answer.

    Stateless (it looks only at the messages), so one model serves concurrent runs.
    """

    def respond(messages: list[BaseMessage]) -> Reply:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            return f"done: {last.content}"
        return tool_call(name, {arg: str(last.content)})

    return respond


@tool
def search(query: str) -> str:
    """Search the web."""
    return f"results for {query}"


def researcher(model: FakeChatModel | None = None, tools: Sequence[BaseTool] = (search,)) -> Any:
    """A ReAct agent that calls ``search`` once, then answers."""
    return react_agent(model or FakeChatModel(respond=calls_tool("search")), list(tools))


def agent_calling_agent() -> Any:
    """A ReAct agent whose one tool, ``ask_researcher``, runs the `researcher` agent."""
    inner = researcher()

    @tool
    def ask_researcher(question: str) -> str:
        """Ask the researcher."""
        result = inner.invoke(user(question))
        return str(result["messages"][-1].content)

    return react_agent(
        FakeChatModel(respond=calls_tool("ask_researcher", "question")), [ask_researcher]
    )


def supervisor_graph(researcher_agent: Any | None = None, writer_agent: Any | None = None) -> Any:
    """supervisor -> researcher (sub-agent) -> writer (sub-agent), as in the design brief."""
    graph = StateGraph(MessagesState)
    graph.add_node("supervisor", lambda state: {"messages": [AIMessage(content="route")]})
    graph.add_node("researcher", researcher_agent or researcher())
    graph.add_node(
        "writer",
        writer_agent or react_agent(FakeChatModel(responses=["the report"]), [search]),
    )
    graph.add_edge(START, "supervisor")
    graph.add_edge("supervisor", "researcher")
    graph.add_edge("researcher", "writer")
    return graph.compile()


def one_node_graph(name: str, body: Callable[..., Any], **compile_kwargs: Any) -> Any:
    """A compiled `MessagesState` graph whose only node ``name`` runs ``body``."""
    graph = StateGraph(MessagesState)
    graph.add_node(name, body)
    graph.add_edge(START, name)
    return graph.compile(**compile_kwargs)


def user(text: str = "hi") -> dict[str, Any]:
    """Graph input with one user message."""
    return {"messages": [("user", text)]}


def paths(records: Iterable[Record], kind: RecordKind | None = None) -> list[str]:
    """The session paths of ``records`` (of one kind), in emission order."""
    return [r.session_path for r in records if kind is None or r.kind is kind]


def by_kind(records: Iterable[Record], kind: RecordKind) -> list[Record]:
    """The records of one kind, in emission order."""
    return [r for r in records if r.kind is kind]


def asked_aside(exporter: Any) -> list[Record]:
    """The records of an `InMemoryExporter` but the questions to a human (kind human),
    which `test_human_questions` covers: the calls and node records as they always were."""
    return [r for r in exporter.records if r.kind is not RecordKind.HUMAN]
