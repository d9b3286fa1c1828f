"""Exception -> status and error: one rule for every producer, langgraph never imported.

LangGraph's classes are recognised by name along the MRO, so the classes below are built
with LangGraph's names and bases (1.x, and 0.2.23 where ``GraphInterrupt`` had no
``GraphBubbleUp`` base); the integration's tests run the same rule on the real classes of
every supported langgraph.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from agenttrace.core.outcome import error_info, exception_status, status_of_type_name, type_name
from agenttrace.records import ErrorInfo, Status


class GraphBubbleUp(Exception):  # noqa: N818 - LangGraph's name
    """langgraph.errors.GraphBubbleUp (1.x)."""


class GraphInterrupt(GraphBubbleUp):
    """langgraph.errors.GraphInterrupt (1.x)."""


class NodeInterrupt(GraphInterrupt):
    """langgraph.errors.NodeInterrupt."""


class ParentCommand(GraphBubbleUp):
    """langgraph.errors.ParentCommand (a handoff)."""


class GraphDrained(GraphBubbleUp):
    """langgraph.errors.GraphDrained (1.2)."""


OldGraphInterrupt = type("GraphInterrupt", (Exception,), {"__module__": "langgraph.errors"})
"""langgraph 0.2.23's GraphInterrupt: no GraphBubbleUp base."""


class Interrupt:
    """What a GraphInterrupt carries: the value a node asked for."""

    def __init__(self, value: Any) -> None:
        self.value = value


@pytest.mark.parametrize(
    ("make_error", "status"),
    [
        (lambda: ValueError("x"), Status.ERROR),
        (lambda: RuntimeError("backend down"), Status.ERROR),
        (lambda: GraphInterrupt(()), Status.INTERRUPTED),
        (lambda: NodeInterrupt("stop"), Status.INTERRUPTED),
        (GraphDrained, Status.INTERRUPTED),
        (lambda: OldGraphInterrupt(()), Status.INTERRUPTED),
        (lambda: ParentCommand("goto writer"), Status.HANDOFF),
        (asyncio.CancelledError, Status.CANCELLED),
        (KeyboardInterrupt, Status.CANCELLED),
        (GeneratorExit, Status.CANCELLED),
        (lambda: SystemExit(3), Status.CANCELLED),
    ],
)
def test_exception_status(make_error: Callable[[], BaseException], status: Status) -> None:
    """Control flow is interrupted or handoff, a stopped call is cancelled, the rest error."""
    assert exception_status(make_error()) is status


@pytest.mark.parametrize(
    "make_error",
    [
        lambda: ValueError("x"),
        lambda: GraphInterrupt(()),
        lambda: NodeInterrupt("stop"),
        GraphDrained,
        lambda: OldGraphInterrupt(()),
        lambda: ParentCommand("goto writer"),
        asyncio.CancelledError,
        KeyboardInterrupt,
    ],
)
def test_status_of_type_name_agrees_with_exception_status(
    make_error: Callable[[], BaseException],
) -> None:
    """A type known only by its (qualified or bare) name gets the status its class gets."""
    exc = make_error()
    qualified = f"langgraph.errors.{type(exc).__qualname__}"
    for name in (type_name(exc), type(exc).__qualname__, qualified):
        assert status_of_type_name(name) is exception_status(exc), name


def test_type_names_are_short_for_builtins_and_qualified_otherwise() -> None:
    """ValueError stays ValueError; other classes carry their module."""
    assert type_name(ValueError()) == "ValueError"
    assert type_name(OldGraphInterrupt()) == "langgraph.errors.GraphInterrupt"
    assert type_name(GraphInterrupt()) == f"{__name__}.GraphInterrupt"


def test_error_info_of_an_interrupt_is_the_values_it_asked_for() -> None:
    """An interrupt's message is its values, old and new langgraph alike; else str(exc)."""
    asked = (Interrupt("approve?"), Interrupt("amount?"))
    assert error_info(GraphInterrupt(asked)).message == "approve?; amount?"
    assert error_info(OldGraphInterrupt(asked)).message == "approve?; amount?"
    assert error_info(GraphInterrupt(())).message == "()"
    assert error_info(ValueError("bad")) == ErrorInfo(type="ValueError", message="bad")


def test_error_info_survives_a_broken_str_and_bounds_its_fields() -> None:
    """A failing __str__ falls back to the type; long messages are cut to the record's limit."""

    class BrokenError(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert "BrokenError" in error_info(BrokenError()).message
    assert len(error_info(ValueError("x" * 200_000)).message) == 100_000
    assert error_info("plain text") == ErrorInfo(type="Error", message="plain text")
