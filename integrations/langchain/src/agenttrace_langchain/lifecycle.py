"""LangGraph's graph lifecycle callbacks (``langgraph.callbacks``, langgraph 1.x), where
installed: `GraphBase` is its ``GraphCallbackHandler`` (whose subclasses receive
``on_interrupt`` and ``on_resume``), else LangChain's plain base handler.

The questions of ``interrupt()`` calls come from the node that raised them (every
version); these events add what no node raises: a static breakpoint
(``interrupt_before`` / ``interrupt_after``), asked when the graph pauses there and
answered when a run resumes from that checkpoint (``on_resume`` names it, in whichever
process resumes), and a safety net for an interrupt no node reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import BaseCallbackHandler

__all__ = ["HAS_LIFECYCLE", "NO_ID", "GraphBase", "breakpoint_id", "event_interrupts"]

if TYPE_CHECKING:
    GraphBase = BaseCallbackHandler
else:
    try:
        from langgraph.callbacks import GraphCallbackHandler as GraphBase
    except ImportError:  # langgraph before 1.x, or not installed
        GraphBase = BaseCallbackHandler

NO_ID = "placeholder-id"
"""The id langgraph 1.x gives an ``Interrupt`` made without one (a ``NodeInterrupt``)."""
HAS_LIFECYCLE = GraphBase is not BaseCallbackHandler
"""Whether the installed langgraph sends ``on_interrupt`` / ``on_resume``."""


def breakpoint_id(checkpoint_id: str) -> str:
    """The interrupt id of a static breakpoint: the checkpoint the graph paused at (which
    the resume's event names as the one it resumed from)."""
    return f"breakpoint:{checkpoint_id}"


def event_interrupts(event: Any) -> list[tuple[str, Any, str]]:
    """``(interrupt id, value, id)`` of a ``GraphInterruptEvent``'s interrupts, or of one
    breakpoint when it has none (a pause at ``interrupt_before`` / ``interrupt_after``)."""
    interrupts = getattr(event, "interrupts", ()) or ()
    found = [
        (item.id, item.value, item.id)
        for item in interrupts
        if isinstance(getattr(item, "id", None), str) and item.id and item.id != NO_ID
    ]
    if found or interrupts:
        return found
    checkpoint_id = getattr(event, "checkpoint_id", None)
    if not isinstance(checkpoint_id, str) or not checkpoint_id:
        return []
    asked = breakpoint_id(checkpoint_id)
    return [(asked, {"breakpoint": getattr(event, "status", None)}, asked)]
