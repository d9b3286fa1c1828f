"""The rows the store's queries answer: the row shapes of the native query API
(docs/architecture.md), and how the stored tuples become them.

The shapes are the JSON bodies the collector sends, so their field names are the contract
the query client codes against. Latencies and durations are in milliseconds, costs in USD,
times are timezone-aware UTC datetimes. The ``*_COLUMNS`` / ``request_columns`` say what
to select; `session_row` and `request_row` read what was selected.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agenttrace.records import ErrorInfo, RecordKind, Status
from agenttrace.server.store.dialect import Dialect, from_us
from agenttrace.server.store.migrations import RECORD_COLUMNS

__all__ = [
    "SESSION_COLUMNS",
    "SESSION_STATUS",
    "WAITING_SINCE",
    "PathList",
    "PathRow",
    "PropertyKey",
    "PropertyList",
    "PropertyValue",
    "RequestPage",
    "RequestRow",
    "SessionDetail",
    "SessionPage",
    "SessionRow",
    "TreeNode",
    "request_columns",
    "request_position",
    "request_row",
    "request_text_size",
    "request_values",
    "session_row",
    "session_values",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SessionRow(BaseModel):
    """One session and its metrics, in the record's words (`agenttrace.records.Record`)."""

    model_config = _FROZEN

    session_id: str
    session_name: str | None = Field(
        description="The first non-empty session name, taken from the earliest request."
    )
    start_time: datetime = Field(description="Start of the session's first request.")
    last_start_time: datetime = Field(description="Start of its latest request.")
    cost_usd: float | None = Field(description="USD; null when no request has a cost.")
    request_count: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    mean_latency_ms: float | None = Field(
        description="Mean request latency in ms over requests that ended; null if none did."
    )
    error_count: int
    status: Literal["ok", "error", "waiting"] = Field(
        description=(
            "waiting while a question to a human (a record of kind human) is unanswered, "
            "else error when any request has status error, else ok."
        )
    )
    waiting_since: datetime | None = Field(
        default=None,
        description="When the oldest unanswered question to a human was asked; null if none.",
    )
    duration_ms: float = Field(description="First request start to last request end, in ms.")
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    user_ids: list[str] = Field(description="Distinct user ids of the requests, sorted.")
    properties: dict[str, str] = Field(
        description="Custom properties; a key set to several values shows the earliest one."
    )


class RequestRow(BaseModel):
    """One stored record, in the record's words (`agenttrace.records.Record`), its usage
    flattened and its latency computed."""

    model_config = _FROZEN

    id: str
    kind: RecordKind
    status: Status
    session_id: str
    session_name: str | None
    session_path: str
    parent_id: str | None
    name: str
    model: str | None
    provider: str | None
    user_id: str | None
    properties: dict[str, str] = Field(description="The record's custom properties.")
    start_time: datetime
    end_time: datetime | None
    latency_ms: float | None = Field(description="end_time - start_time in ms.")
    time_to_first_token_ms: float | None = Field(description="In ms, for streamed calls.")
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    cost_usd: float | None
    error: ErrorInfo | None
    attempt: int
    branch_id: str | None
    request_body: Any = Field(default=None, description="Only when bodies are asked for.")
    response_body: Any = Field(default=None, description="Only when bodies are asked for.")


class PathRow(BaseModel):
    """Aggregates over the requests whose session path is exactly ``path``."""

    model_config = _FROZEN

    path: str
    request_count: int
    error_count: int
    cost_usd: float | None
    input_tokens: int
    output_tokens: int
    total_tokens: int
    mean_latency_ms: float | None
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    duration_ms: float = Field(description="First start to last end of these requests, in ms.")
    session_count: int
    human_count: int = Field(
        default=0, description="Questions to a human asked here (kind human; in request_count)."
    )
    human_wait_p50_ms: float | None = Field(
        default=None,
        description="Median time humans took to answer them (answered ones; not in latency).",
    )
    human_wait_p95_ms: float | None = None


