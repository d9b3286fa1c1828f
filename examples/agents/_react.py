"""A ReAct agent as a plain two-node LangGraph graph: ``agent`` (the model) and ``tools``.

It is what ``langgraph.prebuilt.create_react_agent`` builds (same node names, so the same
paths: ``/agent`` and ``/tools/<tool name>``), written out so that the examples run
unchanged on every LangGraph version and show no deprecation warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage
from langchain_core.tools import BaseTool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

__all__ = ["react_agent"]


def react_agent(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    prompt: str | None = None,
    name: str | None = None,
    checkpointer: Any = None,
) -> Any:
    """Compile a ReAct agent: the model answers or calls tools until it answers.

    ``name`` is put on the agent's answers (so a supervisor can tell its agents apart) and
    on the compiled graph; ``prompt`` is a system message put before the conversation.
    """
    bound = model.bind_tools(list(tools))

    def agent(state: MessagesState) -> dict[str, Any]:
        messages = list(state["messages"])
        if prompt:
            messages.insert(0, SystemMessage(content=prompt))
        answer = bound.invoke(messages)
        if name:
            answer.name = name
        return {"messages": [answer]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode(list(tools)))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=checkpointer, name=name or "agent")
