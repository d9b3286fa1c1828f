"""Span descriptions as OTLP protobuf messages (the ``opentelemetry-proto`` classes).

The SDK's encoder (``encode_spans``) first makes a ``ReadableSpan`` of every span, then its
message. This module makes the same messages (a test compares the serialized requests with
the SDK encoder's) from the `SpanData` of `agenttrace._internal.otel_export._span_data`,
without the ``ReadableSpan`` step, and keeps the ``KeyValue`` message of the string
attributes that repeat in a request (the session's id, paths, kinds, models) to copy it.

Only what the exporter's spans use is set: ids, name, kind, times, attributes (string,
bool, int, float, bytes, sequences and mappings of them, as the SDK's encoder takes), an
``exception`` event, status, and the span flags the SDK sets (the context-has-is-remote
bit, never a remote parent). Text that UTF-8 cannot encode (a lone surrogate) is sent with
the character replaced (U+FFFD, `agenttrace.core.text_repair`), where the SDK's encoder
would leave the attribute out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import (
    ResourceSpans,
    ScopeSpans,
    Span,
    SpanFlags,
    Status,
)

from agenttrace.core.text_repair import repair_data, repair_text

if TYPE_CHECKING:
    from agenttrace._internal.otel_export._span_data import SpanData

__all__ = ["SpanEncoder", "request_body", "resource", "scope", "trace_id_bytes"]

_KIND = (Span.SPAN_KIND_INTERNAL, Span.SPAN_KIND_CLIENT)
_FLAGS = SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
"""Whether the parent is remote is known (it is not), as the SDK sets."""
_INT64 = 1 << 64
_INT64_MAX = (1 << 63) - 1
_REMEMBERED = 200
"""String values up to this length are remembered (longer ones rarely repeat: bodies)."""


def set_value(target: AnyValue, value: Any) -> None:
    """Set the empty ``AnyValue`` ``target`` as the SDK's ``_encode_value`` makes one of
    ``value`` (an int beyond 64 bits keeps its low 64 bits, as two's complement, where the
    SDK's encoder fails)."""
    if value is None:
        target.SetInParent()  # an empty value, sent
    elif isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, int):
        if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
            value %= _INT64
            value = value - _INT64 if value > _INT64_MAX else value
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    elif isinstance(value, bytes):
        target.bytes_value = value
    elif isinstance(value, Sequence):
        target.array_value.SetInParent()
        add = target.array_value.values.add
        for item in value:
            set_value(add(), item)
    elif isinstance(value, Mapping):
        target.kvlist_value.SetInParent()
        add_attributes(target.kvlist_value.values, value)
    else:
        msg = f"Invalid type {type(value)} of value {value}"
        raise TypeError(msg)


def add_attributes(target: Any, pairs: Mapping[Any, Any]) -> None:
    """Add ``KeyValue`` messages of ``pairs`` (keys as ``str``) to the repeated ``target``."""
    add = target.add
    for key, value in pairs.items():
        set_value(add(key=str(key)).value, value)


def _repair(text: str) -> str:
    return repair_text(text, nul=False)


class SpanEncoder:
    """Makes ``Span`` messages; keeps the string attributes seen in this request."""

    def __init__(self) -> None:
        self._texts: dict[str, dict[str, KeyValue]] = {}
        """By key, then value: the attribute (in the span it was first made for)."""

    def forget(self) -> None:
        """Drop the remembered string attributes (after each request)."""
        self._texts.clear()

    def span(self, data: SpanData, trace_id: bytes) -> Span:
        """One ``Span`` message; text UTF-8 cannot encode is replaced (U+FFFD)."""
        try:
            return self._span(data, trace_id)
        except UnicodeEncodeError:
            pass
        event = data.exception
        repaired = replace(
            data,
            name=_repair(data.name),
            attributes=repair_data(data.attributes, nul=False),
            exception=None if event is None else (_repair(event[0]), _repair(event[1])),
        )
        return self._span(repaired, trace_id)

    def _span(self, data: SpanData, trace_id: bytes) -> Span:
        span = Span(
            trace_id=trace_id,
            span_id=data.span_id.to_bytes(8, "big"),
            name=data.name,
            kind=_KIND[data.client],
            start_time_unix_nano=data.start_ns,
            end_time_unix_nano=data.end_ns,
            flags=_FLAGS,
        )
        if data.parent_id is not None:
            span.parent_span_id = data.parent_id.to_bytes(8, "big")
        texts, pairs = self._texts, span.attributes
        add, append = pairs.add, pairs.append
        for key, value in data.attributes.items():
            if type(value) is str and len(value) <= _REMEMBERED:
                known = texts.get(key)
                if known is None:
                    known = texts[key] = {}
                pair = known.get(value)
                if pair is None:
                    pair = add(key=key)
                    pair.value.string_value = value
                    known[value] = pair  # a copy of it goes into later spans
                else:
                    append(pair)
            else:
                set_value(add(key=key).value, value)
        event = data.exception_event()
        if event is not None:
            added = span.events.add(time_unix_nano=data.end_ns, name="exception")
            add_attributes(added.attributes, event)
        if data.failed:
            span.status.code = Status.STATUS_CODE_ERROR
            if data.error_message:
                span.status.message = data.error_message
        else:
            span.status.SetInParent()  # the SDK's encoder sends an empty status
        return span


def resource(pairs: Mapping[str, Any]) -> Resource:
    """A ``Resource`` message of the resource's attributes (text UTF-8 cannot encode, from
    ``OTEL_RESOURCE_ATTRIBUTES``, replaced)."""
    message = Resource()
    add_attributes(message.attributes, repair_data(dict(pairs), nul=False))
    return message


def scope(name: str, version: str | None) -> InstrumentationScope:
    """An ``InstrumentationScope`` message (no attributes)."""
    return InstrumentationScope(name=name, version=version or "")


def trace_id_bytes(trace_id: int) -> bytes:
    """A 128-bit trace id as its 16 bytes, big-endian."""
    return trace_id.to_bytes(16, "big")


def request_body(spans: Iterable[Span], resource: Resource, scope: InstrumentationScope) -> bytes:
    """The serialized ``ExportTraceServiceRequest`` of ``spans`` under one resource and
    one instrumentation scope."""
    scope_spans = ScopeSpans(scope=scope, spans=spans)
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[scope_spans])]
    )
    return request.SerializeToString()