class TreeNode(BaseModel):
    """A folder of the session tree; counts roll up over the node's whole subtree."""

    model_config = _FROZEN

    name: str = Field(description='The path segment; "" for the root.')
    path: str
    request_count: int
    error_count: int
    cost_usd: float | None
    total_tokens: int
    duration_ms: float
    children: list[TreeNode]
    request_ids: list[str] = Field(
        description=(
            "The earliest requests (100 at most) whose path is exactly this node's; the "
            "path's PathRow counts them all."
        )
    )


class SessionPage(BaseModel):
    """A page of sessions and how many match in all."""

    model_config = _FROZEN

    sessions: list[SessionRow]
    total: int
    limit: int
    offset: int


class SessionDetail(BaseModel):
    """One session: metrics, per-path aggregates, the tree and the first page of its
    requests in time order."""

    model_config = _FROZEN

    session: SessionRow
    paths: list[PathRow]
    tree: TreeNode
    requests: list[RequestRow]
    next_cursor: str | None = Field(
        description=(
            "Where the next page of requests starts: pass it as cursor to "
            "GET /v1/requests?session_id=<id>&cursor=...; null when this page is the last."
        )
    )


class RequestPage(BaseModel):
    """A page of requests and how many match in all."""

    model_config = _FROZEN

    requests: list[RequestRow]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = Field(
        description=(
            "Pass it as cursor (with the same filters) for the next page; null when no "
            "request follows. A page may hold fewer than limit requests when their bodies "
            "and properties reach the collector's page size in bytes."
        )
    )


class PathList(BaseModel):
    """Per-path aggregates across sessions."""

    model_config = _FROZEN

    paths: list[PathRow]


class PropertyValue(BaseModel):
    """One value of a custom property and how many sessions have it."""

    model_config = _FROZEN

    value: str
    session_count: int


class PropertyKey(BaseModel):
    """A custom property key of the project's sessions and its most common values."""

    model_config = _FROZEN

    key: str
    session_count: int = Field(description="Sessions with this key, whatever the value.")
    value_count: int = Field(description="Distinct values the key takes.")
    values: list[PropertyValue] = Field(
        description="The most common values, most sessions first (ties by value)."
    )


class PropertyList(BaseModel):
    """The custom property keys of a project, the most used first."""

    model_config = _FROZEN

    properties: list[PropertyKey]


# --- reading stored rows ------------------------------------------------------------

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
WAITING_SINCE = (
    "(SELECT min(h.start_us) FROM records h WHERE h.project_id = s.project_id "
    "AND h.session_id = s.session_id AND h.kind = 'human' AND h.end_us IS NULL)"
)
"""When the session's oldest unanswered question to a human was asked (NULL: none)."""
SESSION_STATUS = (
    f"CASE WHEN {WAITING_SINCE} IS NOT NULL THEN 'waiting' "
    "WHEN s.error_count > 0 THEN 'error' ELSE 'ok' END"
)
"""A session's status: waiting (for a human, whatever happened before), error or ok."""
SESSION_COLUMNS = ", ".join(f"s.{name}" for name in _SESSION_FIELDS) + f", {WAITING_SINCE}"

_REQUEST_FIELDS = RECORD_COLUMNS[
    RECORD_COLUMNS.index("id") : RECORD_COLUMNS.index("properties_json") + 1
]
"""What a request row is read from, in this order (`request_values` unpacks it): the
stored record's columns but project, bodies and arrival time."""
_BODY_FIELDS = ("request_json", "response_json")

_FIELD_COUNT = len(_REQUEST_FIELDS)
_ID = _REQUEST_FIELDS.index("id")
_START = _REQUEST_FIELDS.index("start_us")
_PROPERTIES = _REQUEST_FIELDS.index("properties_json")


def request_position(row: Sequence[Any]) -> tuple[int, str]:
    """``(start_us, id)`` of a `request_columns` row: its place in the paging order."""
    return int(row[_START]), str(row[_ID])


def request_text_size(row: Sequence[Any]) -> int:
    """The length of the properties of a `request_columns` row (its one field that may be
    large, bodies aside)."""
    return len(row[_PROPERTIES])


