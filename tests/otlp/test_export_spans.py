"""What the OpenTelemetry exporter sends, as a second real receiver decodes it
(`tests.otlp.otlp_receiver`, built on ``opentelemetry-proto``): GenAI-convention spans in
one tree per session whose node spans are the path's segments (a span per parallel
``Send`` branch), one trace even when the session resumes after its tree was sent, through
the arguments or the standard ``OTEL_EXPORTER_OTLP_*`` variables, or into the user's own
tracer provider."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agenttrace
from agenttrace.exceptions import ConfigurationError

from .capture import AGENTS, interrupt, run_scenario
from .otlp_receiver import OtlpReceiver, ReceivedSpan

CLIENT, INTERNAL = 3, 1  # protobuf SpanKind values
STATUS_ERROR = 2


pytestmark = pytest.mark.usefixtures("reset_tracer")


def _path_of(span: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> str:
    """The path the tree gives ``span``: the segments of it and its ancestors."""
    segments: list[str] = []
    current: ReceivedSpan | None = span
    while current is not None:
        segment = current.attributes.get("agenttrace.segment")
        if segment:
            segments.append(segment)
        parent = current.parent_span_id
        current = by_id[parent] if parent else None  # KeyError: an ancestor never arrived
    return "/" + "/".join(reversed(segments))


def _check_tree(
    spans: list[ReceivedSpan], session_id: str, *, enclosed: bool = True
) -> list[ReceivedSpan]:
    """Every span's path from the tree is its ``agenttrace.path``; one root, one trace;
    (``enclosed``) parents enclose their children in time. Returns the record spans."""
    by_id = {span.span_id: span for span in spans}
    assert len(by_id) == len(spans)  # no span sent twice
    roots = [span for span in spans if span.parent_span_id is None]
    assert len(roots) == 1, [root.name for root in roots]
    assert {span.trace_id for span in spans} == {roots[0].trace_id}
    for span in spans:
        assert span.attributes["gen_ai.conversation.id"] == session_id
        assert span.attributes["session.id"] == session_id
        assert _path_of(span, by_id) == span.attributes["agenttrace.path"], span.name
        if span.parent_span_id and enclosed:
            parent = by_id[span.parent_span_id]
            assert parent.start_ns <= span.start_ns <= span.end_ns <= parent.end_ns
    return [span for span in spans if "agenttrace.record.id" in span.attributes]


def test_a_graph_run_arrives_as_one_tree_of_genai_spans(
    receiver: OtlpReceiver, tmp_path: Path
) -> None:
    """The supervisor graph: node spans per path segment, chat and tool spans under them
    with the GenAI names; the headers given reach the receiver."""
    from agenttrace.langchain import CallbackHandler

    agenttrace.configure(
        otlp_endpoint=receiver.url,
        otlp_headers={"Authorization": "Bearer otlp-key"},
        export_to="otlp",
        spool_dir=tmp_path / "spool",
    )
    thread_id = f"tree-{uuid.uuid4()}"
    run_scenario("supervisor", thread_id, [CallbackHandler()])
    assert agenttrace.flush(30)
    assert receiver.headers
    assert all(h["authorization"] == "Bearer otlp-key" for h in receiver.headers)
    assert all(h["content-type"] == "application/x-protobuf" for h in receiver.headers)
    records = _check_tree(receiver.spans, thread_id)
    nodes = [span for span in receiver.spans if "agenttrace.record.id" not in span.attributes]
    chats = [s for s in records if s.attributes.get("gen_ai.operation.name") == "chat"]
    tools = [s for s in records if s.attributes.get("gen_ai.operation.name") == "execute_tool"]
    assert chats
    assert tools
    for chat in chats:
        assert chat.kind == CLIENT
        assert chat.name == f"chat {chat.attributes['gen_ai.request.model']}"
        assert chat.attributes["gen_ai.response.model"] == chat.attributes["gen_ai.request.model"]
        assert chat.attributes["gen_ai.usage.input_tokens"] > 0
        assert chat.attributes["gen_ai.usage.output_tokens"] > 0
    for tool in tools:
        name = tool.attributes["gen_ai.tool.name"]
        assert tool.name == f"execute_tool {name}"
        assert tool.attributes["agenttrace.segment"] == name  # under its node, adds its name
    # graph nodes are parents: some chat span sits two node levels below the root
    by_id = {span.span_id: span for span in receiver.spans}
    assert any(_path_of(chat, by_id).count("/") >= 2 for chat in chats)
    assert {node.name for node in nodes if node.parent_span_id} >= {"supervisor"}
    assert all(span.service_name == "agenttrace" for span in receiver.spans)
    assert {span.scope for span in receiver.spans} == {"agenttrace"}


def _is_record(span: ReceivedSpan) -> bool:
    return "agenttrace.record.id" in span.attributes


def test_each_send_branch_is_a_span_of_its_own(receiver: OtlpReceiver, tmp_path: Path) -> None:
    """The ``Send`` fan-out: one ``research`` node span per branch, side by side under the
    root, each carrying its branch id, holding that branch's calls (and only them), from
    the first one's start to the last one's end."""
    from agenttrace.langchain import CallbackHandler

    agenttrace.configure(otlp_endpoint=receiver.url, export_to="otlp", spool_dir=tmp_path)
    thread_id = f"fan-out-{uuid.uuid4()}"
    run_scenario("parallel_research", thread_id, [CallbackHandler()])
    assert agenttrace.flush(30)
    records = _check_tree(receiver.spans, thread_id)
    by_id = {span.span_id: span for span in receiver.spans}
    (root,) = [span for span in receiver.spans if span.parent_span_id is None]
    branches = {r.attributes.get("agenttrace.branch_id") for r in records} - {None}
    assert len(branches) == 3  # one per place
    research = [
        span
        for span in receiver.spans
        if not _is_record(span) and span.attributes["agenttrace.path"] == "/research"
    ]
    assert sorted(span.attributes["agenttrace.branch_id"] for span in research) == sorted(branches)
    for node in research:
        assert node.parent_span_id == root.span_id
        assert node.name == "research"
        calls = [r for r in records if _ancestors(r, by_id) & {node.span_id}]
        assert {r.attributes["agenttrace.branch_id"] for r in calls} == {
            node.attributes["agenttrace.branch_id"]
        }
        assert {r.attributes["agenttrace.kind"] for r in calls} == {"llm", "vector_db"}
        assert node.start_ns == min(r.start_ns for r in calls)
        assert node.end_ns == max(r.end_ns for r in calls)
    in_branches = [r for r in records if r.attributes["agenttrace.path"].startswith("/research")]
    assert all("agenttrace.branch_id" in r.attributes for r in in_branches)


def _ancestors(span: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> set[str]:
    found: set[str] = set()
    parent = span.parent_span_id
    while parent:
        found.add(parent)
        parent = by_id[parent].parent_span_id
    return found


def test_a_session_resumed_after_its_export_stays_one_trace(
    receiver: OtlpReceiver, tmp_path: Path
) -> None:
    """Interrupt, the session's tree sent once it is quiet, then the resume: the resume's
    spans join the same trace (one root), under the node spans sent before (no node span
    sent twice), and every span's parent is in the received set."""
    from agenttrace.langchain import CallbackHandler

    agenttrace.configure(
        otlp_endpoint=receiver.url,
        export_to="otlp",
        otlp_idle=0.3,
        flush_interval=0.05,
        spool_dir=tmp_path,
    )
    thread_id = f"resumed-{uuid.uuid4()}"
    resume = interrupt(thread_id, [CallbackHandler()])
    deadline = time.monotonic() + 30
    while not any(s.attributes.get("agenttrace.status") == "interrupted" for s in receiver.spans):
        assert time.monotonic() < deadline, "the idle export never came"  # no flush called
        time.sleep(0.02)
    first = list(receiver.spans)
    resume([CallbackHandler()])
    assert agenttrace.flush(30)
    later = receiver.spans[len(first) :]
    assert any(_is_record(span) for span in later)
    assert not any(span.parent_span_id is None for span in later)  # no second root
    records = _check_tree(receiver.spans, thread_id, enclosed=False)
    first_ids = {span.span_id for span in first}
    first_nodes = {span.attributes["agenttrace.path"] for span in first if not _is_record(span)}
    for span in later:
        if not _is_record(span):
            assert span.attributes["agenttrace.path"] not in first_nodes  # sent once
    rerun = [r for r in later if _is_record(r) and r.attributes["agenttrace.kind"] == "tool"]
    assert rerun  # the interrupted tool, run again on resume
    assert all(r.parent_span_id in first_ids for r in rerun)  # under the /tools span sent
    assert {r.attributes["agenttrace.path"] for r in records} >= {"/agent", "/tools/send_email"}


