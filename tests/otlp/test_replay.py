"""Recorded spans (fixtures/, from the real instrumentors) replayed into a real collector:
encodings, arrival order, batches, idempotency, refused spans.

The fixtures were recorded with thread id ``fixture-thread``; each test first rewrites the
trace ids (so that its spans are its own) and the session, by decoding with
``opentelemetry-proto`` and re-encoding.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections.abc import Sequence

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

from agenttrace.query import QueryClient
from agenttrace.server.testing import RunningCollector, running_collector

from .conftest import Shape, fixture_path, shape

SUPERVISOR = {
    ("/supervisor", "llm", "ok"): 3,
    ("/researcher/agent", "llm", "ok"): 2,
    ("/researcher/tools/search", "tool", "ok"): 1,
    ("/coder/agent", "llm", "ok"): 2,
    ("/coder/tools/run_python", "tool", "ok"): 1,
}
"""What the supervisor example's handler records (examples/agents/supervisor.py)."""
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def _fresh(name: str) -> tuple[ExportTraceServiceRequest, str]:
    """A fixture with new trace ids and a new thread id (its session)."""
    request = ExportTraceServiceRequest.FromString(fixture_path(name).read_bytes())
    session = f"replay-{uuid.uuid4()}"
    traces: dict[bytes, bytes] = {}
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            for span in scope.spans:
                span.trace_id = traces.setdefault(span.trace_id, uuid.uuid4().bytes)
                for attribute in span.attributes:
                    value = attribute.value
                    if value.HasField("string_value") and "fixture-thread" in value.string_value:
                        value.string_value = value.string_value.replace("fixture-thread", session)
    return request, session


def _spans(request: ExportTraceServiceRequest) -> list[tuple[ResourceSpans, Span]]:
    return [
        (resource, span)
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]


def _batch(pairs: Sequence[tuple[ResourceSpans, Span]]) -> bytes:
    request = ExportTraceServiceRequest()
    for resource, span in pairs:
        out = request.resource_spans.add()
        out.resource.CopyFrom(resource.resource)
        out.scope_spans.add().spans.append(span)
    return request.SerializeToString()


def _stored(url: str, session: str) -> Shape:
    with QueryClient(url) as client:
        return shape(client.session(session).requests)


def _without_tokens(found: Shape) -> dict[tuple[str, str, str], int]:
    counts: dict[tuple[str, str, str], int] = {}
    for (path, kind, status, _, _), n in found.items():
        counts[path, kind, status] = counts.get((path, kind, status), 0) + n
    return counts


