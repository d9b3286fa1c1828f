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
└── research     node span, Send branch 1         path /research
    └── chat ...
└── research     node span, Send branch 2         path /research
    └── chat ...
```

A node span is one path segment; it starts with the first record under it and ends with
the last. A tool record whose path ends with its own name (what the LangChain handler
writes) hangs under its parent's node and adds its name, as OTel GenAI tool spans do; any
other record hangs under the node of its whole path and adds nothing. Records of a session
that go on after its tree was sent form a new group, whose tree joins the trace sent
(`agenttrace._internal.otel_export._layout`).

Parallel ``Send`` branches: the handler gives every record of a branch the branch's id
(``branch_id``, the LangGraph task id of the node ``Send`` started) and the same path as
its sibling branches. Each branch becomes a node span of its own (carrying
``agenttrace.branch_id``), beside its siblings under their parent node, with the branch's
records (and nodes) under it. A record names its branch but not the depth of the branch's
node, so the branch's node is the deepest segment all of the branch's records share (a
record's own trailing name, such as a tool's or a store's, left out): exact for a
``Send`` to a node that makes calls itself or runs a sub-graph of several nodes; for a
``Send`` to a sub-graph whose calls all sit in one inner node, the branch splits at that
inner node instead. A ``Send`` nested in another branch splits under the outer node, not
under its branch (its records carry only the inner branch's id).

The exporter keeps no `Record` while its session is open: each record becomes an `Entry`
when the worker takes it, what its tree and its span need (its attributes already made, its
bodies as JSON text): strings, numbers and tuples of them, which Python's garbage collector
stops tracking at its first pass, in one object it tracks. Records held for ``otlp_idle``
seconds (ten or more tracked objects each: dicts, lists, sets, usage, bodies) outlived the
young generations and, a few hundred ``invoke`` calls later, set off a collection of the
whole heap (100 ms in a LangGraph process).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from agenttrace._internal.otel_export._attributes import record_attributes, span_name
from agenttrace.core.record_rules import RecordKind, Status

if TYPE_CHECKING:
    from agenttrace.records import Record

__all__ = [
    "Entry",
    "GroupKey",
    "Node",
    "NodeKey",
    "TraceGroup",
    "TraceGroups",
    "branch_anchors",
    "build_tree",
    "nanoseconds",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

GroupKey = tuple[str, int, int]
"""(session id, the trace id and span id of the user's parent span, 0 and 0 without one)."""
NodeKey = tuple[str, str | None]
"""A node span's identity in its session: (its path, the ``Send`` branch it is in or None)."""
Anchor = tuple[str, ...]
"""The segments of a branch's node path."""


def nanoseconds(moment: datetime) -> int:
    """``moment`` as integer nanoseconds since the epoch (exact to the microsecond)."""
    return ((moment - _EPOCH) // _MICROSECOND) * 1000


_LLM = RecordKind.LLM.value


class Entry(NamedTuple):
    """What the export keeps of a record (`Entry.of`): its place in the tree and its span."""

    session_id: str
    session_name: str | None
    path: str
    """The record's session path."""
    kind: str
    """The record's kind (its value)."""
    name: str
    branch_id: str | None
    own: str | None
    """The segment the record's span adds (a tool's name, under its parent's node), or None."""
    start_ns: int
    end_ns: int
    """No earlier than ``start_ns``."""
    span_name: str
    client: bool
    """An LLM call (span kind CLIENT)."""
    attributes: dict[str, Any]
    exception: tuple[str, str] | None
    """(type, message) of the span's ``exception`` event."""
    failed: bool

    @classmethod
    def of(cls, record: Record) -> Entry:
        """The entry of ``record``."""
        start = nanoseconds(record.start_time)
        end_time = record.end_time
        end = start if end_time is None else max(nanoseconds(end_time), start)
        path, kind, name = record.session_path, record.kind, record.name
        segments = _segments(path)
        own = name if kind is RecordKind.TOOL and segments and segments[-1] == name else None
        error = record.error
        return cls(
            record.session_id,
            record.session_name,
            path,
            kind.value,
            name,
            record.branch_id,
            own,
            start,
            end,
            span_name(record),
            kind is RecordKind.LLM,
            record_attributes(record, segment=own),
            (error.type, error.message) if error is not None else None,
            record.status is Status.ERROR,
        )


def entries(records: Sequence[Record | Entry]) -> list[Entry]:
    """``records`` as entries (those that are entries already, kept)."""
    return [item if isinstance(item, Entry) else Entry.of(item) for item in records]


@dataclass(slots=True)
class Node:
    """One path segment of a trace (the root: segment ``""``, path ``/``)."""

    segment: str
    path: str
    branch: str | None
    """The ``Send`` branch the node is in (its own node and the nodes below), or None."""
    start_ns: int
    end_ns: int
    children: dict[str | tuple[str, str], Node] = field(default_factory=dict)
    """By segment; a ``Send`` branch's node by (segment, branch)."""
    records: list[Entry] = field(default_factory=list)
    """Each record hung here."""

    def widen(self, start_ns: int, end_ns: int) -> None:
        """Stretch the node over a record's time."""
        self.start_ns = min(self.start_ns, start_ns)
        self.end_ns = max(self.end_ns, end_ns)

    @property
    def key(self) -> NodeKey:
        """(path, branch): what tells the node's span apart in its session."""
        return (self.path, self.branch)


def _segments(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _common(anchor: Anchor, segments: list[str]) -> Anchor:
    """The longest common prefix of ``anchor`` and ``segments``."""
    size = 0
    for mine, theirs in zip(anchor, segments, strict=False):
        if mine != theirs:
            break
        size += 1
    return anchor if size == len(anchor) else anchor[:size]


def branch_anchors(records: list[Entry], known: Mapping[str, Anchor]) -> dict[str, Anchor]:
    """The node of each ``Send`` branch among ``records``: the deepest path its records share
    (a record's own trailing name left out), and, with ``known`` (what earlier trees of the
    session used), no deeper than before."""
    anchors: dict[str, Anchor] = {}
    for record in records:
        branch = record.branch_id
        if not branch:
            continue
        segments = _segments(record.path)
        if segments and record.kind != _LLM and segments[-1] == record.name:
            segments.pop()  # a tool's or a store's own segment: never the branch's node
        anchor = anchors[branch] if branch in anchors else known.get(branch)
        anchors[branch] = tuple(segments) if anchor is None else _common(anchor, segments)
    return anchors


def build_tree(records: list[Entry], depths: Mapping[str, int]) -> Node:
    """The tree of ``records`` (one session's), root first; every node spans its records.
    ``depths``: how many segments deep each ``Send`` branch's node is (`branch_anchors`)."""
    start = records[0].start_ns
    root = Node("", "/", None, start, start)
    for record in records:
        record_start, record_end = record.start_ns, record.end_ns
        segments = _segments(record.path)
        if record.own is not None:
            segments.pop()
        branch = record.branch_id
        depth = depths.get(branch, 0) if branch else 0
        node = root
        node.widen(record_start, record_end)
        for level, segment in enumerate(segments, 1):
            # a Send branch's own node is told from its siblings by the branch; below it,
            # the parent is the branch's already
            key = segment if level != depth or branch is None else (segment, branch)
            child = node.children.get(key)
            if child is None:
                path = f"{node.path.rstrip('/')}/{segment}"
                in_branch = node.branch if level != depth else branch
                child = Node(segment, path, in_branch, record_start, record_end)
                node.children[key] = child
            else:
                child.widen(record_start, record_end)
            node = child
        node.records.append(record)
    return root


@dataclass(slots=True)
class TraceGroup:
    """The records of one session (under one parent span of the user's) not sent yet."""

    key: GroupKey
    parent: Any
    """The user's span (its ``SpanContext``) the tree hangs under, or None."""
    records: list[Entry]
    last_seen: float


class TraceGroups:
    """The open groups, by key; used by the exporter's worker thread only."""

    def __init__(self, *, idle: float, max_records: int) -> None:
        self.idle = idle
        self.max_records = max_records
        self._open: dict[GroupKey, TraceGroup] = {}

    def add(self, record: Entry, parent: Any, now: float) -> TraceGroup | None:
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