def test_in_a_users_provider_a_resumed_session_follows_the_users_spans(
    tmp_path: Path,
) -> None:
    """In the user's tracer provider, the user's span decides the trace: a session that
    resumes in another request of theirs hangs its new tree under that request's span."""
    from agenttrace.langchain import CallbackHandler

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    agenttrace.configure(otel_tracer_provider=provider, export_to="otlp", spool_dir=tmp_path)
    tracer = provider.get_tracer("user-app")
    thread_id = f"provider-resumed-{uuid.uuid4()}"
    with tracer.start_as_current_span("first request") as first:
        resume = interrupt(thread_id, [CallbackHandler()])
    assert agenttrace.flush(30)
    with tracer.start_as_current_span("second request") as second:
        resume([CallbackHandler()])
    assert agenttrace.flush(30)
    ours = [
        s
        for s in exported.get_finished_spans()
        if s.name not in {"first request", "second request"}
    ]
    for request in (first, second):
        context = request.get_span_context()
        tops = [s for s in ours if s.parent is not None and s.parent.span_id == context.span_id]
        assert len(tops) == 1
        assert tops[0].attributes is not None
        assert tops[0].attributes["agenttrace.path"] == "/"
    ids = {s.context.span_id for s in ours} | {
        r.get_span_context().span_id for r in (first, second)
    }
    assert all(s.parent is not None and s.parent.span_id in ids for s in ours)
    assert {s.context.trace_id for s in ours} == {
        first.get_span_context().trace_id,
        second.get_span_context().trace_id,
    }


