"""Store rows in Helicone's SessionResult / HeliconeRequest / SessionNameResult shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenttrace.records import ErrorInfo, RecordKind, Status
from agenttrace.server.helicone import (
    helicone_request,
    helicone_session,
    helicone_session_names,
)
from agenttrace.server.store.query_rows import RequestRow, SessionRow

T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)
SESSION_RESULT_KEYS = [
    "created_at",
    "latest_request_created_at",
    "session_id",
    "session_name",
    "total_cost",
    "total_requests",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "avg_latency",
]


def session_row(**changes: Any) -> SessionRow:
    """A SessionRow with plausible values, ``changes`` applied."""
    values: dict[str, Any] = {
        "session_id": "s-1",
        "session_name": "Trip",
        "start_time": T0,
        "last_start_time": T0 + timedelta(seconds=5),
        "cost_usd": 0.25,
        "request_count": 4,
        "input_tokens": 100,
        "output_tokens": 20,
        "total_tokens": 120,
        "mean_latency_ms": 150.0,
        "error_count": 1,
        "status": "error",
        "duration_ms": 6000.0,
        "p50_latency_ms": 120.0,
        "p95_latency_ms": 300.0,
        "user_ids": ["alice"],
        "properties": {"env": "prod"},
    }
    values.update(changes)
    return SessionRow(**values)


def request_row(**changes: Any) -> RequestRow:
    """A RequestRow of an LLM call, ``changes`` applied."""
    values: dict[str, Any] = {
        "id": "r-1",
        "kind": RecordKind.LLM,
        "status": Status.ERROR,
        "session_id": "s-1",
        "session_name": None,
        "session_path": "/agent",
        "parent_id": None,
        "name": "gpt-4o",
        "model": "gpt-4o",
        "provider": "openai",
        "user_id": "alice",
        "properties": {"env": "prod"},
        "start_time": T0,
        "end_time": T0 + timedelta(milliseconds=800),
        "latency_ms": 800.0,
        "time_to_first_token_ms": 120.0,
        "input_tokens": 100,
        "output_tokens": 20,
        "total_tokens": 120,
        "cache_read_tokens": 60,
        "cache_write_tokens": None,
        "reasoning_tokens": None,
        "cost_usd": 0.01,
        "error": ErrorInfo(type="RateLimitError", message="slow down"),
        "attempt": 1,
        "branch_id": None,
        "request_body": {"messages": []},
        "response_body": {"error": "slow down"},
    }
    values.update(changes)
    return RequestRow(**values)


def test_session_result_fields_come_first_then_agenttrace_fields() -> None:
    """Helicone's ten fields, then error_count, status, duration and the rest."""
    answer = helicone_session(session_row())
    assert list(answer)[:10] == SESSION_RESULT_KEYS
    assert answer["created_at"] == "2025-03-01T10:00:00Z"
    assert answer["latest_request_created_at"] == "2025-03-01T10:00:05Z"
    assert (answer["total_cost"], answer["total_requests"], answer["avg_latency"]) == (0.25, 4, 150)
    assert answer["status"] == "error"
    assert answer["error_count"] == 1
    assert answer["user_ids"] == ["alice"]
    assert answer["properties"] == {"env": "prod"}


def test_session_result_is_never_null_where_helicone_is_not() -> None:
    """No name is "", no cost or latency is 0 (Helicone's columns are never null)."""
    answer = helicone_session(session_row(session_name=None, cost_usd=None, mean_latency_ms=None))
    assert (answer["session_name"], answer["total_cost"], answer["avg_latency"]) == ("", 0.0, 0.0)


def test_helicone_request_shape() -> None:
    """HeliconeRequest names hold agenttrace's values; what is not kept is null, not made up."""
    answer = helicone_request(request_row())
    assert answer["request_id"] == "r-1"
    assert answer["request_created_at"] == "2025-03-01T10:00:00Z"
    assert answer["response_created_at"] == "2025-03-01T10:00:00.800000Z"
    assert answer["request_properties"]["Helicone-Session-Id"] == "s-1"
    assert answer["properties"] == answer["request_properties"]
    assert (answer["provider"], answer["response_status"]) == ("OPENAI", 500)
    assert answer["request_model"] == answer["response_model"] == answer["model"] == "gpt-4o"
    assert (answer["prompt_cache_read_tokens"], answer["prompt_cache_write_tokens"]) == (60, None)
    assert answer["cost"] == answer["costUSD"] == 0.01
    assert answer["request_body"] == {"messages": []}
    assert answer["response_body"] == {"error": "slow down"}
    for unknown in ("response_id", "signed_body_url", "prompt_id", "feedback_rating", "scores"):
        assert answer[unknown] is None
    assert (answer["request_path"], answer["target_url"], answer["assets"]) == ("", "", [])
    assert answer["kind"] == "llm"
    assert answer["error"] == {"type": "RateLimitError", "message": "slow down"}
    assert answer["session_path"] == "/agent"


def test_unknown_provider_is_custom() -> None:
    """A request without provider is Helicone's CUSTOM."""
    assert helicone_request(request_row(provider=None))["provider"] == "CUSTOM"


def test_session_names_group_and_weigh_latency_by_requests() -> None:
    """Per name: first/last use, count, request-weighted mean latency; newest first."""
    rows = [
        session_row(session_id="a", session_name="Trip", request_count=1, mean_latency_ms=100.0),
        session_row(
            session_id="b",
            session_name="Trip",
            request_count=3,
            mean_latency_ms=200.0,
            start_time=T0 - timedelta(hours=1),
        ),
        session_row(
            session_id="c",
            session_name=None,
            mean_latency_ms=None,
            last_start_time=T0 + timedelta(hours=2),
        ),
    ]
    answers = helicone_session_names(rows)
    assert [answer["name"] for answer in answers] == ["", "Trip"]
    trip = answers[1]
    assert trip["session_count"] == 2
    assert trip["avg_latency"] == pytest.approx((100.0 + 3 * 200.0) / 4)
    assert trip["first_used"] == trip["created_at"] == "2025-03-01T09:00:00Z"
    assert trip["last_used"] == "2025-03-01T10:00:05Z"
    assert trip["total_cost"] == pytest.approx(0.5)
    assert answers[0]["avg_latency"] == 0.0
