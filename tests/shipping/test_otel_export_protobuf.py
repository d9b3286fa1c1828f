"""The OTLP export makes its spans' ``opentelemetry-proto`` messages itself (`_protobuf`),
without the SDK's ``ReadableSpan`` objects and encoder: the bytes it posts are those the
SDK's encoder makes of the same spans."""

from __future__ import annotations

from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SpanExportResult

from agenttrace._internal.otel_export._sink import OtlpSink
from agenttrace._internal.otel_export._span_data import GroupSpans, SpanData


class _Encoded:
    """A span exporter that keeps the SDK encoder's bytes of what it is given."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def export(self, spans: Any) -> SpanExportResult:
        self.bodies.append(encode_spans(spans).SerializePartialToString())
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing held."""


def test_the_spans_written_are_the_sdk_encoders_bytes() -> None:
    """Every value type, an error with its event, an interrupt's event without the error,
    a span under a node sent before, two traces: the bytes posted are the SDK encoder's."""
    attributes: dict[str, Any] = {
        "text": "é ✓",
        "negative": -5,
        "big": 2**40,
        "zero": 0,
        "ratio": 0.25,
        "yes": True,
        "no": False,
        "mixed": ["a", 1, 2.5],
        "raw": b"\x00\x01",
        "nothing": None,
        "mapping": {"k": "v", "n": 1},
        "nested": [["a", None], {"m": [True, {"deep": 1.5}]}, b"\xff"],
        "empty list": [],
        "empty mapping": {},
        "min": -(2**63),
        "long": "x" * 300,
    }
    spans = [
        SpanData(11, None, "session", False, 1_000, 9_000, {"session.id": "s", "path": "/"}),
        SpanData(2**64 - 1, 11, "chat m", True, 2_000, 3_000, attributes, ("E", "bad ✓"), True),
        SpanData(13, 11, "x" * 200, False, 2_000, 3_000, {}, ("GraphInterrupt", ""), False),
        SpanData(14, 99, "late", False, 2_000, 3_000, {"path": "/"}, None, True),
    ]
    sdk = _Encoded()
    by_sdk = OtlpSink(endpoint=None, headers=None, span_exporter=sdk)
    ours = OtlpSink(endpoint="http://127.0.0.1:9", headers=None)  # never posts
    for trace_id in (12345678901234567890123, 2**128 - 1):
        by_sdk.add(GroupSpans(trace_id, spans), None)
        ours.add(GroupSpans(trace_id, spans), None)
    posted: list[bytes] = []
    assert ours._post is not None  # this SDK's exporter posts bytes
    ours._post = lambda body: posted.append(body) is None
    assert by_sdk.send() == 0
    assert ours.send() == 0
    [request] = [ExportTraceServiceRequest.FromString(body) for body in posted]
    assert request == ExportTraceServiceRequest.FromString(sdk.bodies[0])  # a readable diff
    assert posted == sdk.bodies
    assert len(request.resource_spans[0].scope_spans[0].spans) == 8
    ours.shutdown()
