"""Where the exporter's spans go: its own OTLP/HTTP exporter, or the user's tracer provider.

Both are made on the exporter's worker thread, which imports the OpenTelemetry SDK (the
``agenttrace[otel]`` extra) there, never on the caller's thread.

* `OtlpSink`: the span descriptions (in the session's trace, ids as `group_spans` gave
  them) become OTLP protobuf messages at once (`agenttrace._internal.otel_export._protobuf`,
  without the SDK's ``ReadableSpan`` objects) and the SDK's ``OTLPSpanExporter`` (HTTP)
  posts their serialized request, up to 4,096 spans or 1 MiB a
  request, with its own retries, compression and limits. With an exporter of the
  caller's, or an SDK whose exporter cannot post bytes, the spans become ``ReadableSpan``
  objects it exports, 512 a call. It reads the standard ``OTEL_EXPORTER_OTLP_*`` /
  ``OTEL_EXPORTER_OTLP_TRACES_*`` variables (endpoint, headers, timeout, compression,
  certificates) for what the arguments leave out; the
  resource is ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``, with ``service.name``
  ``agenttrace`` when unset.
* `ProviderSink`: spans started and ended through the user's ``TracerProvider`` (parents
  first, the group's root under the user's span), so its own processors, samplers and
  exporters apply; a flush calls its ``force_flush``.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agenttrace._internal.otel_export._protobuf import (
    SpanEncoder,
    request_body,
    resource,
    scope,
    trace_id_bytes,
)
from agenttrace.core.version import VERSION

if TYPE_CHECKING:
    from collections.abc import Callable

    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    from agenttrace._internal.otel_export._span_data import GroupSpans

__all__ = ["OtlpSink", "ProviderSink", "Sink", "traces_url"]

logger = logging.getLogger("agenttrace.otel")

_BATCH = 512
"""Spans a request of SDK spans carries (the SDK's batch processor's default)."""
_ENCODED_SPANS = 4096
_ENCODED_BYTES = 1 << 20
"""A request of spans encoded here carries up to 4,096 spans or about 1 MiB (whichever comes
first; one span alone may be larger): each request costs the worker about 2 ms of CPU in
the SDK's HTTP client, so fewer and larger ones, well under the usual 4 MiB limits."""
_TRACES_PATH = "/v1/traces"


def traces_url(endpoint: str) -> str:
    """``http://host:4318`` -> ``http://host:4318/v1/traces`` (a URL that already ends in
    ``/v1/traces`` is kept), as ``OTEL_EXPORTER_OTLP_ENDPOINT`` is read."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(_TRACES_PATH) else endpoint + _TRACES_PATH


class Sink:
    """Makes spans of span descriptions, and delivers them."""

    def add(self, group: GroupSpans, parent: Any) -> None:
        """Make the spans of one group (pre-order); ``parent``: the user's span context."""
        raise NotImplementedError

    def send(self) -> int:
        """Deliver the spans made so far; how many could not be delivered."""
        return 0

    def flush(self, timeout: float) -> bool:
        """Deliver everything within ``timeout`` seconds; False when some could not be."""
        return self.send() == 0

    def shutdown(self) -> None:
        """Release what the sink holds."""


