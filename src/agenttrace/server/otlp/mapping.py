"""One span -> its `SpanLink` (structure) and, for LLM, tool and retriever spans, its record.

The conventions are read in turn (GenAI, then Traceloop, then OpenInference, each
overriding what the previous said); then the core rules apply: the outcome rule on the
exception's type name (LangGraph's ``GraphInterrupt`` is interrupted, ``ParentCommand`` a
handoff), usage normalisation, pricing, the LangGraph node rule (hidden runs are never
nodes) and its task id for parallel ``Send`` branches. The record's place (path, session,
parent record) is left to `agenttrace.server.otlp.paths` once its ancestors are known.
"""

from __future__ import annotations

from datetime import UTC, datetime
from operator import methodcaller
from typing import Any

from agenttrace.core.ids import stable_id
from agenttrace.core.langgraph_paths import (
    checkpoint_namespace,
    is_push_task,
    node_segment,
    task_id,
)
from agenttrace.core.outcome import status_of_type_name
from agenttrace.core.pricing import compute_cost
from agenttrace.core.usage import usage_from_mapping
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.server.otlp.agenttrace_spans import PATH as OWN_PATH
from agenttrace.server.otlp.agenttrace_spans import read_agenttrace
from agenttrace.server.otlp.decoding import STATUS_ERROR, OtlpSpan
from agenttrace.server.otlp.genai import read_genai
from agenttrace.server.otlp.openinference import SPAN_KIND as OPENINFERENCE_KIND
from agenttrace.server.otlp.openinference import read_openinference
from agenttrace.server.otlp.reading import OwnFields, SpanReading
from agenttrace.server.otlp.traceloop import PREFIX as TRACELOOP_PREFIX
from agenttrace.server.otlp.traceloop import read_traceloop
from agenttrace.server.store.otlp_spans import SpanLink

__all__ = ["read_span", "span_fields", "span_record"]

_MAX_TYPE = 500
_MAX_MESSAGE = 100_000
_USAGE_CACHE_SIZE = 4096
_MISSING = object()
_usages: dict[tuple[Any, ...], Usage | None] = {}
"""`usage_from_mapping` of the usage shapes seen lately (whole counts only): spans of one
agent repeat a few shapes, and `Usage` is frozen, so records may share one."""
_TRACELOOP_KEY = methodcaller("startswith", TRACELOOP_PREFIX)
"""Whether an attribute name is Traceloop's (every one `read_traceloop` reads is)."""
_usages_by_shape: dict[int, tuple[dict[str, Any], Usage | None]] = {}
"""The same, by the shape's id (the shape held, so that its id is not reused)."""


def read_span(span: OtlpSpan) -> SpanReading:
    """What ``span`` says, by every convention it follows."""
    reading = SpanReading()
    attributes = span.attributes
    read_genai(attributes, span.events, span.name, reading)
    if any(map(_TRACELOOP_KEY, attributes)):  # else it has nothing to read (C-level scan)
        read_traceloop(attributes, span.name, reading)
    if OPENINFERENCE_KIND in attributes:
        read_openinference(attributes, span.name, reading)
    if OWN_PATH in attributes:
        read_agenttrace(attributes, reading)
    return reading


def _outcome(span: OtlpSpan) -> tuple[Status, ErrorInfo | None]:
    """Span status ERROR and ``exception`` events, by the core outcome rule."""
    error_type: str | None = None
    message: str | None = None
    for name, attributes in span.events:
        if name == "exception":
            found = attributes.get("exception.type")
            error_type = str(found) if found else error_type
            text = attributes.get("exception.message")
            message = str(text) if text is not None else message
    failed = span.status_code == STATUS_ERROR
    if error_type is None and failed:
        found = span.attributes.get("error.type")
        error_type = str(found) if found else None
    if error_type is None and not failed:
        return Status.OK, None
    status = status_of_type_name(error_type) if error_type else Status.ERROR
    error = ErrorInfo(
        type=(error_type or "Error")[:_MAX_TYPE],
        message=(message or span.status_message or "")[:_MAX_MESSAGE],
    )
    return status, error


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)  # positional: half the cost of tz=UTC


def span_record(span: OtlpSpan) -> tuple[SpanLink, Record | None]:
    """The structure ``span`` adds to its trace, and its record (None for structure).

    The record's place is a placeholder (``/``, session = trace id) until resolved.
    Raises ValueError (pydantic's) when the record would be invalid.
    """
    link, fields = span_fields(span)
    return link, Record(**fields) if fields is not None else None


