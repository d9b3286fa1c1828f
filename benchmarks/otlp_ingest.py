"""OTLP ingest vs native ingest: the same LLM calls, sent both ways to one SQLite collector.

    uv run python benchmarks/otlp_ingest.py [--calls 20000] [--rounds 3]
    uv run python benchmarks/otlp_ingest.py --phoenix /tmp/phoenix/bin/phoenix   # + the peer
    uv run python benchmarks/otlp_ingest.py --same-rows   # + native storing the same rows

The calls are GenAI-convention spans made with the OpenTelemetry SDK: per trace, one
``invoke_agent`` span (the agent, a path segment) and nine ``chat`` spans (records, with
model, usage and short messages), in batches of 512 as ``BatchSpanProcessor`` hands them
over (children first: each trace's chat spans end before its agent span). Native: the
same calls as records posted to ``/v1/records`` in batches of 512 (what the shipper
sends), in two forms that take turns:

* ``native``: the messages as JSON structures in the record's request and response, as
  agenttrace's own producers send a call's messages (the LangChain handler's
  ``{"messages": [...]}``, a ManualLogger user's request dict): the same calls, the way
  native producers send them, against which the ratio target is read;
* ``native, text``: the messages as the attributes' JSON text, one string each (bodies
  the collector neither walks nor rebuilds: the cheapest a record can be; the ratio is
  printed too).

With ``--same-rows`` a third form takes its turn: records stored as the OTLP route stores
the spans, the messages parsed and the resource's ``service.name`` as a property (a
property row per record, and its session and metrics rows). One collector process
(``agenttrace serve``, SQLite); the runs take turns, round after round; medians and their
ratios are printed, and every record is checked stored.

Two OTLP figures:

* ``otlp`` (the ingest rate, against the targets): the bodies the SDK's
  ``OTLPSpanExporter`` sends (its own protobuf encoder, ``encode_spans``), made before the
  clock starts and posted one after the other, as the native bodies are (serialised
  before the clock starts, posted by the same HTTP client);
* ``exporter``: the SDK's ``OTLPSpanExporter.export`` itself, end to end: its protobuf
  encoding of each batch (about 45 us of the client's CPU a span, in the benchmark's own
  process) happens on the clock, between the collector's answers.

Beside the rates, the collector process's CPU time a call (user and system, while the
bodies are posted), OTLP against native: on a machine shared with
other jobs it moves far less than the rates do.

Targets: OTLP ingest at least 0.8x native (the structured form), and 20,000 LLM spans/s.
With ``--phoenix``, Arize Phoenix's own OTLP ingest of the same spans takes its turn too, as
the peer figure (`phoenix_peer`).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil
from _collector import collector_process
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from phoenix_peer import phoenix_process, phoenix_rate
from shipper_throughput import calibration_ms

from agenttrace.query import QueryClient
from agenttrace.records import Record, RecordBatch, RecordKind, Usage

BATCH = 512
CALLS_PER_TRACE = 9
RATIO_TARGET = 0.8
RATE_TARGET = 20_000

Form = Literal["structured", "text", "same_rows"]
"""How the native records carry the calls (`as_records`)."""
FORMS: dict[Form, str] = {
    "structured": "native",
    "text": "native, text",
    "same_rows": "native, same rows",
}


def make_spans(calls: int, conversation: str) -> list[ReadableSpan]:
    """``calls`` chat spans under one agent span per nine, in the order they end."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("benchmark")
    made = 0
    while made < calls:
        with tracer.start_as_current_span("invoke_agent planner") as agent:
            agent.set_attribute("gen_ai.operation.name", "invoke_agent")
            agent.set_attribute("gen_ai.agent.name", "planner")
            agent.set_attribute("gen_ai.conversation.id", conversation)
            for _ in range(min(CALLS_PER_TRACE, calls - made)):
                with tracer.start_as_current_span("chat gpt-4o-mini") as chat:
                    chat.set_attribute("gen_ai.operation.name", "chat")
                    chat.set_attribute("gen_ai.provider.name", "openai")
                    chat.set_attribute("gen_ai.request.model", "gpt-4o-mini")
                    chat.set_attribute("gen_ai.usage.input_tokens", 120)
                    chat.set_attribute("gen_ai.usage.output_tokens", 30)
                    chat.set_attribute(
                        "gen_ai.input.messages",
                        '[{"role": "user", "parts": [{"type": "text", "content": "Summarise '
                        'the notes on Lisbon in one line."}]}]',
                    )
                    chat.set_attribute(
                        "gen_ai.output.messages",
                        '[{"role": "assistant", "parts": [{"type": "text", "content": '
                        '"Lisbon: hilly, sunny, 545,000 people."}]}]',
                    )
                made += 1
    provider.shutdown()
    return list(exporter.get_finished_spans())


