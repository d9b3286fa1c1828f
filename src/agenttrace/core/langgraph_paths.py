"""The LangGraph node rule: which chain run is a graph node, and the path segment it adds.

Pure functions of LangGraph's run metadata, so that every producer that sees it (the
LangChain handler's ``*_start`` callbacks; OpenTelemetry spans carrying
``langgraph_node`` / ``langgraph_checkpoint_ns``) derives the same paths. Measured on
langgraph 1.2 / langchain-core 1.x and langgraph 0.2 / langchain-core 0.3:

* A chain run is a graph node iff ``metadata["langgraph_checkpoint_ns"]`` differs from the
  namespace inherited from its parent run; its segment is ``metadata["langgraph_node"]``.
  The namespace has the form ``node:<task_id>|child:<task_id>`` and is stable across
  retries and across interrupt / resume.
* ``__start__`` / ``__end__`` runs, runs tagged ``langsmith:hidden`` and ``ChannelWrite<...>``
  runs are never nodes.
* A tool run adds its tool name; LLM and retriever runs add nothing; every other chain is
  transparent (segments are appended with `agenttrace.core.sessions.child_path`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "NAMESPACE_KEY",
    "NODE_KEY",
    "checkpoint_namespace",
    "is_push_task",
    "namespace_segments",
    "node_segment",
    "task_id",
]

NAMESPACE_KEY = "langgraph_checkpoint_ns"
NODE_KEY = "langgraph_node"
TRIGGERS_KEY = "langgraph_triggers"
PUSH = "__pregel_push"
HIDDEN_TAG = "langsmith:hidden"
HIDDEN_NODES = frozenset({"__start__", "__end__"})


def checkpoint_namespace(metadata: Mapping[str, Any]) -> str | None:
    """The run's ``langgraph_checkpoint_ns``, or None outside LangGraph."""
    namespace = metadata.get(NAMESPACE_KEY)
    return namespace if isinstance(namespace, str) else None


def node_segment(
    metadata: Mapping[str, Any],
    namespace: str | None,
    parent_namespace: str | None,
    tags: Sequence[str] | None,
    name: str | None,
) -> str | None:
    """The segment a chain run adds when it is a LangGraph node (its ``langgraph_node``),
    else None. ``namespace`` is its `checkpoint_namespace`, ``parent_namespace`` the one
    it inherits from its parent run; ``tags`` and ``name`` are the run's."""
    if namespace is None or namespace == parent_namespace:
        return None
    node = metadata.get(NODE_KEY)
    if not isinstance(node, str) or not node or node in HIDDEN_NODES:
        return None
    if tags and HIDDEN_TAG in tags:
        return None
    if name and name.startswith("ChannelWrite"):
        return None
    return node


def is_push_task(metadata: Mapping[str, Any]) -> bool:
    """Whether the node was started by ``Send`` or a functional-API ``@task`` call.

    Those run in parallel on the same path; their task id tells them apart.
    """
    triggers = metadata.get(TRIGGERS_KEY)
    if type(triggers) is tuple or type(triggers) is list:  # the usual case, checked fast
        return PUSH in triggers
    if isinstance(triggers, str):
        return triggers == PUSH
    return isinstance(triggers, Sequence) and PUSH in triggers


def task_id(namespace: str) -> str:
    """The task id of the innermost namespace part (``a:1|b:2`` gives ``2``)."""
    last = namespace.rpartition("|")[2]
    return last.partition(":")[2] or last


def namespace_segments(namespace: str) -> list[str]:
    """Node names along a namespace, for a handler attached below the graph root.

    >>> namespace_segments("researcher:1|tools:2")
    ['researcher', 'tools']
    """
    segments = []
    for part in namespace.split("|"):
        node = part.partition(":")[0]
        if node and node not in HIDDEN_NODES and not node.isdigit():
            segments.append(node)
    return segments
