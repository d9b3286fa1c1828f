"""How a tool run that returned (did not raise) ended: its in-band outcome.

Exceptions are classified by agenttrace's one rule for every producer
(`agenttrace.instrumentation.exception_status` and ``error_info``: LangGraph interrupts
and handoffs are control flow, cancellation is ``cancelled``). What is LangChain's own is
that a tool can report a failure or a handoff in what it returns.
"""

from __future__ import annotations

from typing import Any

from agenttrace.instrumentation import ErrorInfo, Status

__all__ = ["tool_output_outcome"]

_MAX_MESSAGE = 100_000
_PARENT_GRAPH = "__parent__"


def tool_output_outcome(output: Any) -> tuple[Status, ErrorInfo | None]:
    """Status of a tool that returned ``output`` without raising.

    A ``ToolMessage`` with ``status="error"`` (a tool or ``ToolNode`` reporting a failure
    in-band) is an error; a ``Command(graph=Command.PARENT)`` is a handoff (the command,
    with its ``goto``, is the record's response).
    """
    if getattr(output, "status", None) == "error" and getattr(output, "type", None) == "tool":
        content = getattr(output, "content", "")
        message = content if isinstance(content, str) else str(content)
        return Status.ERROR, ErrorInfo(type="ToolMessageError", message=message[:_MAX_MESSAGE])
    if type(output).__name__ == "Command" and getattr(output, "graph", None) == _PARENT_GRAPH:
        return Status.HANDOFF, None
    return Status.OK, None
