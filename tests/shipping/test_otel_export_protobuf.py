"""The OTLP export makes its spans' ``opentelemetry-proto`` messages itself (`_protobuf`),
without the SDK's ``ReadableSpan`` objects and encoder: the bytes it posts are those the
SDK's encoder makes of the same spans."""

from __future__ import annotations

from enum import IntEnum
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


class _Text(str):
    """A ``str`` subclass (written through an ``AnyValue`` message)."""


class _Number(IntEnum):
    ONE = 1


def _posted_and_sdk(groups: list[list[SpanData]]) -> tuple[list[bytes], list[bytes]]:
    """Each list of spans sent as one request, by the sink and by the SDK's encoder."""
    sdk = _Encoded()
    by_sdk = OtlpSink(endpoint=None, headers=None, span_exporter=sdk)
    ours = OtlpSink(endpoint="http://127.0.0.1:9", headers=None)  # never posts
    posted: list[bytes] = []
    ours._post = lambda body: posted.append(body) is None
    for spans in groups:
        by_sdk.add(GroupSpans(77, spans), None)
        ours.add(GroupSpans(77, spans), None)
        assert by_sdk.send() == 0
        assert ours.send() == 0
    ours.shutdown()
    return posted, sdk.bodies


def test_edge_values_are_written_as_the_sdk_encoder_writes_them() -> None:
    """Values that protobuf leaves out or writes its own way (an empty name, zero times, an
    empty key, empty text, zero and negative numbers, subclasses of str and int, a
    failure without a message), and short texts repeated in later spans and in a later
    request: the same bytes as the SDK encoder's."""
    attributes: dict[str, Any] = {
        "": "empty key",
        "empty": "",
        "zero": 0,
        "minus one": -1,
        "zero float": 0.0,
        "negative float": -2.5,
        "text subclass": _Text("sub"),
        "int subclass": _Number.ONE,
        "unicode ✓": "✓" * 70,  # 210 bytes of UTF-8, 70 characters: remembered
        "long": "y" * 201,  # not remembered
    }
    first = [
        SpanData(1, None, "", False, 0, 0, attributes),
        SpanData(2, 1, "a", True, 5, 0, dict(attributes), ("", ""), True),
        SpanData(3, 1, "b", False, 0, 7, dict(attributes), None, True),
        SpanData(4, 1, "c" * 300, False, 1, 2, {"k": "v", "n": 2**63 - 1}, ("T", "m"), False),
    ]
    second = [SpanData(5, 1, "d", False, 1, 2, dict(attributes))]
    posted, sdk_bodies = _posted_and_sdk([first, second])
    assert len(posted) == len(sdk_bodies) == 2
    for ours, theirs in zip(posted, sdk_bodies, strict=True):
        assert ExportTraceServiceRequest.FromString(ours) == ExportTraceServiceRequest.FromString(
            theirs
        )
    assert posted == sdk_bodies


def test_a_large_request_has_multi_byte_lengths() -> None:
    """Spans, a request and attribute values longer than 127 and 16,383 bytes (lengths of
    two and three bytes): the SDK encoder's bytes."""
    spans = [
        SpanData(n, None, f"span {n}", False, n, n + 1, {"body": "z" * (n * 50), "n": n})
        for n in range(1, 130)
    ]
    spans.append(SpanData(200, None, "big", False, 1, 2, {"body": "w" * 20_000}))
    posted, sdk_bodies = _posted_and_sdk([spans])
    assert len(posted) == 1
    assert 1 << 14 < len(posted[0]) < 1 << 20
    assert posted == sdk_bodies
