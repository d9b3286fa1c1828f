"""A supervisor routing work to two sub-agents, a researcher and a coder, in one session.

    agenttrace serve                                  # a collector, in another terminal
    python examples/agents/supervisor.py

The supervisor (a model call in the ``supervisor`` node) picks who works next; each
sub-agent is a ReAct agent added to the graph as a node, with its own tools. The
researcher's ``search`` tool queries a vector store and a database, logged with
``ManualLogger``. One ``CallbackHandler`` traces it all, and the paths come from the graph
itself; the hand-logged calls inherit the tool's session and path with no extra code::

    /supervisor                               llm        routes to the researcher
    /researcher/agent                         llm        asks for search
    /researcher/tools/search                  tool
    /researcher/tools/search/docs_index       vector_db  (ManualLogger)
    /researcher/tools/search/facts_db         data       (ManualLogger)
    /researcher/agent                         llm        reports
    /supervisor                               llm        routes to the coder
    /coder/agent                              llm        asks for run_python
    /coder/tools/run_python                   tool
    /coder/agent                              llm        reports
    /supervisor                               llm        finishes

Offline by default: the models are scripted fakes reporting token usage. Set
``AGENTTRACE_EXAMPLE_MODEL=openai:gpt-4o-mini`` and ``OPENAI_API_KEY`` to use a real model
(see ``_models.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from _main import finish
from _models import chat_model, text_of, tool_call
from _react import react_agent
from _tools import DATABASE, STORE, Document, cities_in, evaluate, facts_query, findings
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph

import agenttrace
from agenttrace import ManualLogger
from agenttrace.langchain import CallbackHandler

QUESTION = "How many people live in Lisbon and Porto together? Check the sum with Python."
AGENTS = ("researcher", "coder")
MAX_TURNS = 6
ROUTER_PROMPT = (
    "You lead a researcher (finds facts) and a coder (runs Python). Read the conversation "
    "and answer with one word: researcher, coder, or FINISH when the question is answered."
)

logger = ManualLogger()  # records go through the tracer set with agenttrace.configure()


# -- the researcher: search = a vector store + a database, both logged by hand -------------


@tool
def search(query: str) -> str:
    """Search the travel notes and the city database."""

    def vector_search(recorder: Any) -> list[Document]:
        documents = STORE.search(query, top_k=2)
        recorder.append_results({"documents": [{"id": d.id, "score": d.score} for d in documents]})
        return documents

    documents = logger.log_request(
        {"_type": "vector_db", "operation": "search", "databaseName": "docs_index",
         "text": query, "topK": 2},
        vector_search,
    )  # fmt: skip
    cities = cities_in(query)
    sql = facts_query(cities)

    def select(recorder: Any) -> list[dict[str, Any]]:
        rows = DATABASE.query(sql, tuple(cities))
        recorder.append_results({"rows": rows})
        return rows

    rows = logger.log_request(
        {"_type": "data", "name": "facts_db", "query": sql, "params": cities}, select
    )
    return findings(documents, rows)


def researcher_script(messages: list[BaseMessage]) -> str | AIMessage:
    """Offline researcher: search for the question, then report what was found."""
    if messages[-1].type == "tool":
        return f"Here is what I found:\n{text_of(messages[-1])}"
    question = next(text_of(m) for m in messages if m.type == "human")
    return tool_call("search", {"query": question})


# -- the coder: run_python evaluates arithmetic (safely) -----------------------------------


@tool
def run_python(code: str) -> str:
    """Run a Python arithmetic expression, such as 545000 + 232000, and return its value."""
    return evaluate(code)


def coder_script(messages: list[BaseMessage]) -> str | AIMessage:
    """Offline coder: add up the populations in the conversation, then report the sum."""
    if messages[-1].type == "tool":
        return f"The sum is {text_of(messages[-1])}."
    notes = " ".join(text_of(m) for m in messages)
    populations = dict(re.findall(r"(\w+): population (\d+)", notes))  # one per city
    return tool_call("run_python", {"code": " + ".join(populations.values()) or "0"})


# -- the supervisor ---------------------------------------------------------------------------


class Team(MessagesState):
    """The conversation, and who works next."""

    next: str


def is_report(message: BaseMessage) -> bool:
    """Whether ``message`` is an agent's final answer (not one of its tool calls)."""
    return message.name in AGENTS and not getattr(message, "tool_calls", None)


def transcript(messages: Sequence[BaseMessage]) -> str:
    """The question and each agent's report, as text for the router."""
    lines = [
        f"{message.name or 'user'}: {text_of(message)}"
        for message in messages
        if message.type == "human" or is_report(message)
    ]
    return "\n".join(lines)


def router_script(messages: list[BaseMessage]) -> str:
    """Offline supervisor: the researcher first, then the coder, then finish."""
    reported = text_of(messages[-1])
    return next((agent for agent in AGENTS if f"\n{agent}:" not in reported), "FINISH")


def build_graph() -> Any:
    """supervisor -> researcher | coder -> supervisor ... -> end."""
    router = chat_model(router_script)

    def supervisor(state: Team) -> dict[str, Any]:
        turns = sum(1 for message in state["messages"] if is_report(message))
        conversation = HumanMessage(content=transcript(state["messages"]))
        answer = text_of(router.invoke([SystemMessage(content=ROUTER_PROMPT), conversation]))
        words = re.findall(r"[a-z]+", answer.lower())
        choice = next((word for word in words if word in AGENTS), END)
        return {"next": END if turns >= MAX_TURNS else choice}

    graph = StateGraph(Team)
    graph.add_node("supervisor", supervisor)
    graph.add_node(
        "researcher",
        react_agent(chat_model(researcher_script), [search], name="researcher"),
    )
    graph.add_node("coder", react_agent(chat_model(coder_script), [run_python], name="coder"))
    graph.add_edge(START, "supervisor")
    graph.add_conditional_edges("supervisor", lambda state: state["next"], [*AGENTS, END])
    for agent in AGENTS:
        graph.add_edge(agent, "supervisor")
    return graph.compile()


def run(question: str = QUESTION, *, session_name: str = "supervisor", echo: bool = False) -> str:
    """Answer ``question`` with the team in a new session (printed if ``echo``); return
    the session id."""
    graph = build_graph()
    with agenttrace.session(
        name=session_name, properties={"example": "supervisor"}, user_id="demo-user"
    ) as session:
        result = graph.invoke(
            {"messages": [HumanMessage(content=question)]},
            config={"callbacks": [CallbackHandler()]},
        )
    if echo:
        print(text_of(result["messages"][-1]))
    return session.id


if __name__ == "__main__":
    finish("supervisor", [run(echo=True)])
