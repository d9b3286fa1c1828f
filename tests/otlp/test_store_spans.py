"""`Store.ingest_spans` on every backend: records whose ancestors arrive in a later export
move into their session and roll up exactly as native ingest of the same records does;
on SQLite, the statements that look spans up and move records read only what they need
(SQLite plans without statistics, and would rather walk a project's whole table)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from agenttrace.records import Record, Usage
from agenttrace.server.otlp.paths import resolve_place
from agenttrace.server.store import SessionQuery, SQLiteStore, Store, session_filter
from agenttrace.server.store.metrics import Dimension, MetricsQuery
from agenttrace.server.store.otlp_spans import SpanLink

T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)
SESSION = "conversation-1"


def _agent(trace: str, span: str) -> SpanLink:
    return SpanLink(trace, span, None, segment="planner", session_id=SESSION)


def _chat(trace: str, span: str, parent: str, number: int) -> tuple[SpanLink, Record]:
    record_id = f"0199{number:04d}-0000-7000-8000-{trace[:6]}{span[:6]}"
    start = T0 + timedelta(seconds=number)
    record = Record(
        id=record_id,
        kind="llm",
        session_id=trace,  # the placeholder until placed, as the OTLP route sends it
        name="chat",
        model="gpt-4o-mini",
        provider="openai",
        user_id=f"user-{number % 3}",
        properties={"service.name": "agents", "team": f"t{number % 2}"},
        start_time=start,
        end_time=start + timedelta(milliseconds=100 + number),
        status="error" if number % 4 == 0 else "ok",
        usage=Usage(input_tokens=10 * number, output_tokens=number),
        cost_usd=0.001 * number,
    )
    return SpanLink(trace, span, parent, record_id=record_id), record


def _exports() -> list[tuple[list[SpanLink], dict[str, Record]]]:
    """Three exports: a trace with its agent; eight calls of another trace whose agent (which
    names the session) comes in the third export."""
    first_links = [_agent("a" * 32, "a1" * 8)]
    first_records: dict[str, Record] = {}
    link, record = _chat("a" * 32, "c0" * 8, "a1" * 8, 1)
    first_links.append(link)
    first_records[record.id] = record
    second_links: list[SpanLink] = []
    second_records: dict[str, Record] = {}
    for number in range(2, 10):
        link, record = _chat("b" * 32, f"{number:02d}" * 8, "b1" * 8, number)
        second_links.append(link)
        second_records[record.id] = record
    return [
        (first_links, first_records),
        (second_links, second_records),
        ([_agent("b" * 32, "b1" * 8)], {}),
    ]


def _placed_natively(records: list[Record]) -> list[Record]:
    return [
        record.model_copy(update={"session_id": SESSION, "session_path": "/planner"})
        for record in records
    ]


def _rounded(value: Any) -> Any:
    """``value`` with its floats rounded (sums taken in another order differ in the last
    digits)."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _session_figures(store: Store, project: str) -> dict[str, Any]:
    detail = store.get_session(project, SESSION)
    assert detail is not None
    figures = detail.session.model_dump(exclude={"updated_at"})
    figures["paths"] = [path.model_dump() for path in detail.paths]
    figures["sessions"] = store.query_sessions(project, SessionQuery()).total
    figures["of_user_1"] = store.query_sessions(
        project, SessionQuery(filter=session_filter(user_id="user-1"))
    ).total
    metrics = store.query_metrics(
        project, MetricsQuery(group_by=(Dimension.MODEL, Dimension.STATUS))
    )
    figures["metrics"] = [row.model_dump() for row in metrics.groups]
    return _rounded(figures)


def test_records_moved_into_a_session_roll_up_as_native_ingest(store: Store) -> None:
    """Calls stored before the agent span that names their session move into it when it
    arrives; the session (counts, tokens, cost, users, properties, paths) and the metrics
    are then what ``/v1/records`` gives for the same calls at the same place."""
    stored: list[Record] = []
    for links, records in _exports():
        stored.extend(records.values())
        store.ingest_spans("otlp", links, dict(records), resolve_place)
    store.ingest("native", _placed_natively(stored))
    otlp, native = _session_figures(store, "otlp"), _session_figures(store, "native")
    assert otlp["request_count"] == 9
    assert otlp["sessions"] == 1  # the trace's own session, left empty, is gone
    assert otlp == native


class _Statements:
    """The SQL the SQLite writer runs (its trace callback gives each with its values)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, statement: str) -> None:
        self.seen.append(statement)


def _walks_a_project(conn: sqlite3.Connection, statement: str) -> list[str]:
    """The lines of ``statement``'s plan that read a project's whole table or index."""
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]
    return [
        line for line in plan
        if line.startswith(("SCAN otlp_spans", "SCAN records"))
        or (line.startswith("SEARCH") and line.endswith("(project_id=?)"))
    ]  # fmt: skip


def test_sqlite_looks_spans_up_without_walking_the_project(tmp_path: Any) -> None:
    """Looking up ancestors and descendants, and moving records between sessions, reads the
    spans and records concerned, not every one the project has (which made each export
    slower as the database grew)."""
    store = SQLiteStore(tmp_path / "spans.db")
    try:
        statements = _Statements()
        store._writer.set_trace_callback(statements)
        for links, records in _exports():
            store.ingest_spans("otlp", links, records, resolve_place)
        store._writer.set_trace_callback(None)
        detail = store.get_session("otlp", SESSION)
        assert detail is not None
        assert detail.session.request_count == 9  # eight calls moved into the session
        walks = {
            statement[:120]: found
            for statement in statements.seen
            if statement.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE"))
            and ("otlp_spans" in statement or "records" in statement)
            and (found := _walks_a_project(store._writer, statement))
        }
        assert walks == {}
    finally:
        store.close()