@pytest.mark.parametrize(
    "variables",
    [
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "{url}", "OTEL_EXPORTER_OTLP_HEADERS": "x-team=a%20b"},
        {
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "{url}/v1/traces",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-team=a%20b",
        },
    ],
    ids=["generic", "traces"],
)
def test_the_standard_variables_configure_the_export(
    receiver: OtlpReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
) -> None:
    """``AGENTTRACE_EXPORT_TO=otlp`` and the standard variables: ManualLogger records
    arrive, a failed call as an ERROR span with its exception event."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value.format(url=receiver.url))
    monkeypatch.setenv("OTEL_SERVICE_NAME", "research-bot")
    monkeypatch.setenv("AGENTTRACE_EXPORT_TO", "otlp")
    agenttrace.configure(spool_dir=tmp_path / "spool")
    if str(AGENTS) not in sys.path:
        sys.path.insert(0, str(AGENTS))
    import manual_research

    session_id = manual_research.run("porto", session_name="guide")
    assert agenttrace.flush(30)
    assert receiver.headers[0]["x-team"] == "a b"
    records = _check_tree(receiver.spans, session_id)
    assert {span.service_name for span in receiver.spans} == {"research-bot"}
    failed = [span for span in records if span.status_code == STATUS_ERROR]
    assert len(failed) == 1
    (event_name, event), *_ = failed[0].events
    assert event_name == "exception"
    assert event["exception.type"].endswith("FlakyDatabaseError")
    assert failed[0].attributes["agenttrace.status"] == "error"
    root = next(span for span in receiver.spans if span.parent_span_id is None)
    assert root.name == "guide"


def test_spans_go_into_the_users_tracer_provider(tmp_path: Path) -> None:
    """With ``otel_tracer_provider``, the graph's tree hangs under the user's current span
    in the user's trace, and goes out through the user's own processors."""
    from agenttrace.langchain import CallbackHandler

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    agenttrace.configure(
        otel_tracer_provider=provider, export_to="otlp", spool_dir=tmp_path / "spool"
    )
    thread_id = f"inside-{uuid.uuid4()}"
    with provider.get_tracer("user-app").start_as_current_span("handle request") as outer:
        run_scenario("supervisor", thread_id, [CallbackHandler()])
    assert agenttrace.flush(30)
    spans = [s for s in exported.get_finished_spans() if s.name != "handle request"]
    assert spans
    user_context = outer.get_span_context()
    assert {s.context.trace_id for s in spans} == {user_context.trace_id}
    tops = [s for s in spans if s.parent is not None and s.parent.span_id == user_context.span_id]
    assert len(tops) == 1
    assert tops[0].attributes is not None
    assert tops[0].attributes["agenttrace.path"] == "/"
    assert tops[0].instrumentation_scope is not None
    assert tops[0].instrumentation_scope.name == "agenttrace"
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing left current


def test_a_quiet_session_is_sent_without_a_flush(receiver: OtlpReceiver, tmp_path: Path) -> None:
    """Once a session has had no record for ``otlp_idle`` seconds its tree is sent by the
    background thread alone, whole (every span's ancestors in the same request)."""
    from agenttrace.langchain import CallbackHandler

    agenttrace.configure(
        otlp_endpoint=receiver.url,
        export_to="otlp",
        otlp_idle=0.5,
        flush_interval=0.05,
        spool_dir=tmp_path / "spool",
    )
    thread_id = f"quiet-{uuid.uuid4()}"
    run_scenario("supervisor", thread_id, [CallbackHandler()])
    assert receiver.arrived.wait(30)  # no flush() called
    spans = list(receiver.spans)
    by_id = {span.span_id: span for span in spans}
    for span in spans:
        assert span.attributes["session.id"] == thread_id
        assert _path_of(span, by_id) == span.attributes["agenttrace.path"]


def test_the_privacy_rules_apply_to_the_spans(receiver: OtlpReceiver, tmp_path: Path) -> None:
    """``send_bodies=False`` leaves the bodies out of the spans, and ``redact_metadata``
    masks a secret in a property, as on the native wire (the rules run before either)."""
    from agenttrace import ManualLogger

    agenttrace.configure(
        otlp_endpoint=receiver.url, export_to="otlp", send_bodies=False, spool_dir=tmp_path
    )
    with agenttrace.session(name="private", properties={"token": "sk-abcdefghijklmnop1234"}):
        ManualLogger().log_request(
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "my secret"}]},
            lambda recorder: recorder.append_results({"content": "answer"}),
            {"Helicone-Session-Path": "/ask"},
            "openai",
        )
    assert agenttrace.flush(30)
    (record,) = [s for s in receiver.spans if "agenttrace.record.id" in s.attributes]
    assert "input.value" not in record.attributes
    assert "output.value" not in record.attributes
    assert "sk-abcdefghijklmnop1234" not in record.attributes["agenttrace.properties"]
    assert record.attributes["agenttrace.path"] == "/ask"


