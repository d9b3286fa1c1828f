"""The path rules, as pure functions of what a ``*_start`` callback carries.

Measured on langgraph 1.2 / langchain-core 1.x and langgraph 0.2 / langchain-core 0.3:

* A chain run is a graph node iff ``metadata["langgraph_checkpoint_ns"]`` differs from the
  namespace inherited from its parent run; its segment is ``metadata["langgraph_node"]``.
  The namespace has the form ``node:<task_id>|child:<task_id>`` and is stable across
  retries and across interrupt / resume.
* ``__start__`` / ``__end__`` runs, runs tagged ``langsmith:hidden`` and ``ChannelWrite<...>``
  runs are never nodes.
* A tool run adds its tool name; LLM and retriever runs add nothing; every other chain is
  transparent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "NAMESPACE_KEY",
    "NODE_KEY",
    "is_node_run",
    "is_push_task",
    "join_segment",
    "namespace_segments",
    "task_id",
]

NAMESPACE_KEY = "langgraph_checkpoint_ns"
NODE_KEY = "langgraph_node"
TRIGGERS_KEY = "langgraph_triggers"
PUSH = "__pregel_push"
HIDDEN_TAG = "langsmith:hidden"
HIDDEN_NODES = frozenset({"__start__", "__end__"})
MAX_DEPTH = 60
"""Segments beyond this depth are not appended (records allow 64)."""


def is_node_run(
    metadata: Mapping[str, Any],
    namespace: str | None,
    parent_namespace: str | None,
    tags: Sequence[str] | None,
    name: str | None,
) -> bool:
    """Whether a chain run with this metadata is a LangGraph node (adds a path segment)."""
    if namespace is None or namespace == parent_namespace:
        return False
    node = metadata.get(NODE_KEY)
    if not isinstance(node, str) or not node or node in HIDDEN_NODES:
        return False
    if tags and HIDDEN_TAG in tags:
        return False
    return not (name and name.startswith("ChannelWrite"))


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


def join_segment(path: str, segment: str) -> str:
    """``path`` with one more segment; a ``/`` inside the segment becomes ``_``.

    >>> join_segment("/", "agent"), join_segment("/a", "b/c")
    ('/agent', '/a/b_c')
    """
    segment = segment.strip().replace("/", "_")
    if not segment:
        return path
    if path == "/":
        return "/" + segment
    return path + "/" + segment