def request_columns(include_bodies: bool) -> str:
    """The columns `request_row` reads, in order."""
    names = _REQUEST_FIELDS + (_BODY_FIELDS if include_bodies else ())
    return ", ".join(f"r.{name}" for name in names)


def session_values(
    row: Sequence[Any],
    users: list[str],
    properties: dict[str, str],
    sorted_latencies: list[float],
    dialect: Dialect,
) -> dict[str, Any]:
    """The fields of a `SessionRow`, in its order, from a ``SESSION_COLUMNS`` row and what
    was fetched beside it (plain values: the exports serialise them as they are)."""
    (session_id, name, first_start_us, latest_start_us, last_end_us, cost_usd, request_count,
     error_count, prompt_tokens, completion_tokens, total_tokens, latency_sum_ms, latency_count,
     waiting_us) = row[: len(_SESSION_FIELDS) + 1]  # fmt: skip
    latency_count = int(latency_count)
    return {
        "session_id": session_id,
        "session_name": name,
        "start_time": from_us(first_start_us),
        "last_start_time": from_us(latest_start_us),
        "cost_usd": cost_usd,
        "request_count": int(request_count),
        "input_tokens": int(prompt_tokens),
        "output_tokens": int(completion_tokens),
        "total_tokens": int(total_tokens),
        "mean_latency_ms": float(latency_sum_ms) / latency_count if latency_count else None,
        "error_count": int(error_count),
        "status": "waiting" if waiting_us is not None else "error" if error_count else "ok",
        "waiting_since": from_us(waiting_us) if waiting_us is not None else None,
        "duration_ms": (last_end_us - first_start_us) / 1000.0,
        "p50_latency_ms": dialect.percentile(sorted_latencies, 0.5),
        "p95_latency_ms": dialect.percentile(sorted_latencies, 0.95),
        "user_ids": users,
        "properties": properties,
    }


def session_row(
    row: Sequence[Any],
    users: list[str],
    properties: dict[str, str],
    sorted_latencies: list[float],
    dialect: Dialect,
) -> SessionRow:
    """A SessionRow from a ``SESSION_COLUMNS`` row and what was fetched beside it."""
    return SessionRow(**session_values(row, users, properties, sorted_latencies, dialect))


def request_values(row: Sequence[Any], dialect: Dialect, include_bodies: bool) -> dict[str, Any]:
    """The fields of a `RequestRow`, in its order, from a `request_columns` row; the body
    fields only when asked."""
    (request_id, kind, session_id, session_name, path, parent_id, name, model, provider,
     user_id, start_us, end_us, ttft_ms, status, error_type, error_message, input_tokens,
     output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
     cost_usd, attempt, branch_id, properties_json) = row[:_FIELD_COUNT]  # fmt: skip
    values: dict[str, Any] = {
        "id": request_id,
        "kind": kind,
        "status": status,
        "session_id": session_id,
        "session_name": session_name,
        "session_path": path,
        "parent_id": parent_id,
        "name": name,
        "model": model,
        "provider": provider,
        "user_id": user_id,
        "properties": json.loads(properties_json),
        "start_time": from_us(start_us),
        "end_time": from_us(end_us) if end_us is not None else None,
        "latency_ms": (end_us - start_us) / 1000.0 if end_us is not None else None,
        "time_to_first_token_ms": ttft_ms,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": total_tokens,
        "cache_read_tokens": cache_read_tokens,
        "cache_write_tokens": cache_write_tokens,
        "reasoning_tokens": reasoning_tokens,
        "cost_usd": cost_usd,
        "error": {"type": error_type, "message": error_message or ""}
        if error_type is not None
        else None,
        "attempt": int(attempt),
        "branch_id": branch_id,
    }
    if include_bodies:
        values["request_body"] = dialect.load_json(row[_FIELD_COUNT])
        values["response_body"] = dialect.load_json(row[_FIELD_COUNT + 1])
    return values


def request_row(row: Sequence[Any], dialect: Dialect, include_bodies: bool) -> RequestRow:
    """A RequestRow from a `request_columns` row; the body fields are set only when asked."""
    return RequestRow(**request_values(row, dialect, include_bodies))
