"""`agenttrace.current_session()` inside a traced node or tool.

LangChain keeps the config for the children of the running node or tool in the
``var_child_runnable_config`` context variable (set in the node's thread, in ToolNode's
worker threads and in asyncio tasks alike). Its callback manager's ``parent_run_id`` is the
run being executed; when one of our handlers is among the manager's handlers, that run's
session, path and record id are the current session. A ``ManualLogger.log_request`` inside
the ``search`` tool of the ``researcher`` sub-agent thus logs to ``/researcher/tools/search``
with the tool's record as its parent.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from langchain_core.runnables.config import var_child_runnable_config

from agenttrace.instrumentation import SessionContext, register_context_provider

if TYPE_CHECKING:
    from uuid import UUID

    from agenttrace_langchain.core import TraceCore
    from agenttrace_langchain.run_state import RunState

__all__ = ["CORE_ATTRIBUTE", "ensure_registered", "run_context", "running_run"]

CORE_ATTRIBUTE = "_agenttrace_core"
"""The attribute under which both handler classes keep their `TraceCore`."""

_registered = False
_register_lock = threading.Lock()


def _core_of(handler: Any) -> TraceCore | None:
    return getattr(handler, CORE_ATTRIBUTE, None)


def running_run() -> tuple[UUID, RunState] | None:
    """The id of the traced run whose code is executing now (in any of our handlers) and
    its state (for a pass-through chain, its parent's), or None."""
    config = var_child_runnable_config.get()
    if not config:
        return None
    manager = config.get("callbacks")
    run_id = getattr(manager, "parent_run_id", None)
    if run_id is None:
        return None
    handler_lists = (
        getattr(manager, "handlers", None),
        getattr(manager, "inheritable_handlers", None),
    )
    for handlers in handler_lists:
        for handler in handlers or ():
            core = _core_of(handler)
            if core is not None:
                state = core.store.get(run_id)
                if state is not None:
                    return run_id, state
    return None


def run_context() -> SessionContext | None:
    """The session of the traced run whose code is executing now, or None."""
    running = running_run()
    return None if running is None else running[1].session_context()


def ensure_registered() -> None:
    """Register `run_context` with agenttrace once per process."""
    global _registered  # noqa: PLW0603 - one registration per process
    if _registered:
        return
    with _register_lock:
        if not _registered:
            register_context_provider(run_context)
            _registered = True
