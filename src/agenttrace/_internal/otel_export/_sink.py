"""Where the exporter's spans go: its own OTLP/HTTP exporter, or the user's tracer provider.

Both are made on the exporter's worker thread, which imports the OpenTelemetry SDK (the
``agenttrace[otel]`` extra) there, never on the caller's thread.

* `OtlpSink`: a private SDK ``TracerProvider`` whose ended spans are collected and sent by
  the SDK's ``OTLPSpanExporter`` (HTTP, protobuf) in batches, from the worker thread. The
  exporter reads the standard ``OTEL_EXPORTER_OTLP_*`` / ``OTEL_EXPORTER_OTLP_TRACES_*``
  variables (endpoint, headers, timeout, compression, certificates) for what the arguments
  leave out; the resource is ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``, with
  ``service.name`` ``agenttrace`` when unset.
* `ProviderSink`: the user's ``TracerProvider``; its own span processors export, and a flush
  calls its ``force_flush``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from agenttrace.core.version import VERSION

__all__ = ["OtlpSink", "ProviderSink", "Sink", "traces_url"]

_BATCH = 512
_TRACES_PATH = "/v1/traces"


def traces_url(endpoint: str) -> str:
    """``http://host:4318`` -> ``http://host:4318/v1/traces`` (a URL that already ends in
    ``/v1/traces`` is kept), as ``OTEL_EXPORTER_OTLP_ENDPOINT`` is read."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(_TRACES_PATH) else endpoint + _TRACES_PATH


class Sink:
    """A tracer to create spans with, and how to deliver them."""

    tracer: Any

    def send(self) -> int:
        """Deliver the spans ended so far; how many could not be delivered."""
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

    def flush(self, timeout: float) -> bool:
        force_flush = getattr(self.provider, "force_flush", None)
        if force_flush is None:
            return True
        return bool(force_flush(int(max(timeout, 0.001) * 1000)))


class OtlpSink(Sink):
    """Spans created in a private provider and sent by an SDK span exporter (OTLP/HTTP by
    default), in batches of 512, on the calling (worker) thread."""

    def __init__(
        self,
        *,
        endpoint: str | None,
        headers: Mapping[str, str] | None,
        span_exporter: Any = None,
    ) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

        ended: list[ReadableSpan] = []

        class Collect(SpanProcessor):
            def on_end(self, span: ReadableSpan) -> None:
                ended.append(span)

        if span_exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            span_exporter = OTLPSpanExporter(
                endpoint=traces_url(endpoint) if endpoint else None,
                headers=dict(headers) if headers else None,
            )
        service = os.environ.get("OTEL_SERVICE_NAME") or "agenttrace"
        self.provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_span_processor(Collect())
        self.tracer = self.provider.get_tracer("agenttrace", VERSION)
        self.span_exporter = span_exporter
        self._ended = ended

    def send(self) -> int:
        from opentelemetry.sdk.trace.export import SpanExportResult

        ended, failed = self._ended, 0
        while ended:
            batch = ended[:_BATCH]
            del ended[:_BATCH]
            if self.span_exporter.export(batch) is not SpanExportResult.SUCCESS:
                failed += len(batch)
        return failed

    def shutdown(self) -> None:
        self.span_exporter.shutdown()
        self.provider.shutdown()
