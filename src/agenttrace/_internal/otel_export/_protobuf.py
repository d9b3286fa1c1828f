"""Span descriptions as serialized OTLP protobuf ``Span`` messages, and their request.

The SDK's encoder (``encode_spans``) first makes a ``ReadableSpan`` of every span, then its
``opentelemetry-proto`` message, then the request's bytes. This module writes the same bytes
(a test compares the posted requests with the SDK encoder's) from the `SpanData` of
`agenttrace._internal.otel_export._span_data` directly: each span's fields in field-number
order, as the protobuf runtime writes them, with no message objects in between. The
attributes that repeat (a session's id, its paths, kinds, names, models: short strings)
are written once and their bytes kept; bools, ints and floats are written here; any other
value (bytes, None, sequences, mappings, a ``str`` subclass) goes through an ``AnyValue``
message (`set_value`). A request is the spans' bytes framed under one resource and one
instrumentation scope (those two made as messages once).

Only what the exporter's spans use is set: ids, name, kind, times, attributes (string,
bool, int, float, bytes, sequences and mappings of them, as the SDK's encoder takes), an
``exception`` event, status, and the span flags the SDK sets (the context-has-is-remote
bit, never a remote parent). Text that UTF-8 cannot encode (a lone surrogate) is sent with
the character replaced (U+FFFD, `agenttrace.core.text_repair`), where the SDK's encoder
would leave the attribute out.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import SpanFlags

from agenttrace.core.text_repair import repair_data, repair_text

if TYPE_CHECKING:
    from agenttrace._internal.otel_export._span_data import SpanData

__all__ = ["SpanEncoder", "request_body", "resource", "scope", "trace_id_bytes"]

_FLAGS = SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
"""Whether the parent is remote is known (it is not), as the SDK sets."""
_INT64 = 1 << 64
_INT64_MAX = (1 << 63) - 1
_REMEMBERED = 200
"""String values up to this length are remembered (longer ones rarely repeat: bodies)."""
_REMEMBERED_COUNT = 5_000
"""Remembered attributes kept across requests, at most (then forgotten at once)."""

# Field tags (field number << 3 | wire type) of the messages written here.
_SPAN_TRACE_ID = b"\x0a\x10"  # 1, bytes (16 of them)
_SPAN_ID = b"\x12\x08"  # 2, bytes (8)
_SPAN_PARENT_ID = b"\x22\x08"  # 4, bytes (8)
_SPAN_NAME = b"\x2a"  # 5, string
_SPAN_KIND = (b"\x30\x01", b"\x30\x03")  # 6, enum: INTERNAL, CLIENT
_SPAN_START = b"\x39"  # 7, fixed64
_SPAN_END = b"\x41"  # 8, fixed64
_SPAN_ATTRIBUTE = b"\x4a"  # 9, KeyValue
_SPAN_EVENT = b"\x5a"  # 11, Event
_SPAN_STATUS = b"\x7a"  # 15, Status
_SPAN_FLAGS = b"\x85\x01" + struct.pack("<I", _FLAGS)  # 16, fixed32
_EMPTY_STATUS = _SPAN_STATUS + b"\x00"  # the SDK's encoder sends an empty status
_ERROR_CODE = b"\x18\x02"  # Status.code (3) = STATUS_CODE_ERROR
_STATUS_MESSAGE = b"\x12"  # Status.message (2)
_EVENT_TIME = b"\x09"  # Event.time_unix_nano (1), fixed64
_EVENT_NAME = b"\x12\x09exception"  # Event.name (2)
_EVENT_ATTRIBUTE = b"\x1a"  # Event.attributes (3)
_KEY = b"\x0a"  # KeyValue.key (1)
_VALUE = b"\x12"  # KeyValue.value (2)
_STRING = b"\x0a"  # AnyValue.string_value (1)
_BOOL = (b"\x10\x00", b"\x10\x01")  # AnyValue.bool_value (2)
_INT = b"\x18"  # AnyValue.int_value (3), varint
_DOUBLE = b"\x21"  # AnyValue.double_value (4), fixed64
_FIRST = b"\x0a"  # field 1 of a request, resource spans and scope spans: a message
_SECOND = b"\x12"  # field 2 of resource spans (scope spans) and scope spans (spans)
_fixed64 = struct.Struct("<Q").pack
_double = struct.Struct("<d").pack


def _varint(value: int) -> bytes:
    """``value`` (0 to 2**64 - 1) as a protobuf varint."""
    if value < 0x80:
        return bytes((value,))
    if value < 0x4000:
        return bytes((value & 0x7F | 0x80, value >> 7))
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _framed(tag: bytes, body: bytes) -> bytes:
    """A length-delimited field: its tag, the length of ``body``, ``body``."""
    return tag + _varint(len(body)) + body


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


def _any_value(value: Any) -> bytes:
    """An ``AnyValue`` message, serialized, as `set_value` makes it; `UnicodeEncodeError`
    for text UTF-8 cannot encode."""
    kind = type(value)
    if kind is str:
        text: bytes = value.encode()
        return _STRING + _varint(len(text)) + text
    if kind is bool:
        return _BOOL[value]
    if kind is int:
        return _INT + _varint(value % _INT64)  # two's complement, as an int64 is sent
    if kind is float:
        return _DOUBLE + _double(value)
    message = AnyValue()
    set_value(message, value)
    return message.SerializeToString()


def _key_field(key: str) -> bytes:
    """The ``key`` field of a ``KeyValue`` message (none for an empty key)."""
    key_bytes = key.encode()
    return _KEY + _varint(len(key_bytes)) + key_bytes if key_bytes else b""


def _attribute(tag: bytes, key_field: bytes, value: Any) -> bytes:
    """The field ``tag`` holding the ``KeyValue`` of ``key_field`` (`_key_field`) and
    ``value``, serialized."""
    any_value = _any_value(value)
    pair = key_field + _VALUE + _varint(len(any_value)) + any_value
    return tag + _varint(len(pair)) + pair


def _repair(text: str) -> str:
    return repair_text(text, nul=False)


class SpanEncoder:
    """Writes serialized ``Span`` messages; keeps the short string attributes it wrote."""

    def __init__(self) -> None:
        self._texts: dict[str, dict[str, bytes]] = {}
        """By key, then value: the attribute field, serialized (tag and length included)."""
        self._count = 0
        self._keys: dict[str, bytes] = {}
        """Each attribute key's field (`_key_field`)."""
        self._head = (b"", b"")
        """The last trace id, and the fields that open each of its spans."""

    def forget(self) -> None:
        """Drop the remembered attributes when there are many (after each request)."""
        if self._count > _REMEMBERED_COUNT:
            self._texts.clear()
            self._keys.clear()
            self._count = 0

    def span(self, data: SpanData, trace_id: bytes) -> bytes:
        """One ``Span`` message, serialized; text UTF-8 cannot encode is replaced (U+FFFD)."""
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

    def _span(self, data: SpanData, trace_id: bytes) -> bytes:
        last, head = self._head
        if last != trace_id:
            head = _SPAN_TRACE_ID + trace_id + _SPAN_ID
            self._head = (trace_id, head)
        parts = [head, data.span_id.to_bytes(8, "big")]
        append = parts.append
        if data.parent_id is not None:
            append(_SPAN_PARENT_ID + data.parent_id.to_bytes(8, "big"))
        if data.name:
            name = data.name.encode()
            append(_SPAN_NAME + _varint(len(name)) + name)
        append(_SPAN_KIND[data.client])
        if data.start_ns:
            append(_SPAN_START + _fixed64(data.start_ns))
        if data.end_ns:
            append(_SPAN_END + _fixed64(data.end_ns))
        self._attributes(data.attributes, append)
        if data.exception is not None:
            append(self._event(data))
        if data.failed:
            message = data.error_message
            status = _framed(_STATUS_MESSAGE, message.encode()) if message else b""
            append(_framed(_SPAN_STATUS, status + _ERROR_CODE))
        else:
            append(_EMPTY_STATUS)
        append(_SPAN_FLAGS)
        return b"".join(parts)

    def _attributes(self, attributes: Mapping[str, Any], append: Callable[[bytes], None]) -> None:
        """Append the attribute fields of a span; a short text's field is kept, to copy."""
        texts, keys = self._texts, self._keys
        for key, value in attributes.items():
            remember = type(value) is str and len(value) <= _REMEMBERED
            if remember:
                known = texts.get(key)
                if known is None:
                    known = texts[key] = {}
                field = known.get(value)
                if field is not None:
                    append(field)
                    continue
            key_field = keys.get(key)
            if key_field is None:
                key_field = keys[key] = _key_field(key)
            field = _attribute(_SPAN_ATTRIBUTE, key_field, value)
            if remember:
                texts[key][value] = field
                self._count += 1
            append(field)

    def _event(self, data: SpanData) -> bytes:
        """The span's ``exception`` event field."""
        fields = [_EVENT_TIME + _fixed64(data.end_ns)] if data.end_ns else []
        fields.append(_EVENT_NAME)
        for key, value in (data.exception_event() or {}).items():
            fields.append(_attribute(_EVENT_ATTRIBUTE, _key_field(key), value))
        return _framed(_SPAN_EVENT, b"".join(fields))


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


def request_body(spans: Iterable[bytes], resource: Resource, scope: InstrumentationScope) -> bytes:
    """The serialized ``ExportTraceServiceRequest`` of ``spans`` (serialized ``Span``
    messages) under one resource and one instrumentation scope: one ``ResourceSpans``
    holding one ``ScopeSpans``, as the protobuf runtime writes the message."""
    parts = [_framed(_FIRST, scope.SerializeToString())]
    append = parts.append
    for span in spans:
        append(_SECOND)
        append(_varint(len(span)))
        append(span)
    scope_spans = b"".join(parts)
    resource_spans = _framed(_FIRST, resource.SerializeToString()) + _framed(_SECOND, scope_spans)
    return _framed(_FIRST, resource_spans)