def test_a_refused_export_makes_flush_false(receiver: OtlpReceiver, tmp_path: Path) -> None:
    """An endpoint that refuses the spans (404 here): ``flush()`` says they were not
    delivered instead of pretending; configured with the right endpoint, it delivers."""
    from agenttrace import ManualLogger

    agenttrace.configure(
        otlp_endpoint=f"{receiver.url}/wrong", export_to="otlp", spool_dir=tmp_path
    )
    ManualLogger().log_request({"q": 1}, lambda recorder: {"a": 1}, {"Helicone-Session-Id": "r"})
    assert not agenttrace.flush(30)
    assert receiver.spans == []
    agenttrace.configure(otlp_endpoint=receiver.url, export_to="otlp", spool_dir=tmp_path)
    ManualLogger().log_request({"q": 2}, lambda recorder: {"a": 2}, {"Helicone-Session-Id": "r"})
    assert agenttrace.flush(30)
    assert len([s for s in receiver.spans if "agenttrace.record.id" in s.attributes]) == 1


def test_node_spans_whose_export_failed_are_sent_again(
    receiver: OtlpReceiver, tmp_path: Path
) -> None:
    """A session's first tree refused by the endpoint: its next tree sends the root and
    node spans again (a node counts as sent only once delivered), so nothing received
    names a parent that never arrived."""
    from agenttrace import ManualLogger

    agenttrace.configure(otlp_endpoint=receiver.url, export_to="otlp", spool_dir=tmp_path)
    headers = {"Helicone-Session-Id": f"refused-{uuid.uuid4()}", "Helicone-Session-Path": "/a"}
    receiver.refuse = True
    ManualLogger().log_request({"q": 1}, lambda recorder: {"a": 1}, headers)
    assert not agenttrace.flush(30)
    receiver.refuse = False
    ManualLogger().log_request({"q": 2}, lambda recorder: {"a": 2}, headers)
    assert agenttrace.flush(30)
    records = _check_tree(receiver.spans, headers["Helicone-Session-Id"])
    assert len(records) == 1
    assert sorted(s.attributes["agenttrace.path"] for s in receiver.spans) == ["/", "/a", "/a"]


@pytest.mark.parametrize(
    ("options", "wanted"),
    [
        ({"export_to": "jaeger"}, "is not one of agenttrace, otlp, both"),
        ({"otlp_endpoint": "localhost:4318"}, r"not an http\(s\) URL"),
        ({"otlp_endpoint": "http://h:4318", "otlp_headers": "novalue"}, "is not key=value"),
    ],
)
def test_bad_options_say_what_to_write(options: dict[str, str], wanted: str) -> None:
    """A wrong export option is a ConfigurationError naming the fix."""
    with pytest.raises(ConfigurationError, match=wanted):
        agenttrace.configure(**options)  # type: ignore[arg-type]
