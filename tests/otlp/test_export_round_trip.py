"""Records exported as OTLP spans and ingested by ``/v1/traces`` give what the native wire
gives: the same sessions, paths, kinds, names, models, tokens, costs and statuses.

One process configured with ``export_to="both"``: the native shipper posts to one real
collector, the OpenTelemetry exporter (the SDK's OTLP/HTTP protobuf exporter) to another.
The runs: the example LangGraph graphs with the LangChain handler (supervisor, ``Send``
fan-out, interrupt / resume, and a resume that comes after the session's tree was sent)
and the ManualLogger example (errors, retries, tools, a vector store, session name, user
and properties).
"""

from __future__ import annotations

import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agenttrace
from agenttrace.exceptions import NotFoundError
from agenttrace.query import QueryClient, RequestRow, SessionRow
from agenttrace.server.testing import RunningCollector, running_collector

from .capture import AGENTS, SCENARIOS, interrupt, run_scenario


@pytest.fixture(scope="module")
def native_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """The collector the native wire (``/v1/records``) goes to."""
    with running_collector(data_dir=tmp_path_factory.mktemp("native")) as collector:
        yield collector


@pytest.fixture
def both(
    native_collector: RunningCollector, otlp_collector: RunningCollector, tmp_path: Path
) -> Iterator[None]:
    """The process-wide tracer sending to both collectors, one by each wire."""
    agenttrace.configure(
        native_collector.url,
        otlp_endpoint=otlp_collector.url,
        spool_dir=tmp_path / "spool",
        otlp_idle=60.0,
    )
    yield
    agenttrace.configure(enabled=False, spool_dir=tmp_path / "spool")


def _request_shape(row: RequestRow) -> tuple[Any, ...]:
    cost = round(row.cost_usd, 12) if row.cost_usd is not None else None
    error = (row.error.type, row.error.message) if row.error else None
    return (
        row.id,
        row.session_path,
        row.kind.value,
        row.name,
        row.model,
        row.provider,
        row.status.value,
        error,
        row.input_tokens,
        row.output_tokens,
        row.total_tokens,
        row.cache_read_tokens,
        row.reasoning_tokens,
        cost,
        row.user_id,
        row.attempt,
        row.branch_id,
    )


def _session_shape(row: SessionRow) -> tuple[Any, ...]:
    return (
        row.session_id,
        row.session_name,
        row.request_count,
        round(row.cost_usd, 12),
        row.input_tokens,
        row.output_tokens,
        row.error_count,
        row.status,
        sorted(row.user_ids),
        sorted(row.properties.items()),
    )


def _same_session(native: str, otlp: str, session_id: str) -> Counter[tuple[Any, ...]]:
    with QueryClient(native) as a, QueryClient(otlp) as b:
        left, right = a.session(session_id), b.session(session_id)
        assert _session_shape(right.session) == _session_shape(left.session)
        assert [(p.path, p.request_count, p.error_count) for p in right.paths] == [
            (p.path, p.request_count, p.error_count) for p in left.paths
        ]
        native_rows = Counter(_request_shape(r) for r in left.requests)
        assert Counter(_request_shape(r) for r in right.requests) == native_rows
        return native_rows


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_langgraph_runs_round_trip(
    native_collector: RunningCollector, otlp_collector: RunningCollector, scenario: str
) -> None:
    """The handler's records of a real graph: identical on both collectors."""
    from agenttrace.langchain import CallbackHandler

    thread_id = f"{scenario}-{uuid.uuid4()}"
    run_scenario(scenario, thread_id, [CallbackHandler()])
    assert agenttrace.flush(60)
    rows = _same_session(native_collector.url, otlp_collector.url, thread_id)
    paths = {shape[1] for shape in rows}
    assert len(paths) > 1, paths  # real nesting, not everything at "/"
    if scenario == "human_in_the_loop":
        assert any(shape[6] == "interrupted" for shape in rows)


def _wait_for_session(url: str, session_id: str) -> None:
    """Until the collector at ``url`` knows the session (30 seconds at most)."""
    deadline = time.monotonic() + 30
    with QueryClient(url) as client:
        while True:
            try:
                client.session(session_id)
            except NotFoundError:
                assert time.monotonic() < deadline, "the session's tree never arrived"
                time.sleep(0.05)
            else:
                return


def test_a_session_resumed_after_its_export_round_trips(
    native_collector: RunningCollector, otlp_collector: RunningCollector, tmp_path: Path
) -> None:
    """The interrupt / resume example resumed after the interrupted part's tree was sent
    (the session quiet for ``otlp_idle``): the resume's spans, hung under node spans the
    collector got in an earlier export, give the same paths, statuses and tokens."""
    from agenttrace.langchain import CallbackHandler

    agenttrace.configure(
        native_collector.url,
        otlp_endpoint=otlp_collector.url,
        spool_dir=tmp_path / "spool",
        otlp_idle=0.3,
        flush_interval=0.05,
    )
    thread_id = f"resumed-{uuid.uuid4()}"
    try:
        handler = CallbackHandler()
        resume = interrupt(thread_id, [handler])
        _wait_for_session(otlp_collector.url, thread_id)  # the idle export, no flush
        resume([handler])
        assert agenttrace.flush(60)
    finally:
        agenttrace.configure(enabled=False, spool_dir=tmp_path / "spool")
    rows = _same_session(native_collector.url, otlp_collector.url, thread_id)
    assert {shape[1] for shape in rows} >= {"/agent", "/tools/send_email"}
    assert Counter(shape[6] for shape in rows)["interrupted"] >= 1


@pytest.mark.usefixtures("both")
def test_manual_logger_round_trips(
    native_collector: RunningCollector, otlp_collector: RunningCollector
) -> None:
    """ManualLogger records (an error and its retry, a tool, a vector store, a session
    name, user and properties): identical on both collectors."""
    if str(AGENTS) not in sys.path:
        sys.path.insert(0, str(AGENTS))
    import manual_research

    session_id = manual_research.run("lisbon", session_name=f"guide-{uuid.uuid4()}")
    assert agenttrace.flush(60)
    rows = _same_session(native_collector.url, otlp_collector.url, session_id)
    statuses = Counter(shape[6] for shape in rows)
    assert statuses["error"] == 1
    assert {shape[1] for shape in rows} >= {"/planner", "/research/facts_db", "/writer"}


def test_both_wires_to_one_collector_store_each_record_once(
    native_collector: RunningCollector, tmp_path: Path
) -> None:
    """``export_to="both"`` with the OTLP endpoint on the same collector: the spans carry
    the records' own ids, so each record is stored once: the same count as a run sent by
    the native wire alone."""
    from agenttrace.langchain import CallbackHandler

    counts = {}
    for export_to in ("agenttrace", "both"):
        agenttrace.configure(
            native_collector.url,
            otlp_endpoint=native_collector.url,
            export_to=export_to,
            spool_dir=tmp_path / "spool",
        )
        thread_id = f"once-{export_to}-{uuid.uuid4()}"
        try:
            run_scenario("supervisor", thread_id, [CallbackHandler()])
            assert agenttrace.flush(60)
        finally:
            agenttrace.configure(enabled=False, spool_dir=tmp_path / "spool")
        with QueryClient(native_collector.url) as client:
            counts[export_to] = client.session(thread_id).session.request_count
    assert counts["both"] == counts["agenttrace"] > 0
