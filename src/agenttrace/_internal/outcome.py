"""How a traced call ended: an exception to a `Status` and an `ErrorInfo`.

The same rules as the LangChain handler's, so that both kinds of record agree:

* ``asyncio.CancelledError``, ``KeyboardInterrupt`` and other ``BaseException`` that are not
  ``Exception`` (``GeneratorExit``, ``SystemExit``) -> ``cancelled``;
* LangGraph's ``ParentCommand`` -> ``handoff``; any other ``GraphBubbleUp``
  (``GraphInterrupt``) -> ``interrupted``: control flow, not failure. Classes are
  recognised by name along the MRO, so langgraph is never imported;
* every other exception -> ``error``.
"""

from __future__ import annotations

from agenttrace.records import ErrorInfo, Status

__all__ = ["error_info", "exception_status", "type_name"]

_MAX_TYPE = 500
_MAX_MESSAGE = 100_000


def exception_status(exc: BaseException) -> Status:
    """The status of a call that ended by raising ``exc``."""
    if not isinstance(exc, Exception):
        return Status.CANCELLED  # asyncio.CancelledError, KeyboardInterrupt, SystemExit
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "GraphBubbleUp" not in names:
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


def error_info(exc: BaseException | str) -> ErrorInfo:
    """The record's ``error`` for ``exc`` (a string is taken as the message of an ``Error``)."""
    if isinstance(exc, str):
        return ErrorInfo(type="Error", message=exc[:_MAX_MESSAGE])
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the failure
        message = repr(type(exc))
    return ErrorInfo(type=type_name(exc)[:_MAX_TYPE], message=message[:_MAX_MESSAGE])
