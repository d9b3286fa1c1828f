"""How a traced call ended: an exception to a `Status` and an `ErrorInfo`.

One rule for every producer (the ManualLogger, the LangChain handler, future ones):

* a ``BaseException`` that is not an ``Exception`` -> ``cancelled``: the call was stopped,
  it did not fail (``asyncio.CancelledError``, ``KeyboardInterrupt``, ``GeneratorExit``
  when the caller stops reading a stream, ``SystemExit``);
* LangGraph's ``ParentCommand`` -> ``handoff`` (control handed to another agent);
* any other ``GraphBubbleUp`` (``GraphInterrupt``, its ``NodeInterrupt``, ``GraphDrained``)
  -> ``interrupted``, and so is a ``GraphInterrupt`` of older langgraph (0.2.23 still),
  which has no ``GraphBubbleUp`` base: control flow, not failure;
* every other exception -> ``error``.

Classes are recognised by name along the MRO, so langgraph is never imported and older or
newer langgraph versions work alike. An interrupt's `ErrorInfo` message is the values it
asked for (``"approve?"``), not the repr of its ``Interrupt`` objects.
"""

from __future__ import annotations

from collections.abc import Sequence

from agenttrace.records import ErrorInfo, Status

__all__ = ["error_info", "exception_status", "status_of_type_name", "type_name"]

_MAX_TYPE = 500
_MAX_MESSAGE = 100_000
_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt"})
"""Class names that make an exception LangGraph control flow."""


def exception_status(exc: BaseException) -> Status:
    """The status of a call that ended by raising ``exc``."""
    if not isinstance(exc, Exception):
        return Status.CANCELLED
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names.isdisjoint(_CONTROL_FLOW):
        return Status.ERROR
    if "ParentCommand" in names:
        return Status.HANDOFF
    return Status.INTERRUPTED


_CANCELLED_NAMES = frozenset({"CancelledError", "KeyboardInterrupt", "GeneratorExit", "SystemExit"})
_INTERRUPT_NAMES = frozenset({"GraphBubbleUp", "GraphInterrupt", "NodeInterrupt", "GraphDrained"})
"""The control-flow classes known by name, for producers that see only a type's name."""


def status_of_type_name(name: str) -> Status:
    """The status of a call that ended by raising an exception known only by its type name
    (``langgraph.errors.GraphInterrupt``, ``GraphInterrupt``, ``ValueError``), as
    OpenTelemetry spans report it: the rule of `exception_status`, applied to the class's
    own name since its bases are not known (the control-flow subclasses LangGraph defines
    are named here)."""
    leaf = name.rpartition(".")[2].strip()
    if leaf == "ParentCommand":
        return Status.HANDOFF
    if leaf in _INTERRUPT_NAMES:
        return Status.INTERRUPTED
    if leaf in _CANCELLED_NAMES:
        return Status.CANCELLED
    return Status.ERROR


def type_name(exc: BaseException) -> str:
    """``ValueError`` for builtins, ``module.Class`` for everything else."""
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _interrupt_values(exc: BaseException) -> str | None:
    """``"a; b"`` for a ``GraphInterrupt`` carrying ``Interrupt`` objects, else None."""
    interrupts = exc.args[0] if exc.args else None
    if not isinstance(interrupts, Sequence) or isinstance(interrupts, str) or not interrupts:
        return None
    values = [getattr(item, "value", None) for item in interrupts]
    if any(value is None for value in values):
        return None
    return "; ".join(str(value) for value in values)


def error_info(exc: BaseException | str, status: Status | None = None) -> ErrorInfo:
    """The record's ``error`` for ``exc``; ``status`` is its `exception_status` when the
    caller has it already. A string is taken as the message of an ``Error``."""
    if isinstance(exc, str):
        return ErrorInfo(type="Error", message=exc[:_MAX_MESSAGE])
    message: str | None = None
    if (status or exception_status(exc)) is Status.INTERRUPTED:
        message = _interrupt_values(exc)
    if message is None:
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001 - a broken __str__ must not hide the failure
            message = repr(type(exc))
    return ErrorInfo(type=type_name(exc)[:_MAX_TYPE], message=message[:_MAX_MESSAGE])
