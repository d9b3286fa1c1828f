"""Two agents in two processes, one session: the session travels as Helicone-* headers.

    agenttrace serve                                  # a collector, in another terminal
    python examples/agents/shared_session_processes.py

The planner agent (this process) has a ``delegate`` tool that starts a worker agent in a
child process. Inside the tool, ``agenttrace.session_headers()`` gives the current session
as ``Helicone-Session-Id`` / ``-Path`` / ``-Name`` / ``-Property-*`` headers, the same
headers you would put on an HTTP request to another service. The child reads them back with
``agenttrace.context_from_headers`` and opens that session, so its records join the
planner's session under the tool's path. Each process tags its records with its ``pid``::

    /agent                                   llm    parent   asks for delegate
    /tools/delegate                          tool   parent   (waits for the child)
    /tools/delegate/agent                    llm    child    asks for run_python
    /tools/delegate/tools/run_python         tool   child
    /tools/delegate/agent                    llm    child    answers
    /agent                                   llm    parent   answers

The child is sent to the same collector (``AGENTTRACE_ENDPOINT``) and flushes before it
exits. Offline by default; set ``AGENTTRACE_EXAMPLE_MODEL=openai:gpt-4o-mini`` and
``OPENAI_API_KEY`` to use a real model (see ``_models.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from _main import finish
from _models import chat_model, text_of, tool_call
from _react import react_agent
from _tools import evaluate
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool

import agenttrace
from agenttrace.langchain import CallbackHandler

TASK = "Work out 545000 + 232000 + 140000 with Python."
HEADERS_VARIABLE = "AGENTTRACE_EXAMPLE_SESSION_HEADERS"
"""How the parent hands its session headers to the child (JSON)."""
CHILD_TIMEOUT_S = 120


# -- the child: a worker agent that runs Python arithmetic --------------------------------


@tool
def run_python(code: str) -> str:
    """Run a Python arithmetic expression, such as 545000 + 232000, and return its value."""
    return evaluate(code)


def worker_script(messages: list[BaseMessage]) -> str | AIMessage:
    """Offline worker: evaluate the expression in the task, then answer."""
    if messages[-1].type == "tool":
        return f"The result is {text_of(messages[-1])}."
    numbers = re.findall(r"\d+", text_of(messages[-1]))
    return tool_call("run_python", {"code": " + ".join(numbers) or "0"})


def child_main(task: str) -> int:
    """The child process: join the parent's session from the headers and run the worker."""
    headers = json.loads(os.environ[HEADERS_VARIABLE])
    parent = agenttrace.context_from_headers(headers)
    if parent is None:
        print(f"{HEADERS_VARIABLE} carries no Helicone-Session-Id", file=sys.stderr)
        return 2
    worker = react_agent(chat_model(worker_script), [run_python])
    with agenttrace.session(
        id=parent.id,
        name=parent.name,
        path=parent.path,
        user_id=parent.user_id,
        properties={**parent.properties, "pid": str(os.getpid()), "process": "worker"},
    ):
        result = worker.invoke(
            {"messages": [("user", task)]}, config={"callbacks": [CallbackHandler()]}
        )
    print(text_of(result["messages"][-1]))
    return 0 if agenttrace.flush(30) else 1


# -- the parent: a planner agent that delegates to the child --------------------------------


@tool
def delegate(task: str) -> str:
    """Hand a computation to the worker agent, which runs in its own process."""
    tracer = agenttrace.get_tracer().settings
    env = {
        **os.environ,
        HEADERS_VARIABLE: json.dumps(agenttrace.session_headers()),
        "AGENTTRACE_ENDPOINT": tracer.endpoint,
        "AGENTTRACE_SPOOL_DIR": str(tracer.spool_dir),
    }
    if tracer.api_key:
        env["AGENTTRACE_API_KEY"] = tracer.api_key
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", task],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if child.returncode != 0:
        msg = f"the worker process failed ({child.returncode}): {child.stderr.strip()[-2000:]}"
        raise RuntimeError(msg)
    return child.stdout.strip()


def planner_script(messages: list[BaseMessage]) -> str | AIMessage:
    """Offline planner: delegate the task, then pass the worker's answer on."""
    if messages[-1].type == "tool":
        return f"The worker says: {text_of(messages[-1])}"
    return tool_call("delegate", {"task": text_of(messages[-1])})


def run(task: str = TASK, *, echo: bool = False) -> str:
    """Run the planner (which starts the worker process) in a new session; return its id."""
    planner = react_agent(chat_model(planner_script), [delegate])
    with agenttrace.session(
        name="shared-session-processes",
        properties={"example": "shared_session_processes", "pid": str(os.getpid()),
                    "process": "planner"},
    ) as session:  # fmt: skip
        result: Any = planner.invoke(
            {"messages": [("user", task)]}, config={"callbacks": [CallbackHandler()]}
        )
    if echo:
        print(text_of(result["messages"][-1]))
    return session.id


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(child_main(" ".join(sys.argv[2:])))
    finish("shared session", [run(echo=True)])
