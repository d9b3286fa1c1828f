"""An agent that stops for a human's approval (LangGraph ``interrupt``) and is resumed.

    agenttrace serve                                  # a collector, in another terminal
    python examples/agents/human_in_the_loop.py

The agent drafts an email and calls ``send_email``, which asks a human first with
``interrupt()``. The run stops there; the checkpointer keeps its state under the thread id;
later the graph is resumed with ``Command(resume=<the human's answer>)`` and the tool runs
again from its start. The handler makes the LangGraph thread id the session id, so both
invocations are one session::

    /agent               llm    ok           attempt 1   drafts, calls send_email
    /tools/send_email    tool   interrupted  attempt 1   paused on interrupt()
    /tools/send_email    human  ok                       the question and its answer
    /tools/send_email    tool   ok           attempt 2   resumed: the same call, linked
    /agent               llm    ok           attempt 1   confirms

An interrupted call is not a failure. While nobody has answered, the question's record has
no end and the session's status is ``waiting`` (``agenttrace sessions --waiting``, the
dashboard's inbox); the resume completes it with the answer and the time the human took,
even when another process resumes the graph. Use the same handler for the first run and
the resume to link the attempts (by thread id and graph namespace).

Run as a script in a terminal, it asks you; otherwise (and from `run`) the reviewer
approves. Offline by default; set ``AGENTTRACE_EXAMPLE_MODEL=openai:gpt-4o-mini`` and
``OPENAI_API_KEY`` to use a real model (see ``_models.py``).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from typing import Any

from _main import finish
from _models import chat_model, text_of, tool_call
from _react import react_agent
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command, interrupt

from agenttrace.langchain import CallbackHandler

REQUEST = "Email the team that the Lisbon offsite moves to Friday."
PROMPT = "You are an assistant that sends emails with the send_email tool."

Reviewer = Callable[[dict[str, Any]], bool]
"""Shown the pending email; True approves sending it."""


@tool
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email (a human approves it first)."""
    decision = interrupt({"question": "Send this email?", "to": to, "subject": subject})
    if not decision.get("approved"):
        return f"not sent: the reviewer declined ({decision.get('reason', 'no reason')})"
    return f"sent to {to}: {subject}"


def script(messages: list[BaseMessage]) -> str | AIMessage:
    """Offline model: draft the email, then say what happened to it."""
    if messages[-1].type == "tool":
        return f"Done: {text_of(messages[-1])}."
    return tool_call(
        "send_email",
        {"to": "team@example.com", "subject": "Offsite moves to Friday", "body": "See you!"},
    )


def approve(pending: dict[str, Any]) -> bool:
    """The default reviewer: approves everything."""
    return True


def ask_on_terminal(pending: dict[str, Any]) -> bool:
    """A reviewer that asks whoever runs the script."""
    answer = input(
        f"{pending['question']} to={pending['to']} subject={pending['subject']!r} [y/N] "
    )
    return answer.strip().lower() in {"y", "yes"}


def run(reviewer: Reviewer = approve, *, thread_id: str | None = None, echo: bool = False) -> str:
    """Run until the approval, resume with the reviewer's answer; return the session id
    (the thread id)."""
    thread_id = thread_id or f"email-{uuid.uuid4()}"
    agent = react_agent(
        chat_model(script), [send_email], prompt=PROMPT, checkpointer=InMemorySaver()
    )
    handler = CallbackHandler(session_name="human-in-the-loop", properties={"example": "hitl"})
    config: Any = {"callbacks": [handler], "configurable": {"thread_id": thread_id}}

    paused = agent.invoke({"messages": [("user", REQUEST)]}, config)
    (pending,) = paused["__interrupt__"]  # the graph stopped at interrupt(); state is saved
    approved = reviewer(pending.value)
    decision = {"approved": approved, "reason": "approved" if approved else "declined by human"}
    result = agent.invoke(Command(resume=decision), config)
    if echo:
        print(text_of(result["messages"][-1]))
    return thread_id


if __name__ == "__main__":
    finish(
        "human in the loop", [run(ask_on_terminal if sys.stdin.isatty() else approve, echo=True)]
    )
