"""How a run ended: exception or tool output to `Status` and `ErrorInfo`.

LangGraph control flow is not failure:

* ``GraphInterrupt`` (and its ``NodeInterrupt``) -> ``interrupted`` (waiting for a human);
* ``ParentCommand`` -> ``handoff`` (control handed to another agent);
* any other ``GraphBubbleUp`` (``GraphDrained``, future ones) -> ``interrupted``;
* ``asyncio.CancelledError``, ``GeneratorExit`` (the caller stopped reading a stream) and
  ``KeyboardInterrupt`` -> ``cancelled``;
* everything else -> ``error``.

Classes are recognised by name along the MRO, so langgraph is never imported here and
older or newer langgraph versions work alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from agenttrace.records import ErrorInfo, Status

__all__ = ["error_info", "exception_status", "tool_output_outcome", "type_name"]

_MAX_MESSAGE = 100_000
_PARENT_GRAPH = "__parent__"


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def exception_status(exc: BaseException) -> Status:
    """The status of a run that ended with ``exc``."""
    if isinstance(exc, asyncio.CancelledError | GeneratorExit | KeyboardInterrupt):
        return Status.CANCELLED
    names = _class_names(exc)
    # older langgraph (0.2.23 still) raises GraphInterrupt without the GraphBubbleUp base
    if "GraphBubbleUp" not in names and "GraphInterrupt" not in names:
        return Status.ERROR
    if "ParentCommand" in names:
        return Status.HANDOFF
    return Status.INTERRUPTED


def type_name(exc: BaseException) -> str:
    """``ValueError`` for builtins, ``module.Class`` for everything else."""
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _interrupt_values(exc: BaseException) -> str | None:
    interrupts = exc.args[0] if exc.args else None
    if not isinstance(interrupts, Sequence) or isinstance(interrupts, str) or not interrupts:
        return None
    values = [getattr(item, "value", None) for item in interrupts]
    if any(value is None for value in values):
        return None
    return "; ".join(str(value) for value in values)


def error_info(exc: BaseException, status: Status | None = None) -> ErrorInfo:
    """What ``exc`` was, for the record (interrupts show the values they asked for)."""
    message: str | None = None
    if (status or exception_status(exc)) is Status.INTERRUPTED:
        message = _interrupt_values(exc)
    if message is None:
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001 - a broken __str__ must not hide the failure
            message = repr(type(exc))
    return ErrorInfo(type=type_name(exc)[:500], message=message[:_MAX_MESSAGE])


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
