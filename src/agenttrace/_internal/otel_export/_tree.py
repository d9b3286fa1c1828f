"""Records grouped into traces, and each trace's tree of graph-node spans.

Records arrive when their call ends, children before the nodes that hold them, and nothing
says when a graph node ends. So the exporter keeps a session's records together (a
*trace group*: one session, and in a user's tracer provider one parent span of theirs)
until the session has been quiet for ``idle`` seconds, holds too many records, or a flush
asks; then the group becomes one tree, sent top-down:

```
session root span (the session's name)            path /
└── supervisor   node span                        path /supervisor
    └── chat gpt-4o   the record's span
└── researcher   node span                        path /researcher
    ├── chat ...
    └── tools    node span                        path /researcher/tools
        └── execute_tool search   (adds its name: path /researcher/tools/search)
```

A node span is one path segment; it starts with the first record under it and ends with
the last. A tool record whose path ends with its own name (what the LangChain handler
writes) hangs under its parent's node and adds its name, as OTel GenAI tool spans do; any
other record hangs under the node of its whole path and adds nothing. Records of a session
that go on after its group was sent form a new group (a new root span).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from agenttrace.core.record_rules import RecordKind

if TYPE_CHECKING:
    from agenttrace.records import Record

__all__ = ["GroupKey", "Node", "TraceGroup", "TraceGroups", "build_tree", "nanoseconds"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

GroupKey = tuple[str, int, int]
"""(session id, the trace id and span id of the user's parent span, 0 and 0 without one)."""


def nanoseconds(moment: datetime) -> int:
    """``moment`` as integer nanoseconds since the epoch (exact to the microsecond)."""
    return ((moment - _EPOCH) // _MICROSECOND) * 1000


@dataclass(slots=True)
class Node:
    """One path segment of a trace (the root: segment ``""``, path ``/``)."""

    segment: str
    path: str
    start_ns: int
    end_ns: int
    children: dict[str, Node] = field(default_factory=dict)
    records: list[tuple[Record, str | None]] = field(default_factory=list)
    """Each record hung here, with the segment its span adds (a tool's name) or None."""

    def widen(self, start_ns: int, end_ns: int) -> None:
        """Stretch the node over a record's time."""
        self.start_ns = min(self.start_ns, start_ns)
        self.end_ns = max(self.end_ns, end_ns)


def _segments(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def build_tree(records: list[Record]) -> Node:
    """The tree of ``records`` (one session's), root first; every node spans its records."""
    first = records[0]
    start = nanoseconds(first.start_time)
    root = Node("", "/", start, start)
    for record in records:
        record_start = nanoseconds(record.start_time)
        end_time = record.end_time or record.start_time
        record_end = max(nanoseconds(end_time), record_start)
        segments = _segments(record.session_path)
        own: str | None = None
        if record.kind is RecordKind.TOOL and segments and segments[-1] == record.name:
            own = segments.pop()
        node = root
        node.widen(record_start, record_end)
        for segment in segments:
            child = node.children.get(segment)
            if child is None:
                path = f"{node.path.rstrip('/')}/{segment}"
                child = node.children[segment] = Node(segment, path, record_start, record_end)
            child.widen(record_start, record_end)
            node = child
        node.records.append((record, own))
    return root


@dataclass(slots=True)
class TraceGroup:
    """The records of one session (under one parent span of the user's) not sent yet."""

    key: GroupKey
    parent: Any
    """The user's span (its ``SpanContext``) the tree hangs under, or None."""
    records: list[Record]
    last_seen: float


class TraceGroups:
    """The open groups, by key; used by the exporter's worker thread only."""

    def __init__(self, *, idle: float, max_records: int) -> None:
        self.idle = idle
        self.max_records = max_records
        self._open: dict[GroupKey, TraceGroup] = {}

    def add(self, record: Record, parent: Any, now: float) -> TraceGroup | None:
        """Put ``record`` in its group; the group when it is full (and so closed)."""
        if parent is None:
            key = (record.session_id, 0, 0)
        else:
            key = (record.session_id, parent.trace_id, parent.span_id)
        group = self._open.get(key)
        if group is None:
            group = self._open[key] = TraceGroup(key, parent, [record], now)
        else:
            group.records.append(record)
            group.last_seen = now
        if len(group.records) >= self.max_records:
            del self._open[key]
            return group
        return None

    def take_quiet(self, now: float) -> list[TraceGroup]:
        """Close and return the groups quiet for ``idle`` seconds."""
        quiet = [group for group in self._open.values() if now - group.last_seen >= self.idle]
        for group in quiet:
            del self._open[group.key]
        return quiet

    def take_all(self) -> list[TraceGroup]:
        """Close and return every group (a flush)."""
        groups = list(self._open.values())
        self._open.clear()
        return groups

    def next_due(self) -> float | None:
        """When the next group becomes quiet (monotonic seconds), None if there is none."""
        if not self._open:
            return None
        return min(group.last_seen for group in self._open.values()) + self.idle

    def __len__(self) -> int:
        return sum(len(group.records) for group in self._open.values())
