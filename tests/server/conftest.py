"""Fixtures for the collector tests: record builders and a hand-built session whose
every metric is worked out by hand below."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.store import SqlStore, Store

T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)

RecordDict = dict[str, Any]
MakeRecord = Callable[..., RecordDict]


def at(ms: float) -> str:
    """T0 plus ``ms`` milliseconds, as the ISO string a client sends."""
    return (T0 + timedelta(milliseconds=ms)).isoformat()


def _make_record(
    record_id: str,
    session_id: str = "s-1",
    *,
    start_ms: float = 0,
    end_ms: float | None = None,
    **fields: Any,
) -> RecordDict:
    record: RecordDict = {
        "id": record_id,
        "session_id": session_id,
        "start_time": at(start_ms),
        "end_time": at(end_ms) if end_ms is not None else None,
    }
    record.update(fields)
    return record


@pytest.fixture(scope="session")
def make_record() -> MakeRecord:
    """``make_record(id, session_id, start_ms=, end_ms=, **fields)`` -> a wire record dict."""
    return _make_record


@dataclass(frozen=True)
class HandBuilt:
    """A session of five requests and its metrics, worked out by hand."""

    session_id: str
    records: list[RecordDict]
    session: dict[str, Any]
    paths: dict[str, dict[str, Any]]

    def models(self) -> list[Record]:
        """The records as `Record` objects (for store-level tests)."""
        return [Record.model_validate(r) for r in self.records]


def _hand_built() -> HandBuilt:
    sid = "s-hand"
    records = [
        _make_record(
            "r1",
            sid,
            start_ms=0,
            end_ms=1000,
            kind="llm",
            session_path="/planner",
            session_name="Trip planner",
            model="gpt-4o",
            provider="openai",
            user_id="u1",
            properties={"env": "prod"},
            cost_usd=0.01,
            usage={"input_tokens": 100, "output_tokens": 20},
            request={"messages": [{"role": "user", "content": "plan"}]},
            response={"content": "ok"},
        ),
        _make_record(
            "r2",
            sid,
            start_ms=1200,
            end_ms=1500,
            kind="tool",
            session_path="/planner/tools/search",
            user_id="u2",
            parent_id="r1",
            properties={"env": "prod", "team": "a"},
            status="error",
            error={"type": "TimeoutError", "message": "search timed out"},
        ),
        _make_record(
            "r3",
            sid,
            start_ms=1600,
            end_ms=1800,
            kind="tool",
            session_path="/planner/tools/search",
            cost_usd=0.002,
            attempt=2,
        ),
        _make_record(
            "r4",
            sid,
            start_ms=2000,
            end_ms=5000,
            kind="llm",
            session_path="/writer",
            session_name="A later name",
            status="interrupted",
            cost_usd=0.03,
            usage={
                "input_tokens": 300,
                "output_tokens": 100,
                "total_tokens": 400,
                "cache_read_tokens": 50,
                "reasoning_tokens": 30,
            },
            time_to_first_token_ms=120.5,
            branch_id="task-1",
        ),
        _make_record(
            "r5",
            sid,
            start_ms=5500,
            end_ms=None,
            kind="llm",
            session_path="/writer",
            status="cancelled",
            usage={"input_tokens": 10, "output_tokens": 0},
        ),
    ]
    # Ended latencies: 1000, 300, 200, 3000 ms -> sorted 200, 300, 1000, 3000.
    # p50 = (300 + 1000) / 2 = 650; p95 at rank 2.85 = 1000 + 0.85 * 2000 = 2700.
    session = {
        "session_id": sid,
        "session_name": "Trip planner",  # from the earliest named request (r1)
        "start_time": "2025-03-01T10:00:00Z",
        "last_start_time": "2025-03-01T10:00:05.500000Z",
        "cost_usd": pytest.approx(0.042),
        "request_count": 5,
        "input_tokens": 410,
        "output_tokens": 120,
        "total_tokens": 530,
        "mean_latency_ms": pytest.approx(1125.0),
        "error_count": 1,
        "status": "error",
        "duration_ms": pytest.approx(5500.0),  # r5 has no end: its start counts as its end
        "p50_latency_ms": pytest.approx(650.0),
        "p95_latency_ms": pytest.approx(2700.0),
        "user_ids": ["u1", "u2"],
        "properties": {"env": "prod", "team": "a"},
        "waiting_since": None,
    }
    no_human = {"human_count": 0, "human_wait_p50_ms": None, "human_wait_p95_ms": None}
    paths = {
        "/planner": {
            "request_count": 1, "error_count": 0, "cost_usd": pytest.approx(0.01),
            "input_tokens": 100, "output_tokens": 20, "total_tokens": 120,
            "mean_latency_ms": pytest.approx(1000.0), "p50_latency_ms": pytest.approx(1000.0),
            "p95_latency_ms": pytest.approx(1000.0), "duration_ms": pytest.approx(1000.0),
            "session_count": 1, **no_human,
        },
        "/planner/tools/search": {
            "request_count": 2, "error_count": 1, "cost_usd": pytest.approx(0.002),
            "input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
            "mean_latency_ms": pytest.approx(250.0), "p50_latency_ms": pytest.approx(250.0),
            "p95_latency_ms": pytest.approx(295.0), "duration_ms": pytest.approx(600.0),
            "session_count": 1, **no_human,
        },
        "/writer": {
            "request_count": 2, "error_count": 0, "cost_usd": pytest.approx(0.03),
            "input_tokens": 310, "output_tokens": 100, "total_tokens": 410,
            "mean_latency_ms": pytest.approx(3000.0), "p50_latency_ms": pytest.approx(3000.0),
            "p95_latency_ms": pytest.approx(3000.0), "duration_ms": pytest.approx(3500.0),
            "session_count": 1, **no_human,
        },
    }  # fmt: skip
    return HandBuilt(session_id=sid, records=records, session=session, paths=paths)


@pytest.fixture(scope="session")
def hand_built() -> HandBuilt:
    """The hand-built session (five requests over three paths) and its expected metrics."""
    return _hand_built()


EXPECTED_TREE: dict[str, Any] = {
    "name": "", "path": "/", "request_count": 5, "error_count": 1,
    "cost_usd": pytest.approx(0.042), "total_tokens": 530,
    "duration_ms": pytest.approx(5500.0), "request_ids": [],
    "children": [
        {
            "name": "planner", "path": "/planner", "request_count": 3, "error_count": 1,
            "cost_usd": pytest.approx(0.012), "total_tokens": 120,
            "duration_ms": pytest.approx(1800.0), "request_ids": ["r1"],
            "children": [
                {
                    "name": "tools", "path": "/planner/tools", "request_count": 2,
                    "error_count": 1, "cost_usd": pytest.approx(0.002), "total_tokens": 0,
                    "duration_ms": pytest.approx(600.0), "request_ids": [],
                    "children": [
                        {
                            "name": "search", "path": "/planner/tools/search",
                            "request_count": 2, "error_count": 1,
                            "cost_usd": pytest.approx(0.002), "total_tokens": 0,
                            "duration_ms": pytest.approx(600.0),
                            "request_ids": ["r2", "r3"], "children": [],
                        }
                    ],
                }
            ],
        },
        {
            "name": "writer", "path": "/writer", "request_count": 2, "error_count": 0,
            "cost_usd": pytest.approx(0.03), "total_tokens": 410,
            "duration_ms": pytest.approx(3500.0), "request_ids": ["r4", "r5"],
            "children": [],
        },
    ],
}  # fmt: skip


@pytest.fixture(scope="session")
def expected_tree() -> dict[str, Any]:
    """The hand-built session's tree."""
    return EXPECTED_TREE


QueryPlan = Callable[[Store, str, Sequence[Any]], str]


def _query_plan(store: Store, sql: str, params: Sequence[Any]) -> str:
    """The store's plan for ``sql`` (``?`` placeholders) as one line. On PostgreSQL with
    sequential scans off: a test's tables are too small for the planner to prefer an
    index, and the question is whether one can serve the query."""
    assert isinstance(store, SqlStore)
    if store.backend != "postgresql":
        return " ".join(store.explain(sql, params))
    dialect = store.dialect
    with store._write() as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        rows = conn.execute(dialect.sql(dialect.explain_prefix + sql), list(params)).fetchall()
    return " ".join(dialect.plan_line(row) for row in rows)


@pytest.fixture
def query_plan() -> QueryPlan:
    """``query_plan(store, sql, params)``: see `_query_plan`."""
    return _query_plan
