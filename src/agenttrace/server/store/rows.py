"""What the stores answer with: the row shapes of the native query API (docs/architecture.md).

They are the JSON bodies the collector sends, so their field names are the contract the
query client codes against. Latencies and durations are in milliseconds, costs in USD,
times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agenttrace.records import ErrorInfo, RecordKind, Status

__all__ = [
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
    status: Literal["ok", "error"] = Field(
        description="error when any request has status error, else ok."
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