def as_records(
    spans: list[ReadableSpan], session_id: str, *, form: Form = "structured"
) -> list[Record]:
    """The chat spans as the records a native producer sends for the same calls: the
    messages as JSON structures (``structured``, as the LangChain handler sends them), as
    the attributes' JSON text (``text``), or as the OTLP route stores them (``same_rows``:
    structures, and the resource's ``service.name`` as a property)."""
    records = []
    for span in spans:
        if span.name != "chat gpt-4o-mini":
            continue
        attributes = span.attributes or {}
        inputs: Any = attributes["gen_ai.input.messages"]
        outputs: Any = attributes["gen_ai.output.messages"]
        properties: dict[str, str] = {}
        if form != "text":
            inputs, outputs = json.loads(str(inputs)), json.loads(str(outputs))
        if form == "same_rows":
            properties["service.name"] = str(span.resource.attributes["service.name"])
        records.append(
            Record(
                kind=RecordKind.LLM,
                session_id=session_id,
                session_path="/planner",
                name=span.name,
                model="gpt-4o-mini",
                provider="openai",
                start_time=datetime.fromtimestamp((span.start_time or 0) / 1e9, tz=UTC),
                end_time=datetime.fromtimestamp((span.end_time or 0) / 1e9, tz=UTC),
                usage=Usage(input_tokens=120, output_tokens=30, total_tokens=150),
                properties=properties,
                request={"messages": inputs},
                response={"messages": outputs},
            )
        )
    return records


def _stored(url: str, session_id: str) -> int:
    with QueryClient(url) as client:
        return client.session(session_id).session.request_count


@functools.cache
def _collector(url: str) -> psutil.Process:
    """The collector process serving ``url`` (a child of this one)."""
    port = url.rpartition(":")[2]
    for child in psutil.Process().children(recursive=True):
        command = child.cmdline()
        if "agenttrace.server" in command and port in command:
            return child
    raise RuntimeError("the collector process was not found")


def _cpu_s(url: str) -> float:
    """The CPU time (user and system) the collector serving ``url`` has used so far."""
    times = _collector(url).cpu_times()
    return float(times.user + times.system)


def otlp_rate(url: str, calls: int, cpu: list[float] | None = None) -> float:
    """LLM spans/s: the SDK exporter's protobuf bodies, encoded beforehand, posted (the
    collector's CPU time a call appended to ``cpu``)."""
    conversation = f"otlp-{uuid.uuid4()}"
    spans = make_spans(calls, conversation)
    bodies = [
        encode_spans(spans[start : start + BATCH]).SerializePartialToString()
        for start in range(0, len(spans), BATCH)
    ]  # what OTLPSpanExporter.export sends
    with httpx.Client(timeout=60) as client:
        started, cpu_before = time.perf_counter(), _cpu_s(url)
        for body in bodies:
            client.post(
                f"{url}/v1/traces",
                content=body,
                headers={"Content-Type": "application/x-protobuf"},
            ).raise_for_status()
        elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append((_cpu_s(url) - cpu_before) / calls * 1e6)
    if _stored(url, conversation) != calls:
        raise RuntimeError("not every OTLP call was stored")
    return calls / elapsed


def exporter_rate(url: str, calls: int) -> float:
    """LLM spans/s through the SDK's protobuf exporter, its encoding on the clock."""
    conversation = f"exporter-{uuid.uuid4()}"
    spans = make_spans(calls, conversation)
    exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", timeout=60)
    started = time.perf_counter()
    for start in range(0, len(spans), BATCH):
        if exporter.export(spans[start : start + BATCH]) is not SpanExportResult.SUCCESS:
            raise RuntimeError("the OTLP export failed")
    elapsed = time.perf_counter() - started
    exporter.shutdown()
    if _stored(url, conversation) != calls:
        raise RuntimeError("not every OTLP call was stored")
    return calls / elapsed


def native_rate(
    url: str, calls: int, cpu: list[float] | None = None, *, form: Form = "structured"
) -> float:
    """Records/s posted to /v1/records, for the same calls (`as_records` in ``form``; the
    collector's CPU time a call appended to ``cpu``)."""
    session_id = f"native-{uuid.uuid4()}"
    records = as_records(make_spans(calls, session_id), session_id, form=form)
    bodies = [
        RecordBatch(records=records[start : start + BATCH]).model_dump_json(exclude_none=True)
        for start in range(0, len(records), BATCH)
    ]
    with httpx.Client(timeout=60) as client:
        started, cpu_before = time.perf_counter(), _cpu_s(url)
        for body in bodies:
            client.post(
                f"{url}/v1/records", content=body, headers={"Content-Type": "application/json"}
            ).raise_for_status()
        elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append((_cpu_s(url) - cpu_before) / calls * 1e6)
    if _stored(url, session_id) != calls:
        raise RuntimeError("not every native record was stored")
    return calls / elapsed


