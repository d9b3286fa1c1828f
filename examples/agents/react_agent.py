"""A ReAct agent with two tools, traced by agenttrace's LangChain / LangGraph handler.

    agenttrace serve                                  # a collector, in another terminal
    python examples/agents/react_agent.py

The agent looks the question up with ``search`` and works the figures out with
``calculator``. The handler gives every model call an ``llm`` record at ``/agent`` (the
graph node it runs in) and every tool call a ``tool`` record at ``/tools/<tool name>``, all
in the session opened by ``agenttrace.session``::

    /agent              llm    asks for search
    /tools/search       tool
    /agent              llm    asks for calculator
    /tools/calculator   tool
    /agent              llm    answers

Offline by default: the model is a scripted fake reporting token usage. Set
``AGENTTRACE_EXAMPLE_MODEL=openai:gpt-4o-mini`` and ``OPENAI_API_KEY`` to use a real model
(see ``_models.py``).
"""

from __future__ import annotations

import re

from _main import finish
from _models import chat_model, text_of, tool_call
from _react import react_agent
from _tools import DATABASE, STORE, cities_in, evaluate, facts_query, findings
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool

import agenttrace
from agenttrace.langchain import CallbackHandler

QUESTION = "How many people live in Lisbon and Porto together?"
PROMPT = "Answer with the tools: search for facts, then use the calculator for arithmetic."


@tool
def search(query: str) -> str:
    """Search the travel notes and the city database."""
    cities = cities_in(query)
    return findings(STORE.search(query), DATABASE.query(facts_query(cities), tuple(cities)))


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as 545000 + 232000."""
    return evaluate(expression)


def script(messages: list[BaseMessage]) -> str | AIMessage:
    """The offline model: search, then add the populations found, then answer."""
    question = next(text_of(m) for m in messages if m.type == "human")
    results = [text_of(m) for m in messages if m.type == "tool"]
    if not results:
        return tool_call("search", {"query": question})
    if len(results) == 1:
        populations = re.findall(r"population (\d+)", results[0])
        return tool_call("calculator", {"expression": " + ".join(populations) or "0"})
    return f"About {int(results[-1]):,} people live there together."


def run(question: str = QUESTION, *, session_name: str = "react-agent", echo: bool = False) -> str:
    """Answer ``question`` in a new session (printed if ``echo``); return the session id."""
    agent = react_agent(chat_model(script), [search, calculator], prompt=PROMPT)
    with agenttrace.session(name=session_name, properties={"example": "react_agent"}) as session:
        result = agent.invoke(
            {"messages": [("user", question)]}, config={"callbacks": [CallbackHandler()]}
        )
    if echo:
        print(text_of(result["messages"][-1]))
    return session.id


if __name__ == "__main__":
    finish("react agent", [run(echo=True)])
