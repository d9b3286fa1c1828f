"""One trace group as span descriptions (plain data, no OpenTelemetry objects yet).

`group_spans` walks the group's tree (`agenttrace._internal.otel_export._tree`) in
pre-order, parents before children, giving every span a random 64-bit id and its parent's;
the sink then makes real spans of them (`agenttrace._internal.otel_export._sink`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agenttrace._internal.otel_export._attributes import (
    PATH,
    SEGMENT,
    record_attributes,
    session_attributes,
    span_name,
)
from agenttrace._internal.otel_export._tree import Node, build_tree, nanoseconds
from agenttrace.core.record_rules import RecordKind, Status

if TYPE_CHECKING:
    from agenttrace.records import Record

__all__ = ["SpanData", "group_spans"]


@dataclass(frozen=True, slots=True)
class SpanData:
    """A span to make: ids are 64-bit integers, times nanoseconds since the epoch."""

    span_id: int
    parent_id: int | None
    """None: the group's root (under the user's span, when there is one)."""
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


def _new_id() -> int:
    return random.getrandbits(64) or 1


def group_spans(records: list[Record]) -> list[SpanData]:
    """The spans of one session's records: its root, node and record spans, pre-order."""
    first = records[0]
    walker = _Walker(session_attributes(first.session_id, first.session_name), first.session_name)
    walker.node(build_tree(records), None)
    return walker.spans


class _Walker:
    def __init__(self, session: dict[str, Any], session_name: str | None) -> None:
        self.session = session
        self.session_name = session_name
        self.spans: list[SpanData] = []

    def node(self, node: Node, parent: int | None) -> None:
        attributes: dict[str, Any] = {**self.session, PATH: node.path}
        if node.segment:
            attributes[SEGMENT] = node.segment
        name = node.segment or self.session_name or "session"
        span_id = _new_id()
        self.spans.append(
            SpanData(span_id, parent, name, False, node.start_ns, node.end_ns, attributes)
        )
        for record, own in node.records:
            self.record(record, own, span_id)
        for child in node.children.values():
            self.node(child, span_id)

    def record(self, record: Record, own: str | None, parent: int) -> None:
        start = nanoseconds(record.start_time)
        end = max(nanoseconds(record.end_time or record.start_time), start)
        error = record.error
        self.spans.append(
            SpanData(
                _new_id(),
                parent,
                span_name(record),
                record.kind is RecordKind.LLM,
                start,
                end,
                record_attributes(record, segment=own),
                (error.type, error.message) if error is not None else None,
                record.status is Status.ERROR,
            )
        )
