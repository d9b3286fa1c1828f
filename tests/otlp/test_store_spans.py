"""`Store.ingest_spans` on every backend: records whose ancestors arrive in a later export
move into their session and roll up exactly as native ingest of the same records does;
on SQLite, the statements that look spans up and move records read only what they need
(SQLite plans without statistics, and would rather walk a project's whole table)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.support.older_schema import database_at_version

from agenttrace.records import Record, Usage
from agenttrace.server.otlp.paths import resolve_place
from agenttrace.server.store import (
    SessionQuery,
    SQLiteStore,
    Store,
    _metrics_rollup,
    session_filter,
)
from agenttrace.server.store._ingest import ingest_records
from agenttrace.server.store.metrics import Dimension, MetricsQuery
from agenttrace.server.store.migrations import MIGRATIONS
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
        if line.startswith(("SCAN otlp_spans", "SCAN otlp_waiting", "SCAN records"))
        or (line.startswith("SEARCH") and line.endswith("(project_id=?)"))
    ]  # fmt: skip


def test_sqlite_looks_spans_up_without_walking_the_project(tmp_path: Any) -> None:
    """Looking up ancestors and the descendants waiting for a span, and moving records
    between sessions, reads the spans and records concerned, not every one the project has
    (which made each export slower as the database grew)."""
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
            if statement.lstrip()
            .upper()
            .startswith(("SELECT", "WITH", "INSERT", "UPDATE", "DELETE"))
            and any(table in statement for table in ("otlp_spans", "otlp_waiting", "records"))
            and (found := _walks_a_project(store._writer, statement))
        }
        assert walks == {}
    finally:
        store.close()


def _call(
    trace: str, span: str, parent: str | None, number: int, *, segment: str | None = None
) -> tuple[SpanLink, Record]:
    """A record span (a tool when it has a ``segment``, else an LLM call)."""
    link, record = _chat(trace, span, parent or "", number)
    if segment is not None:
        record = record.model_copy(update={"kind": "tool", "name": segment})
    return SpanLink(trace, span, parent, segment=segment, record_id=link.record_id), record


def _places(store: Store, project: str) -> dict[str, tuple[str, str, str | None]]:
    """Each stored request's (session, path, parent record), by name."""
    detail = store.get_session(project, SESSION)
    assert detail is not None
    return {row.name: (row.session_id, row.session_path, row.parent_id) for row in detail.requests}


def test_a_stored_span_between_two_new_ones_is_placed_again(store: Store) -> None:
    """A tool span stored before its agent (which names the session), then the agent and a
    call inside the tool in one export: the tool moves under the agent (it is both the new
    call's stored ancestor and the new agent's stored descendant)."""
    trace = "c" * 32
    tool_link, tool = _call(trace, "t1" * 8, "a1" * 8, 1, segment="search")
    store.ingest_spans("otlp", [tool_link], {tool.id: tool}, resolve_place)
    chat_link, chat = _call(trace, "c1" * 8, "t1" * 8, 2)
    chat = chat.model_copy(update={"name": "chat"})
    store.ingest_spans("otlp", [chat_link, _agent(trace, "a1" * 8)], {chat.id: chat}, resolve_place)
    assert _places(store, "otlp") == {
        "search": (SESSION, "/planner/search", None),
        "chat": (SESSION, "/planner/search", tool.id),
    }
    assert store.query_sessions("otlp", SessionQuery()).total == 1


def test_spans_waiting_for_one_ancestor_are_placed_when_it_comes(store: Store) -> None:
    """A call, then the tool it ran in (each in its own export), then the agent: both wait
    for the agent and both move into its session and path when it comes; an export sent
    again changes nothing."""
    trace = "d" * 32
    tool_link, tool = _call(trace, "t2" * 8, "a2" * 8, 1, segment="search")
    chat_link, chat = _call(trace, "c2" * 8, "t2" * 8, 2)
    chat = chat.model_copy(update={"name": "chat"})
    exports: list[tuple[list[SpanLink], dict[str, Record]]] = [
        ([chat_link], {chat.id: chat}),
        ([tool_link], {tool.id: tool}),
        ([_agent(trace, "a2" * 8)], {}),
    ]
    for links, records in [*exports, *exports]:
        store.ingest_spans("otlp", links, dict(records), resolve_place)
    assert _places(store, "otlp") == {
        "search": (SESSION, "/planner/search", None),
        "chat": (SESSION, "/planner/search", tool.id),
    }
    detail = store.get_session("otlp", SESSION)
    assert detail is not None
    assert detail.session.request_count == 2
    assert store.query_sessions("otlp", SessionQuery()).total == 1


def test_migration_11_finds_the_spans_an_older_database_keeps_waiting(
    store_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call and the tool it ran in, stored by a collector of schema version 10 before
    their agent: after the upgrade, the agent's arrival places both (migration 11 notes
    what each stored span waits for)."""
    trace = "e" * 32
    tool_link, tool = _call(trace, "t3" * 8, "a3" * 8, 1, segment="search")
    chat_link, chat = _call(trace, "c3" * 8, "t3" * 8, 2)
    chat = chat.model_copy(update={"name": "chat"})
    with database_at_version(store_factory.database_url, 10) as (conn, dialect):
        for link in (tool_link, chat_link):
            conn.execute(
                dialect.sql(
                    "INSERT INTO otlp_spans (project_id, span_id, trace_id, parent_span_id, "
                    "segment, record_id, received_us) VALUES (?, ?, ?, ?, ?, ?, 1)"
                ),
                (
                    "otlp", link.span_id, trace, link.parent_span_id, link.segment,
                    link.record_id,
                ),
            )  # fmt: skip
        placed = [
            tool.model_copy(update={"session_path": "/search"}),
            chat.model_copy(update={"session_path": "/search", "parent_id": tool.id}),
        ]
        # this ingest's rollup has tables version 10 lacks (migration 12's); how the rollup
        # of an older database is carried over is tests/server/test_metrics_rollup.py's
        with monkeypatch.context() as patched:
            patched.setattr(_metrics_rollup, "add_rows_to_rollup", lambda *_: None)
            ingest_records(conn, dialect, "otlp", placed, 1)
    store = store_factory.open()
    assert store.applied_migrations == [m.version for m in MIGRATIONS if m.version > 10]
    store.ingest_spans("otlp", [_agent(trace, "a3" * 8)], {}, resolve_place)
    assert _places(store, "otlp") == {
        "search": (SESSION, "/planner/search", None),
        "chat": (SESSION, "/planner/search", tool.id),
    }
