"""The LangGraph node rule: which chain run is a node, the segment it adds, its task id."""

from __future__ import annotations

from typing import Any

import pytest

from agenttrace.core.langgraph_paths import (
    checkpoint_namespace,
    is_push_task,
    namespace_segments,
    node_segment,
    task_id,
)

AGENT = {"langgraph_node": "agent"}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ((AGENT, "agent:1", None, [], "agent"), "agent"),
        ((AGENT, "agent:1", "agent:1", [], "call_model"), None),
        ((AGENT, None, None, [], "agent"), None),
        (({"langgraph_node": "__start__"}, "__start__:1", None, [], "__start__"), None),
        (({"langgraph_node": "__end__"}, "__end__:1", None, [], "__end__"), None),
        ((AGENT, "agent:1", None, ["langsmith:hidden"], "agent"), None),
        ((AGENT, "agent:1", None, [], "ChannelWrite<agent>"), None),
        (({}, "agent:1", None, [], "agent"), None),
        (({"langgraph_node": ""}, "x:1", None, [], "x"), None),
    ],
)
def test_node_segment(case: tuple[Any, ...], expected: str | None) -> None:
    """A chain is a node only when its namespace changes and it is not a hidden helper;
    its segment is its langgraph_node."""
    metadata, namespace, parent_namespace, tags, name = case
    assert node_segment(metadata, namespace, parent_namespace, tags, name) == expected


def test_checkpoint_namespace_is_read_only_when_it_is_text() -> None:
    """The namespace comes from langgraph_checkpoint_ns; anything else is no namespace."""
    assert checkpoint_namespace({"langgraph_checkpoint_ns": "agent:1"}) == "agent:1"
    assert checkpoint_namespace({"langgraph_checkpoint_ns": 3}) is None
    assert checkpoint_namespace({"checkpoint_ns": "stale:1"}) is None


def test_namespace_helpers() -> None:
    """Namespaces split into node names and task ids; push tasks are told apart."""
    assert namespace_segments("researcher:1|tools:2") == ["researcher", "tools"]
    assert namespace_segments("__start__:9|agent:3") == ["agent"]
    assert task_id("researcher:1|tools:abc-2") == "abc-2"
    assert is_push_task({"langgraph_triggers": ("__pregel_push",)})
    assert is_push_task({"langgraph_triggers": ["__pregel_push"]})
    assert is_push_task({"langgraph_triggers": "__pregel_push"})
    assert not is_push_task({"langgraph_triggers": ("branch:to:agent",)})
    assert not is_push_task({})