def main() -> int:
    """Take turns, print each round, the medians and whether the targets are met."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="LLM calls per run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (medians are reported)")
    parser.add_argument("--phoenix", help="the phoenix command of a venv with arize-phoenix")
    parser.add_argument(
        "--same-rows",
        action="store_true",
        help="also native records stored as the OTLP route stores the spans (messages "
        "parsed, service.name as a property)",
    )
    args = parser.parse_args()
    forms: list[Form] = ["structured", "text", *(["same_rows"] if args.same_rows else [])]
    print(f"{args.calls} LLM calls per run ({CALLS_PER_TRACE} per trace), batches of {BATCH}")
    print(f"CPU calibration (a fixed 1M-step Python loop): {calibration_ms():.1f} ms")
    rates: dict[str, list[float]] = {"otlp": [], "exporter": [], "phoenix": []}
    rates.update({form: [] for form in forms})
    cpu: dict[str, list[float]] = {"otlp": [], **{form: [] for form in forms}}
    with ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(collector_process(Path(data_dir)))
        phoenix = None
        if args.phoenix:
            phoenix_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            phoenix = stack.enter_context(phoenix_process(args.phoenix, phoenix_dir))
            phoenix_rate(phoenix, 2 * BATCH, make_spans)  # warm-up
        otlp_rate(url, 2 * BATCH)  # warm-up
        exporter_rate(url, 2 * BATCH)
        for form in forms:
            native_rate(url, 2 * BATCH, form=form)
        for round_number in range(1, args.rounds + 1):
            rates["otlp"].append(otlp_rate(url, args.calls, cpu["otlp"]))
            rates["exporter"].append(exporter_rate(url, args.calls))
            for form in forms:
                rates[form].append(native_rate(url, args.calls, cpu[form], form=form))
            natives = ", ".join(
                f"{FORMS[form]} {rates[form][-1]:,.0f} records/s ({cpu[form][-1]:.0f} us)"
                for form in forms
            )
            line = (
                f"round {round_number}: OTLP {rates['otlp'][-1]:,.0f} LLM spans/s "
                f"({cpu['otlp'][-1]:.0f} us of the collector's CPU a call), exporter end to "
                f"end {rates['exporter'][-1]:,.0f}/s; {natives}"
            )
            if phoenix is not None:
                rates["phoenix"].append(phoenix_rate(phoenix, args.calls, make_spans))
                line += f"; Phoenix {rates['phoenix'][-1]:,.0f} LLM spans/s (stored)"
            print(line)
    otlp = statistics.median(rates["otlp"])
    exporter = statistics.median(rates["exporter"])
    otlp_cpu = statistics.median(cpu["otlp"])
    print(f"median: OTLP {otlp:,.0f} LLM spans/s ({otlp_cpu:.0f} us of CPU a call)")
    ratios: dict[Form, float] = {}
    for form in forms:
        native, native_cpu = statistics.median(rates[form]), statistics.median(cpu[form])
        ratios[form] = otlp / native
        print(
            f"  OTLP / {FORMS[form]} ({native:,.0f} records/s): {ratios[form]:.2f}x; "
            f"CPU a call native / OTLP: {native_cpu / otlp_cpu:.2f}x ({native_cpu:.0f} us)"
        )
    native = statistics.median(rates["structured"])
    print(f"exporter end to end / native: {exporter / native:.2f}x (its encoding on the clock)")
    if rates["phoenix"]:
        peer = statistics.median(rates["phoenix"])
        print(
            f"Phoenix (peer, same spans): {peer:,.0f} LLM spans/s; agenttrace OTLP / Phoenix: "
            f"{otlp / peer:.2f}x"
        )
    ratio = ratios["structured"]
    print(
        f"OTLP / native {ratio:.2f}x (target >= {RATIO_TARGET}x): "
        f"{'met' if ratio >= RATIO_TARGET else 'NOT met'}"
    )
    print(f"OTLP rate target {RATE_TARGET:,}/s: {'met' if otlp >= RATE_TARGET else 'NOT met'}")
    return 0 if ratio >= RATIO_TARGET and otlp >= RATE_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
