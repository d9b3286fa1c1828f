"""Stored rows (tuples) to the row shapes of `agenttrace.server.store.rows`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agenttrace.records import ErrorInfo, RecordKind, Status
from agenttrace.server.store._ingest import from_us
from agenttrace.server.store._metrics import Sample
from agenttrace.server.store.dialect import Dialect
from agenttrace.server.store.rows import RequestRow, SessionRow

__all__ = [
    "SAMPLE_COLUMNS",
    "SESSION_COLUMNS",
    "request_columns",
    "request_position",
    "request_row",
    "request_text_size",
    "sample",
    "sample_position",
    "session_row",
]

_SESSION_FIELDS = (
    "session_id",
    "name",
    "first_start_us",
    "latest_start_us",
    "last_end_us",
    "cost_usd",
    "request_count",
    "error_count",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "latency_sum_ms",
    "latency_count",
)
SESSION_COLUMNS = ", ".join(f"s.{name}" for name in _SESSION_FIELDS)

_REQUEST_FIELDS = (
    "id",
    "kind",
    "session_id",
    "session_name",
    "path",
    "parent_id",
    "name",
    "model",
    "provider",
    "user_id",
    "start_us",
    "end_us",
    "ttft_ms",
    "status",
    "error_type",
    "error_message",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_usd",
    "attempt",
    "branch_id",
    "properties_json",
)
_BODY_FIELDS = ("request_json", "response_json")
_SAMPLE_FIELDS = (
    "id",
    "session_id",
    "path",
    "start_us",
    "end_us",
    "status",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost_usd",
)
SAMPLE_COLUMNS = ", ".join(f"r.{name}" for name in _SAMPLE_FIELDS)

_ID = _REQUEST_FIELDS.index("id")
_START = _REQUEST_FIELDS.index("start_us")
_PROPERTIES = _REQUEST_FIELDS.index("properties_json")
_SAMPLE_ID = _SAMPLE_FIELDS.index("id")
_SAMPLE_START = _SAMPLE_FIELDS.index("start_us")


def request_position(row: Sequence[Any]) -> tuple[int, str]:
    """``(start_us, id)`` of a `request_columns` row: its place in the paging order."""
    return int(row[_START]), str(row[_ID])


def sample_position(row: Sequence[Any]) -> tuple[int, str]:
    """``(start_us, id)`` of a ``SAMPLE_COLUMNS`` row."""
    return int(row[_SAMPLE_START]), str(row[_SAMPLE_ID])


def request_text_size(row: Sequence[Any]) -> int:
    """The length of the properties of a `request_columns` row (its one field that may be
    large, bodies aside)."""
    return len(row[_PROPERTIES])


def request_columns(include_bodies: bool) -> str:
    """The columns `request_row` reads, in order."""
    names = _REQUEST_FIELDS + (_BODY_FIELDS if include_bodies else ())
    return ", ".join(f"r.{name}" for name in names)


def session_row(
    row: Sequence[Any],
    users: list[str],
    properties: dict[str, str],
    sorted_latencies: list[float],
    dialect: Dialect,
) -> SessionRow:
    """A SessionRow from a ``SESSION_COLUMNS`` row and what was fetched beside it."""
    s = dict(zip(_SESSION_FIELDS, row, strict=True))
    latency_count = int(s["latency_count"])
    return SessionRow(
        session_id=s["session_id"],
        session_name=s["name"],
        start_time=from_us(s["first_start_us"]),
        last_start_time=from_us(s["latest_start_us"]),
        cost_usd=s["cost_usd"],
        request_count=int(s["request_count"]),
        input_tokens=int(s["prompt_tokens"]),
        output_tokens=int(s["completion_tokens"]),
        total_tokens=int(s["total_tokens"]),
        mean_latency_ms=float(s["latency_sum_ms"]) / latency_count if latency_count else None,
        error_count=int(s["error_count"]),
        status="error" if s["error_count"] else "ok",
        duration_ms=(s["last_end_us"] - s["first_start_us"]) / 1000.0,
        p50_latency_ms=dialect.percentile(sorted_latencies, 0.5),
        p95_latency_ms=dialect.percentile(sorted_latencies, 0.95),
        user_ids=users,
        properties=properties,
    )


def request_row(row: Sequence[Any], dialect: Dialect, include_bodies: bool) -> RequestRow:
    """A RequestRow from a `request_columns` row; the body fields are set only when asked."""
    names = _REQUEST_FIELDS + (_BODY_FIELDS if include_bodies else ())
    r = dict(zip(names, row, strict=True))
    end_us = r["end_us"]
    values: dict[str, Any] = {
        "id": r["id"],
        "kind": RecordKind(r["kind"]),
        "status": Status(r["status"]),
        "session_id": r["session_id"],
        "session_name": r["session_name"],
        "session_path": r["path"],
        "parent_id": r["parent_id"],
        "name": r["name"],
        "model": r["model"],
        "provider": r["provider"],
        "user_id": r["user_id"],
        "properties": json.loads(r["properties_json"]),
        "start_time": from_us(r["start_us"]),
        "end_time": from_us(end_us) if end_us is not None else None,
        "latency_ms": (end_us - r["start_us"]) / 1000.0 if end_us is not None else None,
        "time_to_first_token_ms": r["ttft_ms"],
        "input_tokens": r["input_tokens"],
        "output_tokens": r["output_tokens"],
        "total_tokens": r["total_tokens"],
        "cache_read_tokens": r["cache_read_tokens"],
        "cache_write_tokens": r["cache_write_tokens"],
        "reasoning_tokens": r["reasoning_tokens"],
        "cost_usd": r["cost_usd"],
        "error": ErrorInfo(type=r["error_type"], message=r["error_message"] or "")
        if r["error_type"] is not None
        else None,
        "attempt": int(r["attempt"]),
        "branch_id": r["branch_id"],
    }
    if include_bodies:
        values["request_body"] = dialect.load_json(r["request_json"])
        values["response_body"] = dialect.load_json(r["response_json"])
    return RequestRow(**values)


def sample(row: Sequence[Any]) -> Sample:
    """A metrics Sample from a ``SAMPLE_COLUMNS`` row."""
    request_id, session_id, path, start_us, end_us, status, prompt, completion, total, cost = row
    return Sample(
        request_id=request_id,
        session_id=session_id,
        path=path,
        start_us=start_us,
        end_us=end_us,
        is_error=status == Status.ERROR,
        prompt_tokens=prompt or 0,
        completion_tokens=completion or 0,
        total_tokens=total or 0,
        cost_usd=cost,
    )