def span_fields(span: OtlpSpan) -> tuple[SpanLink, dict[str, Any] | None]:
    """`span_record`, with the record's fields not validated yet (so that a batch's records
    can be validated in one call)."""
    reading = read_span(span)
    graph = reading.graph
    namespace = checkpoint_namespace(graph) if graph is not None else None
    node: str | None = None
    if graph is not None and namespace is not None:
        node = node_segment(graph, namespace, None, reading.tags, span.name)
    segment = reading.segment
    if reading.kind is None and reading.framework:
        segment = None  # LangGraph's spans: the node rule decides alone
    session_id = reading.session_id or reading.thread_id
    fields: dict[str, Any] | None = None
    record_id: str | None = None
    if reading.kind is not None:
        own_id = reading.own.record_id if reading.own is not None else None
        record_id = own_id or stable_id(
            span.start_ns // 1_000_000, f"{span.trace_id}/{span.span_id}".encode()
        )
        fields = _record_fields(span, reading, record_id, namespace)
    link = SpanLink(
        span.trace_id,
        span.span_id,
        span.parent_span_id,
        segment[:500] if segment else None,
        node,
        namespace,
        session_id[:200] if session_id else None,
        record_id,
    )  # by position, in the fields' order (keywords cost more, once a span)
    return link, fields


def _usage_key(shape: dict[str, Any]) -> tuple[Any, ...] | None:
    """A reading's usage shape as a key of `_usages`; None unless every count is an int."""
    key: list[tuple[str, Any]] = []
    for name, value in shape.items():
        if type(value) is dict:
            if not all(type(count) is int for count in value.values()):
                return None
            key.append((name, tuple(value.items())))
        elif type(value) is int:
            key.append((name, value))
        else:
            return None
    return tuple(key)


def _usage(shape: dict[str, Any]) -> Usage | None:
    """`usage_from_mapping` of a reading's usage shape, remembered for whole counts (by
    the shape itself too: the GenAI reader hands the same shape to calls that repeat one)."""
    known = _usages_by_shape.get(id(shape))
    if known is not None and known[0] is shape:  # held there: its id is not reused
        return known[1]
    key = _usage_key(shape)
    if key is None:
        return usage_from_mapping(shape)
    found = _usages.get(key, _MISSING)  # one step: another thread may clear the cache
    if found is not _MISSING:
        if len(_usages_by_shape) >= _USAGE_CACHE_SIZE:
            _usages_by_shape.clear()
        _usages_by_shape[id(shape)] = (shape, found)  # type: ignore[assignment]
        return found  # type: ignore[return-value] # not the sentinel
    usage = usage_from_mapping(shape)
    if len(_usages) >= _USAGE_CACHE_SIZE:
        _usages.clear()
        _usages_by_shape.clear()
    _usages[key] = usage
    _usages_by_shape[id(shape)] = (shape, usage)
    return usage


def _record_fields(
    span: OtlpSpan, reading: SpanReading, record_id: str, namespace: str | None
) -> dict[str, Any]:
    kind = reading.kind or RecordKind.CUSTOM
    status, error = _outcome(span)
    usage = _usage(reading.usage) if reading.usage else None
    start = _time(span.start_ns)
    own = reading.own
    cost = None
    if own is not None:
        cost = own.cost  # agenttrace's record: its cost as it was, not priced again
        status = own.status or status
    elif kind is RecordKind.LLM and usage is not None:
        cost = compute_cost(reading.model, reading.provider, usage, at=start)
    graph = reading.graph
    branch = None
    if graph is not None and namespace is not None and is_push_task(graph):
        branch = task_id(namespace)
    if own is not None and own.branch_id is not None:
        branch = own.branch_id
    properties = dict(reading.properties)
    if span.service_name and own is None:
        properties.setdefault("service.name", span.service_name[:1000])
    asked = own is not None and kind is RecordKind.HUMAN and status is Status.INTERRUPTED  # open
    end = _time(span.end_ns) if span.end_ns >= span.start_ns else start
    fields = {
        "id": record_id,
        "kind": kind,
        "session_id": span.trace_id,
        "name": (reading.name or span.name)[:500],
        "model": reading.model[:500] if reading.model else None,
        "provider": reading.provider[:200] if reading.provider else None,
        "user_id": reading.user_id[:500] if reading.user_id else None,
        "properties": properties,
        "start_time": start,
        "end_time": None if asked else end,
        "status": status,
        "error": error,
        "usage": usage,
        "cost_usd": cost,
        "request": reading.request,
        "response": reading.response,
        "branch_id": branch[:500] if branch else None,
    }
    if own is not None:
        fields.update(_own_fields(own))
    return fields


def _own_fields(own: OwnFields) -> dict[str, Any]:
    """The record fields only agenttrace's exporter sends."""
    fields: dict[str, Any] = {
        "session_name": own.session_name,
        "attempt": own.attempt,
        "time_to_first_token_ms": own.time_to_first_token_ms,
    }
    return fields
