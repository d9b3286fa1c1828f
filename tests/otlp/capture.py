"""Capture real spans from the real instrumentors, and the handler's records of the same run.

A scenario runs one of the example graphs (``examples/agents``, offline fake models) with
an instrumentor (OpenInference's or OpenLLMetry's LangChain instrumentor) sending to an
in-memory span exporter, and agenttrace's own ``CallbackHandler`` attached to the same run
(its records go to an in-memory exporter): the same calls, traced both ways.
`encode_protobuf` / `encode_json` turn the spans into OTLP bodies with the SDK exporters'
own encoders. ``python -m tests.otlp.record_fixtures`` re-records ``fixtures/``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("TRACELOOP_TELEMETRY", "false")
os.environ.setdefault("OTEL_SDK_DISABLED", "false")

from opentelemetry.exporter.otlp.json.common.trace_encoder import (
    encode_spans as encode_json_spans,
)
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

import agenttrace
from agenttrace.records import Record
from agenttrace.testing import InMemoryExporter

AGENTS = Path(__file__).resolve().parents[2] / "examples" / "agents"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
INSTRUMENTORS = ("openinference", "openllmetry")
SCENARIOS = ("supervisor", "parallel_research", "human_in_the_loop")

__all__ = [
    "FIXTURES",
    "INSTRUMENTORS",
    "SCENARIOS",
    "Capture",
    "capture",
    "encode_json",
    "encode_protobuf",
    "interrupt",
    "run_scenario",
]


class Capture:
    """The spans an instrumentor exported and the records the handler made of one run."""

    def __init__(self, spans: Sequence[ReadableSpan], records: Sequence[Record]) -> None:
        self.spans = list(spans)
        self.records = list(records)


def encode_protobuf(spans: Sequence[ReadableSpan]) -> bytes:
    """An OTLP ExportTraceServiceRequest, as the protobuf exporter sends it."""
    return bytes(encode_spans(spans).SerializeToString())


def encode_json(spans: Sequence[ReadableSpan]) -> bytes:
    """An OTLP ExportTraceServiceRequest, as the JSON exporter sends it."""
    return str(encode_json_spans(spans).to_json()).encode()


_INSTRUMENTORS: dict[str, tuple[Any, TracerProvider, InMemorySpanExporter]] = {}


@contextmanager
def _instrumented(name: str) -> Iterator[InMemorySpanExporter]:
    """LangChain traced by the instrumentor ``name`` (``openinference`` or ``openllmetry``)
    while the block runs, its spans going to the returned exporter; uninstrumented after,
    so that no later test in the process runs under its global patch. Each instrumentor
    and its tracer provider are made once per process (OpenLLMetry keeps its first provider
    even after ``uninstrument``)."""
    made = _INSTRUMENTORS.get(name)
    if made is None:
        instrumentor: Any
        if name == "openinference":
            from openinference.instrumentation.langchain import LangChainInstrumentor

            instrumentor = LangChainInstrumentor()
        else:
            from opentelemetry.instrumentation.langchain import LangchainInstrumentor

            instrumentor = LangchainInstrumentor()
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        made = _INSTRUMENTORS[name] = (instrumentor, provider, exporter)
    instrumentor, provider, exporter = made
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        instrumentor.uninstrument()


def _examples() -> None:
    if str(AGENTS) not in sys.path:
        sys.path.insert(0, str(AGENTS))


def _run_supervisor(thread_id: str, callbacks: list[Any]) -> None:
    import supervisor
    from langchain_core.messages import HumanMessage

    graph = supervisor.build_graph()
    graph.invoke(
        {"messages": [HumanMessage(content=supervisor.QUESTION)]},
        config={"callbacks": callbacks, "configurable": {"thread_id": thread_id}},
    )


def _run_parallel(thread_id: str, callbacks: list[Any]) -> None:
    import parallel_research

    graph = parallel_research.build_graph()
    graph.invoke(
        {"question": parallel_research.QUESTION, "places": [], "notes": [], "report": ""},
        config={"callbacks": callbacks, "configurable": {"thread_id": thread_id}},
    )


def interrupt(thread_id: str, callbacks: list[Any]) -> Callable[[list[Any]], None]:
    """Run the interrupt / resume example up to its interrupt; returns the resume (which
    takes its own callbacks: a later request may trace differently)."""
    _examples()
    os.environ.pop("AGENTTRACE_EXAMPLE_MODEL", None)
    import human_in_the_loop as hitl
    from _models import chat_model
    from _react import react_agent
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    agent = react_agent(
        chat_model(hitl.script), [hitl.send_email], prompt=hitl.PROMPT, checkpointer=InMemorySaver()
    )
    configurable = {"thread_id": thread_id}
    agent.invoke(
        {"messages": [("user", hitl.REQUEST)]},
        {"callbacks": callbacks, "configurable": configurable},
    )

    def resume(resume_callbacks: list[Any]) -> None:
        agent.invoke(
            Command(resume={"approved": True, "reason": "approved"}),
            {"callbacks": resume_callbacks, "configurable": configurable},
        )

    return resume


def _run_human_in_the_loop(thread_id: str, callbacks: list[Any]) -> None:
    interrupt(thread_id, callbacks)(callbacks)


_RUNS: dict[str, Callable[[str, list[Any]], None]] = {
    "supervisor": _run_supervisor,
    "parallel_research": _run_parallel,
    "human_in_the_loop": _run_human_in_the_loop,
}


def run_scenario(scenario: str, thread_id: str, callbacks: list[Any]) -> None:
    """Run the example graph ``scenario`` once (offline models) with ``callbacks``."""
    _examples()
    os.environ.pop("AGENTTRACE_EXAMPLE_MODEL", None)
    _RUNS[scenario](thread_id, callbacks)


def capture(scenario: str, instrumentor: str, *, thread_id: str) -> Capture:
    """Run ``scenario`` once, traced by ``instrumentor`` and by agenttrace's handler."""
    _examples()
    from agenttrace.langchain import CallbackHandler

    os.environ.pop("AGENTTRACE_EXAMPLE_MODEL", None)
    records = InMemoryExporter()
    agenttrace.configure(exporter=records)
    with _instrumented(instrumentor) as spans:
        spans.clear()
        _RUNS[scenario](thread_id, [CallbackHandler()])
        captured = Capture(spans.get_finished_spans(), records.records)
        spans.clear()
    return captured
