"""One trace group as span descriptions (plain data, no OpenTelemetry objects yet).

`group_spans` walks the group's tree (`agenttrace._internal.otel_export._tree`) in
pre-order, parents before children, giving every span a 64-bit id and its parent's; the
sink then makes real spans of them (`agenttrace._internal.otel_export._sink`). Record spans
get random ids. Node spans, with the session's layout (the OTLP export), get the ids
derived from the session, and those sent with an earlier tree are left out (their
children still name them: `agenttrace._internal.otel_export._layout`); without a layout
(a user's tracer provider), random ids and every node.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenttrace._internal.otel_export._attributes import BRANCH, PATH, SEGMENT, session_attributes
from agenttrace._internal.otel_export._tree import (
    Anchor,
    Entry,
    Node,
    NodeKey,
    branch_anchors,
    build_tree,
    entries,
)

if TYPE_CHECKING:
    from agenttrace._internal.otel_export._layout import SessionLayout
    from agenttrace.records import Record

__all__ = ["GroupSpans", "SpanData", "group_spans"]


@dataclass(frozen=True, slots=True)
class SpanData:
    """A span to make: ids are 64-bit integers, times nanoseconds since the epoch."""

    span_id: int
    parent_id: int | None
    """None: the group's root (under the user's span, when there is one). May name a node
    span sent with an earlier tree of the session."""
    name: str
    client: bool
    """An LLM call (span kind CLIENT); INTERNAL otherwise."""
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    exception: tuple[str, str] | None = None
    """(type, message) of the ``exception`` event, at the end."""
    failed: bool = False
    """Span status ERROR (an interrupt or a handoff has its event, but is not a failure)."""

    def exception_event(self) -> dict[str, str] | None:
        """The attributes of the ``exception`` event, None without one."""
        if self.exception is None:
            return None
        return {"exception.type": self.exception[0], "exception.message": self.exception[1]}

    @property
    def error_message(self) -> str | None:
        """The status description of a failed span."""
        return self.exception[1] if self.exception is not None else None


@dataclass(slots=True)
class GroupSpans:
    """The spans of one trace group, and what to remember of them once delivered."""

    trace_id: int | None
    """The session's trace (the OTLP export); None: the sink decides."""
    spans: list[SpanData] = field(default_factory=list)
    nodes: list[NodeKey] = field(default_factory=list)
    """The node spans among ``spans`` (each sent for the first time)."""
    anchors: dict[str, Anchor] = field(default_factory=dict)
    """The node of each ``Send`` branch in this tree."""


def _new_id() -> int:
    return random.getrandbits(64) or 1


def group_spans(
    records: Sequence[Record | Entry], layout: SessionLayout | None = None
) -> GroupSpans:
    """The spans of one session's records (or their entries: `Entry`): its root, node and
    record spans, pre-order. With ``layout`` (the session's): the ids derived from it, and
    no node span it has sent before."""
    records = entries(records)
    first = records[0]
    anchors = branch_anchors(records, layout.anchors if layout is not None else {})
    made = GroupSpans(layout.trace_id if layout is not None else None, anchors=anchors)
    session = session_attributes(first.session_id, first.session_name)
    walker = _Walker(session, first.session_name, layout, made)
    tree = build_tree(records, {branch: len(anchor) for branch, anchor in anchors.items()})
    walker.node(tree, None, None)
    return made


class _Walker:
    def __init__(
        self,
        session: dict[str, Any],
        session_name: str | None,
        layout: SessionLayout | None,
        made: GroupSpans,
    ) -> None:
        self.session = session
        self.session_name = session_name
        self.layout = layout
        self.made = made
        self.spans = made.spans

    def node(self, node: Node, parent: int | None, parent_branch: str | None) -> None:
        key = node.key
        if self.layout is None:
            span_id, new = _new_id(), True
        else:
            span_id, new = self.layout.span_id(key), key not in self.layout.sent
        if new:
            attributes: dict[str, Any] = {**self.session, PATH: node.path}
            if node.segment:
                attributes[SEGMENT] = node.segment
            if node.branch is not None and node.branch != parent_branch:
                attributes[BRANCH] = node.branch
            name = node.segment or self.session_name or "session"
            self.spans.append(
                SpanData(span_id, parent, name, False, node.start_ns, node.end_ns, attributes)
            )
            self.made.nodes.append(key)
        append = self.spans.append
        for entry in node.records:
            append(
                SpanData(
                    _new_id(),
                    span_id,
                    entry.span_name,
                    entry.client,
                    entry.start_ns,
                    entry.end_ns,
                    entry.attributes,
                    entry.exception,
                    entry.failed,
                )
            )
        for child in node.children.values():
            self.node(child, span_id, node.branch)
