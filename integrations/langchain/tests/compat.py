"""What the installed langgraph and langchain-core offer, for tests of newer features.

The integration supports langchain-core >= 0.3.0 with langgraph >= 0.2.23 (the first
release that gives each node inside a subgraph its own checkpoint namespace in the run
metadata, which nested paths are read from). ``python3 dev.py oldest`` runs these tests on
exactly those versions; a test of a feature that came later (``interrupt()`` and
``Command``, handoffs with ``Command.PARENT``, the functional API, ``InjectedToolCallId``)
is marked with `requires` and skipped there. Names a release lacks are None here.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest


def _find(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


Send: Any = _find("langgraph.types", "Send") or _find("langgraph.constants", "Send")
RetryPolicy: Any = _find("langgraph.types", "RetryPolicy") or _find(
    "langgraph.pregel.types", "RetryPolicy"
)
Interrupt: Any = _find("langgraph.types", "Interrupt") or _find(
    "langgraph.pregel.types", "Interrupt"
)
Command: Any = _find("langgraph.types", "Command")
interrupt: Any = _find("langgraph.types", "interrupt")
ParentCommand: Any = _find("langgraph.errors", "ParentCommand")
entrypoint: Any = _find("langgraph.func", "entrypoint")
task: Any = _find("langgraph.func", "task")
InjectedToolCallId: Any = _find("langchain_core.tools", "InjectedToolCallId")


def requires(*features: Any) -> pytest.MarkDecorator:
    """Skip unless every one of ``features`` (names from this module) is installed."""
    missing = any(feature is None for feature in features)
    return pytest.mark.skipif(
        missing,
        reason="a langgraph / langchain-core feature newer than the installed release "
        "(the oldest-versions run)",
    )
