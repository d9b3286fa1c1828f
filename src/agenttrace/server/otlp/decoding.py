"""OTLP/HTTP trace bodies -> `OtlpSpan`: protobuf or JSON, decoded by ``opentelemetry-proto``.

The JSON encoding is protobuf's own JSON mapping with one difference the OTLP
specification makes: trace and span ids are hex strings, not base64; they are turned into
base64 before ``json_format`` parses the rest. Attribute values become Python values
(strings, bools, ints, floats, lists, dicts).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = ["STATUS_ERROR", "BodyError", "OtlpSpan", "decode_request", "iter_spans"]

STATUS_ERROR = 2
"""``Status.StatusCode.STATUS_CODE_ERROR``."""


class BodyError(ValueError):
    """A body that is not an OTLP export request; the message says what is wrong."""


@dataclass(slots=True)
class OtlpSpan:
    """One span, in Python values."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    service_name: str | None


_SCALARS = frozenset({"string_value", "int_value", "bool_value", "double_value"})


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which in _SCALARS:
        return getattr(value, which)
    if which == "array_value":
        return [_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return {item.key: _value(item.value) for item in value.kvlist_value.values}
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def attributes(items: Any) -> dict[str, Any]:
    """Repeated ``KeyValue`` as a dict."""
    result: dict[str, Any] = {}
    item: KeyValue
    for item in items:
        value = item.value
        text = value.string_value  # most values; another kind reads as "" here
        if text:
            result[item.key] = text
            continue
        which = value.WhichOneof("value")
        result[item.key] = getattr(value, which) if which in _SCALARS else _value(value)
    return result


_ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _hex_to_base64(spans: Any, where: str) -> None:
    if not isinstance(spans, list):
        return
    for span in spans:
        if not isinstance(span, dict):
            continue
        for key in _ID_KEYS:
            value = span.get(key)
            if isinstance(value, str) and value:
                try:
                    span[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    msg = f"{where}.{key} must be a hex string (OTLP/JSON); got {value[:40]!r}"
                    raise BodyError(msg) from None
        for link in span.get("links") or ():
            if isinstance(link, dict):
                _hex_to_base64([link], f"{where}.links")


def _from_json(body: bytes) -> ExportTraceServiceRequest:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        msg = f"the body is not valid JSON ({exc}); send an OTLP ExportTraceServiceRequest"
        raise BodyError(msg) from None
    if not isinstance(payload, dict):
        msg = "the body must be a JSON object {resourceSpans: [...]}"
        raise BodyError(msg)
    for resource in payload.get("resourceSpans") or payload.get("resource_spans") or ():
        scopes = resource.get("scopeSpans") or resource.get("scope_spans") or ()
        for index, scope in enumerate(scopes if isinstance(scopes, list) else ()):
            if isinstance(scope, dict):
                _hex_to_base64(scope.get("spans"), f"scopeSpans[{index}].spans")
    try:
        request = ExportTraceServiceRequest()
        json_format.ParseDict(payload, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        msg = f"the body is not an OTLP ExportTraceServiceRequest: {exc}"
        raise BodyError(msg) from None
    return request


def decode_request(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    """The export request in ``body``, by its content type (protobuf or JSON)."""
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/json":
        return _from_json(body)
    if media in {"application/x-protobuf", "application/protobuf"}:
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            msg = f"the body is not a protobuf ExportTraceServiceRequest ({exc})"
            raise BodyError(msg) from None
        return request
    msg = (
        f"Content-Type {content_type or 'none'!r} is not an OTLP encoding; send "
        "application/x-protobuf or application/json"
    )
    raise BodyError(msg)


def iter_spans(request: ExportTraceServiceRequest) -> Iterator[OtlpSpan]:
    """Every span of ``request`` with its resource's ``service.name``."""
    trace_ids: dict[bytes, str] = {}  # one string a trace: hashed once, wherever it is a key
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        service = resource.get("service.name")
        service_name = service if isinstance(service, str) else None
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                parent = span.parent_span_id
                status = span.status
                events = span.events
                raw_trace = span.trace_id
                trace_id = trace_ids.get(raw_trace)
                if trace_id is None:
                    trace_id = trace_ids[raw_trace] = raw_trace.hex()
                yield OtlpSpan(
                    trace_id,
                    span.span_id.hex(),
                    parent.hex() if parent else None,
                    span.name,
                    span.start_time_unix_nano,
                    span.end_time_unix_nano,
                    status.code,
                    status.message,
                    attributes(span.attributes),
                    [(event.name, attributes(event.attributes)) for event in events]
                    if events
                    else [],
                    service_name,
                )  # by position, in the fields' order: an export has thousands