class ProviderSink(Sink):
    """Spans created in the user's tracer provider; its processors deliver them."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("agenttrace", VERSION)

    def add(self, group: GroupSpans, parent: Any) -> None:
        from opentelemetry.context import Context
        from opentelemetry.trace import NonRecordingSpan, SpanKind, StatusCode, set_span_in_context
        from opentelemetry.trace.status import Status

        root = Context()
        if parent is not None:
            root = set_span_in_context(NonRecordingSpan(parent), root)
        contexts: dict[int, Any] = {}
        made = []
        for data in group.spans:
            context = root if data.parent_id is None else contexts[data.parent_id]
            span = self.tracer.start_span(
                data.name,
                context=context,
                kind=SpanKind.CLIENT if data.client else SpanKind.INTERNAL,
                attributes=data.attributes,
                start_time=data.start_ns,
            )
            event = data.exception_event()
            if event is not None:
                span.add_event("exception", event, timestamp=data.end_ns)
            if data.failed:
                span.set_status(Status(StatusCode.ERROR, data.error_message))
            contexts[data.span_id] = set_span_in_context(span, root)
            made.append((span, data.end_ns))
        for span, end_ns in reversed(made):  # children end before their parents
            span.end(end_time=end_ns)

    def flush(self, timeout: float) -> bool:
        force_flush = getattr(self.provider, "force_flush", None)
        if force_flush is None:
            return True
        return bool(force_flush(int(max(timeout, 0.001) * 1000)))


def _byte_poster(span_exporter: Any) -> Callable[[bytes], bool] | None:
    """What posts an encoded request through the SDK's ``OTLPSpanExporter`` (its HTTP
    client: retries, compression, headers, TLS), True when it was taken; None when this
    version of the SDK has no such client (the spans are then exported as SDK spans)."""
    client = getattr(span_exporter, "_client", None)
    export = getattr(client, "export", None)
    if not callable(export):
        return None
    limit = getattr(span_exporter, "_max_request_size", 0)
    limit = limit if isinstance(limit, int) else 0

    def post(body: bytes) -> bool:
        if 0 < limit < len(body):
            logger.warning(
                "agenttrace: %d bytes of spans not exported: over the OTLP exporter's "
                "max_request_size (%d bytes)",
                len(body),
                limit,
            )
            return False
        return bool(getattr(export(body), "success", False))

    return post


class OtlpSink(Sink):
    """Spans sent by an SDK span exporter (OTLP/HTTP by default) on the calling (worker)
    thread: as protobuf messages made here when the exporter is the SDK's own (`_ENCODED_SPANS`
    a request), else as ``ReadableSpan`` objects, in batches of 512."""

    def __init__(
        self,
        *,
        endpoint: str | None,
        headers: Mapping[str, str] | None,
        span_exporter: Any = None,
    ) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope

        post: Callable[[bytes], bool] | None = None
        if span_exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            span_exporter = OTLPSpanExporter(
                endpoint=traces_url(endpoint) if endpoint else None,
                headers=dict(headers) if headers else None,
            )
            post = _byte_poster(span_exporter)
        service = os.environ.get("OTEL_SERVICE_NAME") or "agenttrace"
        self.resource = Resource.create({"service.name": service})
        self.scope = InstrumentationScope("agenttrace", VERSION)
        self.span_exporter = span_exporter
        self._made: list[Any] = []
        self._post = post
        self._encoder = SpanEncoder()
        self._encoded: list[Span] = []
        """``Span`` messages, and the size of each serialized (in ``_sizes``)."""
        self._sizes: list[int] = []
        self._resource_message = resource(self.resource.attributes)
        self._scope_message = scope(self.scope.name, self.scope.version)

    def add(self, group: GroupSpans, parent: Any) -> None:
        if self._post is not None:
            trace_id = trace_id_bytes(group.trace_id or random.getrandbits(128) or 1)
            span, encoded, sizes = self._encoder.span, self._encoded, self._sizes
            for data in group.spans:
                message = span(data, trace_id)
                encoded.append(message)
                sizes.append(message.ByteSize())
            return
        self._add_sdk_spans(group)

    def _add_sdk_spans(self, group: GroupSpans) -> None:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.trace import SpanContext, SpanKind, StatusCode, TraceFlags
        from opentelemetry.trace.status import Status

        trace_id = group.trace_id or random.getrandbits(128) or 1
        flags = TraceFlags(TraceFlags.SAMPLED)
        spans = group.spans
        contexts = {d.span_id: SpanContext(trace_id, d.span_id, False, flags) for d in spans}
        for data in spans:  # a node span sent with an earlier tree of the session
            if data.parent_id is not None and data.parent_id not in contexts:
                contexts[data.parent_id] = SpanContext(trace_id, data.parent_id, False, flags)
        unset = Status(StatusCode.UNSET)
        for data in spans:
            event = data.exception_event()
            events = (Event("exception", event, timestamp=data.end_ns),) if event else ()
            status = unset
            if data.failed:
                status = Status(StatusCode.ERROR, data.error_message)
            self._made.append(
                ReadableSpan(
                    name=data.name,
                    context=contexts[data.span_id],
                    parent=contexts[data.parent_id] if data.parent_id is not None else None,
                    resource=self.resource,
                    attributes=data.attributes,
                    events=events,
                    kind=SpanKind.CLIENT if data.client else SpanKind.INTERNAL,
                    status=status,
                    start_time=data.start_ns,
                    end_time=data.end_ns,
                    instrumentation_scope=self.scope,
                )
            )

    def send(self) -> int:
        if self._post is not None:
            return self._send_encoded(self._post)
        from opentelemetry.sdk.trace.export import SpanExportResult

        made, failed = self._made, 0
        while made:
            batch = made[:_BATCH]
            del made[:_BATCH]
            if self.span_exporter.export(batch) is not SpanExportResult.SUCCESS:
                failed += len(batch)
        return failed

    def _send_encoded(self, post: Callable[[bytes], bool]) -> int:
        encoded, sizes, failed = self._encoded, self._sizes, 0
        self._encoder.forget()
        while encoded:
            count, size = 1, sizes[0]
            while count < len(encoded) and count < _ENCODED_SPANS:
                size += sizes[count]
                if size > _ENCODED_BYTES:
                    break
                count += 1
            batch = encoded[:count]
            del encoded[:count], sizes[:count]
            if not post(request_body(batch, self._resource_message, self._scope_message)):
                failed += len(batch)
        return failed

    def shutdown(self) -> None:
        self.span_exporter.shutdown()
