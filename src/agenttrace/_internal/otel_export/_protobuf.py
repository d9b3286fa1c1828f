"""Span descriptions written straight to the OTLP protobuf wire format.

The SDK's encoder (``encode_spans``) first makes a ``ReadableSpan`` of every span, then a
protobuf message of every span, attribute and value, in Python: about 70 µs a span, the
largest part of the export's cost. This module writes the same bytes (field for field, in
field-number order, as ``SerializePartialToString`` of the SDK's message does; a test
compares them) from the `SpanData` of `agenttrace._internal.otel_export._span_data`,
without either step, and remembers the encoding of a key and of the string values that
repeat in a request (the session's id, paths, kinds, models).

Only what the exporter's spans use is written: ids, name, kind, times, attributes (string,
bool, int, float, bytes, sequences and mappings of them, as the SDK's encoder takes), an
``exception`` event, status, and the span flags the SDK sets (the context-has-is-remote
bit, never a remote parent). Text that UTF-8 cannot encode (a lone surrogate) is written
with the character replaced, where the SDK's encoder would leave the attribute out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agenttrace._internal.otel_export._span_data import SpanData

__all__ = ["SpanEncoder", "attributes", "request_body", "scope", "trace_id_bytes"]

_VARINTS = [bytes((n,)) for n in range(128)]
_DOUBLE = struct.Struct("<d").pack
_FIXED64 = struct.Struct("<Q").pack
_ID16 = struct.Struct(">QQ").pack
_ID8 = struct.Struct(">Q").pack
_INT64 = (1 << 64) - 1

_KIND = (b"\x30\x01", b"\x30\x03")  # field 6, SpanKind INTERNAL and CLIENT
_STATUS_UNSET = b"\x7a\x00"  # field 15, an empty Status
_STATUS_ERROR_CODE = b"\x18\x02"  # Status.code = ERROR
_FLAGS = b"\x85\x01" + struct.pack("<I", 0x100)  # field 16 (fixed32): HAS_IS_REMOTE
_REMEMBERED = 200
"""String values up to this length are remembered (longer ones rarely repeat: bodies)."""


def _varint(value: int) -> bytes:
    if value < 128:
        return _VARINTS[value]
    out = bytearray()
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: its tag byte(s), the length, the payload."""
    size = len(payload)
    return tag + (_VARINTS[size] if size < 128 else _varint(size)) + payload


def _text(value: str) -> bytes:
    try:
        return value.encode()
    except UnicodeEncodeError:
        return value.encode(errors="replace")


def any_value(value: Any) -> bytes:
    """An ``AnyValue`` message (without its own tag), as the SDK's ``_encode_value``."""
    if value is None:
        encoded = b""
    elif isinstance(value, bool):
        encoded = b"\x10\x01" if value else b"\x10\x00"
    elif isinstance(value, str):
        encoded = _field(b"\x0a", _text(value))
    elif isinstance(value, int):
        encoded = b"\x18" + _varint(value & _INT64)
    elif isinstance(value, float):
        encoded = b"\x21" + _DOUBLE(value)
    elif isinstance(value, bytes):
        encoded = _field(b"\x3a", value)
    elif isinstance(value, Sequence):
        encoded = _field(b"\x2a", b"".join(_field(b"\x0a", any_value(item)) for item in value))
    elif isinstance(value, Mapping):
        pairs = b"".join(_field(b"\x0a", _key_value(str(k), v)) for k, v in value.items())
        encoded = _field(b"\x32", pairs)
    else:
        msg = f"Invalid type {type(value)} of value {value}"
        raise TypeError(msg)
    return encoded


def _key_value(key: str, value: Any) -> bytes:
    return _field(b"\x0a", _text(key)) + _field(b"\x12", any_value(value))


def attributes(pairs: Mapping[str, Any], tag: bytes) -> bytes:
    """``KeyValue`` fields with tag ``tag`` (uncached: a resource's, a scope's)."""
    return b"".join(_field(tag, _key_value(key, value)) for key, value in pairs.items())


class SpanEncoder:
    """Writes spans; remembers encoded keys, and string attributes seen in this request."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._texts: dict[str, dict[str, bytes]] = {}
        """By key, then value: the encoded attribute."""

    def forget(self) -> None:
        """Drop the remembered string attributes (after each request)."""
        self._texts.clear()

    def _encode(self, key: str, value: bytes) -> bytes:
        """The ``KeyValue`` field (tag 9 of ``Span``) of ``key`` and an encoded value."""
        head = self._keys.get(key)
        if head is None:
            head = self._keys[key] = _field(b"\x0a", _text(key))
        return _field(b"\x4a", head + _field(b"\x12", value))

    def span(self, data: SpanData, trace_id: bytes) -> bytes:
        """One ``Span`` message (field 2 of ``ScopeSpans``), tag and length included."""
        parts = [b"\x0a\x10", trace_id, b"\x12\x08", _ID8(data.span_id)]
        if data.parent_id is not None:
            parts += (b"\x22\x08", _ID8(data.parent_id))
        parts += (
            _field(b"\x2a", _text(data.name)),
            _KIND[data.client],
            b"\x39",
            _FIXED64(data.start_ns),
            b"\x41",
            _FIXED64(data.end_ns),
        )
        texts, encode, append = self._texts, self._encode, parts.append
        for key, value in data.attributes.items():
            if type(value) is str and len(value) <= _REMEMBERED:
                known = texts.get(key)
                if known is None:
                    known = texts[key] = {}
                done = known.get(value)
                if done is None:
                    done = known[value] = encode(key, _field(b"\x0a", _text(value)))
                append(done)
            else:
                append(encode(key, any_value(value)))
        event = data.exception_event()
        if event is not None:
            body = b"\x09" + _FIXED64(data.end_ns) + b"\x12\x09exception"
            body += attributes(event, b"\x1a")
            append(_field(b"\x5a", body))
        if data.failed:
            message = data.error_message
            status = _field(b"\x12", _text(message)) if message else b""
            append(_field(b"\x7a", status + _STATUS_ERROR_CODE))
        else:
            append(_STATUS_UNSET)
        append(_FLAGS)
        return _field(b"\x12", b"".join(parts))


def scope(name: str, version: str | None) -> bytes:
    """An ``InstrumentationScope`` message's fields (no attributes)."""
    return _field(b"\x0a", _text(name)) + (_field(b"\x12", _text(version)) if version else b"")


def trace_id_bytes(trace_id: int) -> bytes:
    """A 128-bit trace id as its 16 bytes, big-endian."""
    return _ID16(trace_id >> 64, trace_id & _INT64)


def request_body(spans: Iterable[bytes], resource: bytes, scope: bytes) -> bytes:
    """An ``ExportTraceServiceRequest`` of encoded spans (`SpanEncoder.span`), under one
    resource (its ``KeyValue`` fields, tag 1) and one instrumentation scope (its fields)."""
    scope_spans = _field(b"\x0a", scope) + b"".join(spans)
    resource_spans = _field(b"\x0a", resource) + _field(b"\x12", scope_spans)
    return _field(b"\x0a", resource_spans)
