"""A graph that fans out with ``Send`` to parallel research branches, then writes a report.

    agenttrace serve                                  # a collector, in another terminal
    python examples/agents/parallel_research.py

``plan`` asks the model which places to research; one ``Send("research", ...)`` per place
runs the ``research`` node that many times in parallel; ``write`` joins the notes. Each
branch searches a vector store (logged with ``ManualLogger``, so it lands under the node's
path) and asks the model for a note. The branches share the path ``/research``; each record
carries its branch's id (``branch_id``, the LangGraph task id), so they stay apart::

    /plan                    llm         1
    /research/docs_index     vector_db   1 per branch
    /research                llm         1 per branch, each with its own branch_id
    /write                   llm         1

Offline by default; set ``AGENTTRACE_EXAMPLE_MODEL=openai:gpt-4o-mini`` and
``OPENAI_API_KEY`` to use a real model (see ``_models.py``).
"""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, TypedDict

from _main import finish
from _models import chat_model, text_of
from _tools import STORE, cities_in
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

import agenttrace
from agenttrace import ManualLogger
from agenttrace.langchain import CallbackHandler

QUESTION = "Compare Lisbon, Porto and Coimbra for a weekend trip."
MAX_BRANCHES = 8
PLAN_PROMPT = "List the places the question is about, one per line, nothing else."
NOTE_PROMPT = "Write one sentence for a traveller from these notes."
WRITE_PROMPT = "Write a short comparison from the notes, one line per place."

logger = ManualLogger()


class Research(TypedDict):
    """The whole run: the question, the places, the notes the branches add, the report."""

    question: str
    places: list[str]
    notes: Annotated[list[str], operator.add]
    report: str


class Branch(TypedDict):
    """What one research branch gets."""

    place: str


def script(messages: list[BaseMessage]) -> str:
    """Offline model: plans the places named in the question, notes, and a report."""
    instruction, text = text_of(messages[0]), text_of(messages[-1])
    if instruction == PLAN_PROMPT:
        return "\n".join(cities_in(text))
    if instruction == NOTE_PROMPT:
        return text.splitlines()[0].removeprefix("- ")
    return "\n".join(f"{n}. {note}" for n, note in enumerate(text.splitlines(), 1))


def build_graph() -> Any:
    """plan -> research x N (Send) -> write."""
    model = chat_model(script)

    def plan(state: Research) -> dict[str, Any]:
        answer = model.invoke([SystemMessage(PLAN_PROMPT), HumanMessage(state["question"])])
        lines = [re.sub(r"^[\s\-*\d.]+", "", line).strip() for line in text_of(answer).splitlines()]
        return {"places": [line for line in lines if line][:MAX_BRANCHES]}

    def fan_out(state: Research) -> list[Send]:
        return [Send("research", {"place": place}) for place in state["places"]]

    def research(state: Branch) -> dict[str, Any]:
        place = state["place"]

        def vector_search(recorder: Any) -> list[str]:
            texts = [doc.text for doc in STORE.search(place, top_k=2)]
            recorder.append_results({"documents": texts})
            return texts

        documents = logger.log_request(
            {"_type": "vector_db", "operation": "search", "databaseName": "docs_index",
             "text": place, "topK": 2},
            vector_search,
        )  # fmt: skip
        notes = "\n".join(f"- {text}" for text in documents)
        answer = model.invoke([SystemMessage(NOTE_PROMPT), HumanMessage(notes)])
        return {"notes": [f"{place}: {text_of(answer)}"]}

    def write(state: Research) -> dict[str, Any]:
        notes = "\n".join(sorted(state["notes"]))
        answer = model.invoke([SystemMessage(WRITE_PROMPT), HumanMessage(notes)])
        return {"report": text_of(answer)}

    graph = StateGraph(Research)
    graph.add_node("plan", plan)
    graph.add_node("research", research)
    graph.add_node("write", write)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["research"])
    graph.add_edge("research", "write")
    graph.add_edge("write", END)
    return graph.compile()


def run(question: str = QUESTION, *, echo: bool = False) -> str:
    """Research ``question`` in parallel branches in a new session; return the session id."""
    graph = build_graph()
    with agenttrace.session(
        name="parallel-research", properties={"example": "parallel_research"}
    ) as session:
        result = graph.invoke(
            {"question": question, "places": [], "notes": [], "report": ""},
            config={"callbacks": [CallbackHandler()]},
        )
    if echo:
        print(result["report"])
    return session.id


if __name__ == "__main__":
    finish("parallel research", [run(echo=True)])
