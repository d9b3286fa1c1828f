"""The OTLP sink's two ways out, into a real receiver (`tests.otlp.otlp_receiver`, built on
``opentelemetry-proto``): the request of ``opentelemetry-proto`` messages made here and
posted by the SDK exporter's HTTP client, with text UTF-8 cannot encode replaced instead of
losing its span; and, with an SDK exporter that cannot post bytes, the SDK's own
``ReadableSpan`` export."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

import agenttrace
from agenttrace._internal.otel_export import _sink
from agenttrace._internal.otel_export._sink import OtlpSink
from agenttrace._internal.otel_export._span_data import GroupSpans, SpanData

from .capture import run_scenario
from .otlp_receiver import OtlpReceiver

STATUS_ERROR = 2


pytestmark = pytest.mark.usefixtures("reset_tracer")


def test_text_utf8_cannot_encode_is_replaced_and_no_span_lost(receiver: OtlpReceiver) -> None:
    """Lone surrogates in a span's name, an attribute's key and values (short, long, in a
    list, in a mapping) and its error: the span arrives with U+FFFD there, beside a clean
    span of the same request and a later span with the same short value."""
    bad = "\ud83d"
    spans = [
        SpanData(1, None, "root", False, 1_000, 9_000, {"session.id": "s", "path": "/"}),
        SpanData(
            2,
            1,
            f"tool {bad}",
            False,
            2_000,
            3_000,
            {
                "path": f"/a{bad}",
                f"key{bad}": "v",
                "long": "x" * 300 + bad,
                "items": ["ok", f"b{bad}"],
                "mapping": {f"k{bad}": f"v{bad}"},
            },
            (f"Error{bad}", f"bad {bad} input"),
            True,
        ),
        SpanData(3, 1, "after", False, 4_000, 5_000, {"path": f"/a{bad}"}),
    ]
    sink = OtlpSink(endpoint=receiver.url, headers=None)
    assert sink._post is not None  # the messages made here, posted as bytes
    sink.add(GroupSpans(2**100 + 7, spans), None)
    assert sink.send() == 0
    by_name = {span.name: span for span in receiver.spans}
    assert set(by_name) == {"root", "tool \ufffd", "after"}
    tool = by_name["tool \ufffd"]
    assert tool.attributes == {
        "path": "/a\ufffd",
        "key\ufffd": "v",
        "long": "x" * 300 + "\ufffd",
        "items": ["ok", "b\ufffd"],
        "mapping": {"k\ufffd": "v\ufffd"},
    }
    assert tool.events == [
        ("exception", {"exception.type": "Error\ufffd", "exception.message": "bad \ufffd input"})
    ]
    assert tool.status_code == STATUS_ERROR
    assert by_name["after"].attributes == {"path": "/a\ufffd"}
    assert by_name["root"].attributes == {"session.id": "s", "path": "/"}
    assert {span.trace_id for span in receiver.spans} == {f"{2**100 + 7:032x}"}
    sink.shutdown()


def test_without_a_byte_client_the_sdk_exports_its_own_spans(
    receiver: OtlpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SDK whose ``OTLPSpanExporter`` has no client to post bytes (``_client``): the
    spans are made as ``ReadableSpan`` objects and go through its public ``export``; the
    whole tree still arrives, one trace, errors and all."""
    from agenttrace.langchain import CallbackHandler

    assert _sink._byte_poster(SimpleNamespace()) is None  # no ``_client``: no byte poster
    monkeypatch.setattr(_sink, "_byte_poster", lambda span_exporter: None)
    exported: list[int] = []
    sdk_export = OTLPSpanExporter.export

    def export(self: OTLPSpanExporter, spans: Any) -> Any:
        exported.append(len(spans))
        return sdk_export(self, spans)

    monkeypatch.setattr(OTLPSpanExporter, "export", export)
    agenttrace.configure(otlp_endpoint=receiver.url, export_to="otlp", spool_dir=tmp_path)
    thread_id = f"fallback-{uuid.uuid4()}"
    run_scenario("supervisor", thread_id, [CallbackHandler()])
    assert agenttrace.flush(30)
    spans = receiver.spans
    assert sum(exported) == len(spans) > 3
    by_id = {span.span_id: span for span in spans}
    roots = [span for span in spans if span.parent_span_id is None]
    assert len(roots) == 1
    assert {span.trace_id for span in spans} == {roots[0].trace_id}
    for span in spans:
        assert span.attributes["session.id"] == thread_id
        assert span.parent_span_id is None or span.parent_span_id in by_id
    chats = [s for s in spans if s.attributes.get("gen_ai.operation.name") == "chat"]
    assert chats
    assert all(chat.name == f"chat {chat.attributes['gen_ai.request.model']}" for chat in chats)
    assert {span.service_name for span in spans} == {"agenttrace"}