@pytest.mark.parametrize("instrumentor", ["openinference", "openllmetry"])
def test_protobuf_fixture_gives_the_handler_paths(
    otlp_collector: RunningCollector, instrumentor: str
) -> None:
    """The recorded supervisor run, posted as protobuf, makes the handler's paths."""
    request, session = _fresh(f"supervisor-{instrumentor}.pb")
    answer = httpx.post(
        f"{otlp_collector.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(answer.content).HasField("partial_success")
    assert _without_tokens(_stored(otlp_collector.url, session)) == SUPERVISOR


@pytest.mark.parametrize("instrumentor", ["openinference", "openllmetry"])
def test_json_fixture_gzipped_gives_the_same_records(
    otlp_collector: RunningCollector, instrumentor: str
) -> None:
    """The JSON encoding of the same spans, gzipped, stores the same records as protobuf."""
    text = fixture_path(f"supervisor-{instrumentor}.json").read_text()
    session = f"replay-{uuid.uuid4()}"
    payload = json.loads(text.replace("fixture-thread", session))
    for resource in payload["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                span["traceId"] = uuid.uuid5(uuid.NAMESPACE_OID, session + span["traceId"]).hex
    answer = httpx.post(
        f"{otlp_collector.url}/v1/traces",
        content=gzip.compress(json.dumps(payload).encode()),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}
    assert _without_tokens(_stored(otlp_collector.url, session)) == SUPERVISOR


@pytest.mark.parametrize("order", ["children first", "shuffled in batches"])
@pytest.mark.parametrize("instrumentor", ["openinference", "openllmetry"])
def test_paths_do_not_depend_on_arrival_order(
    otlp_collector: RunningCollector, instrumentor: str, order: str
) -> None:
    """Spans sent one per request children first, or shuffled over several requests, give
    the same records (paths, sessions, statuses, tokens) as one request in order."""
    reference, reference_session = _fresh(f"supervisor-{instrumentor}.pb")
    httpx.post(
        f"{otlp_collector.url}/v1/traces", content=reference.SerializeToString(), headers=PROTOBUF
    ).raise_for_status()
    expected = _stored(otlp_collector.url, reference_session)

    request, session = _fresh(f"supervisor-{instrumentor}.pb")
    pairs = _spans(request)
    if order == "children first":
        pairs.sort(key=lambda pair: -pair[1].start_time_unix_nano)  # the root arrives last
        batches = [[pair] for pair in pairs]
    else:
        random.Random(7).shuffle(pairs)
        batches = [pairs[start : start + 5] for start in range(0, len(pairs), 5)]
    for batch in batches:
        httpx.post(
            f"{otlp_collector.url}/v1/traces", content=_batch(batch), headers=PROTOBUF
        ).raise_for_status()
    assert _stored(otlp_collector.url, session) == expected


def test_spans_sent_twice_are_stored_once(otlp_collector: RunningCollector) -> None:
    """Idempotent by (trace id, span id): a retried export adds nothing."""
    request, session = _fresh("parallel_research-openinference.pb")
    body = request.SerializeToString()
    for _ in range(2):
        httpx.post(
            f"{otlp_collector.url}/v1/traces", content=body, headers=PROTOBUF
        ).raise_for_status()
    with QueryClient(otlp_collector.url) as client:
        detail = client.session(session)
    assert detail.session.request_count == len(detail.requests) == 5


def test_orphans_take_their_langgraph_namespace_until_ancestors_arrive(
    otlp_collector: RunningCollector,
) -> None:
    """Records whose ancestors have not arrived are placed by their LangGraph namespace,
    then by the full chain once the ancestors come (same answer for this graph)."""
    request, session = _fresh("supervisor-openinference.pb")
    pairs = _spans(request)
    records = [pair for pair in pairs if _kind(pair[1]) in {"LLM", "TOOL"}]
    others = [pair for pair in pairs if pair not in records]
    httpx.post(
        f"{otlp_collector.url}/v1/traces", content=_batch(records), headers=PROTOBUF
    ).raise_for_status()
    assert _without_tokens(_stored(otlp_collector.url, session)) == SUPERVISOR
    httpx.post(
        f"{otlp_collector.url}/v1/traces", content=_batch(others), headers=PROTOBUF
    ).raise_for_status()
    assert _without_tokens(_stored(otlp_collector.url, session)) == SUPERVISOR


def _kind(span: Span) -> str:
    for attribute in span.attributes:
        if attribute.key == "openinference.span.kind":
            return attribute.value.string_value
    return ""


def test_session_found_later_moves_the_records(otlp_collector: RunningCollector) -> None:
    """An LLM span with no session of its own sits in its trace's session until its parent,
    which names the session, arrives; then it moves there and the trace session is gone."""
    trace = uuid.uuid4().bytes
    session = f"late-{uuid.uuid4()}"
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    parent = spans.add(trace_id=trace, span_id=b"\x01" * 8, name="agent", start_time_unix_nano=1)
    parent.end_time_unix_nano = 10**9
    attribute = parent.attributes.add(key="gen_ai.operation.name")
    attribute.value.string_value = "invoke_agent"
    parent.attributes.add(key="gen_ai.agent.name").value.string_value = "planner"
    parent.attributes.add(key="gen_ai.conversation.id").value.string_value = session
    child = spans.add(
        trace_id=trace, span_id=b"\x02" * 8, parent_span_id=b"\x01" * 8, name="chat gpt-4o-mini"
    )
    child.start_time_unix_nano, child.end_time_unix_nano = 2, 5 * 10**8
    child.attributes.add(key="gen_ai.operation.name").value.string_value = "chat"
    child.attributes.add(key="gen_ai.request.model").value.string_value = "gpt-4o-mini"
    child.attributes.add(key="gen_ai.usage.input_tokens").value.int_value = 10
    child.attributes.add(key="gen_ai.usage.output_tokens").value.int_value = 4
    only_child = ExportTraceServiceRequest()
    only_child.resource_spans.add().scope_spans.add().spans.append(child)
    url = otlp_collector.url
    httpx.post(f"{url}/v1/traces", content=only_child.SerializeToString(), headers=PROTOBUF)
    with QueryClient(url) as client:
        (row,) = client.session(trace.hex()).requests
        assert row.session_path == "/"
    only_parent = ExportTraceServiceRequest()
    only_parent.resource_spans.add().scope_spans.add().spans.append(parent)
    httpx.post(f"{url}/v1/traces", content=only_parent.SerializeToString(), headers=PROTOBUF)
    with QueryClient(url) as client:
        detail = client.session(session)
        (moved,) = detail.requests
        assert (moved.session_path, moved.input_tokens) == ("/planner", 10)
        assert detail.session.request_count == 1
        assert detail.session.input_tokens == 10
        assert client.sessions(search=trace.hex()).total == 0


def test_refused_spans_are_named_in_partial_success(tmp_path: object) -> None:
    """A span whose record breaks a limit is counted and named; the others are stored."""
    request, session = _fresh("supervisor-openinference.pb")
    with running_collector(max_record_body_bytes=2_000) as collector:
        answer = httpx.post(
            f"{collector.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
        )
        assert answer.status_code == 200
        partial = ExportTraceServiceResponse.FromString(answer.content).partial_success
        assert partial.rejected_spans > 0
        assert "max_record_body_bytes" in partial.error_message
        with QueryClient(collector.url) as client:
            stored = client.session(session).requests
        assert 0 < len(stored) < 9
        assert {r.session_path for r in stored} <= {p for p, _, _ in SUPERVISOR}


def test_bad_bodies_get_clear_errors(otlp_collector: RunningCollector) -> None:
    """Not protobuf: 400 saying so; another content type: 415 naming the accepted ones."""
    url = f"{otlp_collector.url}/v1/traces"
    bad = httpx.post(url, content=b"\xff\x00garbage", headers=PROTOBUF)
    assert bad.status_code == 400
    assert "ExportTraceServiceRequest" in bad.json()["error"]
    other = httpx.post(url, content=b"x", headers={"Content-Type": "text/plain"})
    assert other.status_code == 415
    assert "application/x-protobuf" in other.json()["error"]


def test_postgres_stores_spans_in_any_order() -> None:
    """On PostgreSQL too: the supervisor fixture, children first in batches of seven, gets
    the handler's paths."""
    from tests.support.postgres_server import require_server, temporary_schema

    with (
        temporary_schema(require_server()) as url,
        running_collector(database_url=url) as collector,
    ):
        request, session = _fresh("supervisor-openllmetry.pb")
        pairs = sorted(_spans(request), key=lambda pair: -pair[1].start_time_unix_nano)
        for start in range(0, len(pairs), 7):
            httpx.post(
                f"{collector.url}/v1/traces", content=_batch(pairs[start : start + 7]),
                headers=PROTOBUF,
            ).raise_for_status()  # fmt: skip
        assert _without_tokens(_stored(collector.url, session)) == SUPERVISOR
