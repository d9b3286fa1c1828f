"""Typed results of the query client, mirroring the collector's row shapes.

Field names are the wire names of docs/architecture.md, the words of
`agenttrace.records.Record`.
Latencies and durations are milliseconds, costs USD (``None`` when no price is known),
times timezone-aware UTC datetimes. Unknown fields sent by a newer collector are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agenttrace.query._frames import rows_to_frame
from agenttrace.records import ErrorInfo, RecordKind, Status

if TYPE_CHECKING:
    import pandas as pd

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

_RESULT = ConfigDict(frozen=True, extra="ignore")


class SessionRow(BaseModel):
    """One session and its metrics."""

    model_config = _RESULT

    session_id: str
    session_name: str | None = None
    start_time: datetime
    """Start of the session's first request."""
    last_start_time: datetime
    """Start of its latest request."""
    cost_usd: float | None = None
    request_count: int
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    mean_latency_ms: float | None = None
    """Mean request latency in ms."""
    error_count: int = 0
    status: Literal["ok", "error", "waiting"]
    """``waiting`` while a question to a human is unanswered, else ``error`` when a request
    failed, else ``ok``."""
    duration_ms: float = 0.0
    """First request start to last request end."""
    p50_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    user_ids: list[str] = Field(default_factory=list)
    properties: dict[str, str] = Field(default_factory=dict)
    waiting_since: datetime | None = None
    """When the oldest unanswered question to a human was asked; None when none is."""


class RequestRow(BaseModel):
    """One request (an LLM, tool, retriever or custom call) of a session."""

    model_config = _RESULT

    id: str
    kind: RecordKind
    status: Status
    session_id: str
    session_name: str | None = None
    session_path: str = "/"
    parent_id: str | None = None
    name: str = ""
    model: str | None = None
    provider: str | None = None
    user_id: str | None = None
    properties: dict[str, str] = Field(default_factory=dict)
    """The custom properties."""
    start_time: datetime
    end_time: datetime | None = None
    latency_ms: float | None = None
    """end_time - start_time in ms; None while the request has not ended."""
    time_to_first_token_ms: float | None = None
    """In ms, for streamed calls."""
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None
    error: ErrorInfo | None = None
    attempt: int = 1
    branch_id: str | None = None
    request_body: Any = None
    """Only filled when bodies were asked for (``include_bodies=True`` or `request(id)`)."""
    response_body: Any = None

    @property
    def failed(self) -> bool:
        """Whether the request ended with an error."""
        return self.status is Status.ERROR


class PathRow(BaseModel):
    """Aggregates over the requests whose session path is exactly ``path``."""

    model_config = _RESULT

    path: str
    request_count: int
    error_count: int = 0
    cost_usd: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    mean_latency_ms: float | None = None
    p50_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    duration_ms: float = 0.0
    session_count: int = 1
    human_count: int = 0
    """Questions to a human asked at this path (kind ``human``, counted in request_count)."""
    human_wait_p50_ms: float | None = None
    """Median time humans took to answer them (not part of the latencies)."""
    human_wait_p95_ms: float | None = None


class TreeNode(BaseModel):
    """A folder of the session tree; its counts roll up over its whole subtree."""

    model_config = _RESULT

    name: str
    """The path segment; "" for the root."""
    path: str
    request_count: int
    error_count: int = 0
    cost_usd: float | None = None
    total_tokens: int = 0
    duration_ms: float = 0.0
    children: list[TreeNode] = Field(default_factory=list)
    request_ids: list[str] = Field(default_factory=list)
    """The earliest requests (100 at most) whose path is exactly this node's; the path's
    `PathRow` counts them all."""

    def walk(self) -> Iterator[TreeNode]:
        """This node and every node below it, depth first, parents before children."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, path: str) -> TreeNode | None:
        """The node at ``path`` (``"/"`` is the root), or None."""
        return next((node for node in self.walk() if node.path == path), None)


class SessionDetail(BaseModel):
    """One session: its metrics, per-path aggregates, tree and requests in time order.

    `QueryClient.session` fills ``requests`` with every request of the session (or the
    first ``max_requests``); ``next_cursor`` is then None, or says where the requests left
    out go on (`QueryClient.requests` with ``cursor=``).
    """

    model_config = _RESULT

    session: SessionRow
    paths: list[PathRow] = Field(default_factory=list)
    tree: TreeNode
    requests: list[RequestRow] = Field(default_factory=list)
    next_cursor: str | None = None
    """Where the session's requests after ``requests`` go on; None when none are left out."""

    def request(self, request_id: str) -> RequestRow:
        """The request with ``request_id``; KeyError when it is not in this session."""
        for row in self.requests:
            if row.id == request_id:
                return row
        msg = f"request {request_id!r} is not part of session {self.session.session_id!r}"
        raise KeyError(msg)

    def requests_at(self, path: str) -> list[RequestRow]:
        """The requests whose session path is exactly ``path``, in time order."""
        return [row for row in self.requests if row.session_path == path]

    def path(self, path: str) -> PathRow | None:
        """The aggregates of ``path``, or None when no request has that path."""
        return next((row for row in self.paths if row.path == path), None)

    def to_pandas(self) -> pd.DataFrame:
        """The session's requests as a pandas DataFrame, one row per request."""
        return rows_to_frame(self.requests, RequestRow)


class SessionPage(BaseModel):
    """A page of sessions (iterate over it) and how many sessions match in all."""

    model_config = _RESULT

    sessions: list[SessionRow]
    total: int
    limit: int
    offset: int

    @property
    def items(self) -> list[SessionRow]:
        """The sessions of this page."""
        return self.sessions

    @property
    def has_more(self) -> bool:
        """Whether sessions after this page match too."""
        return self.offset + len(self.sessions) < self.total

    def __iter__(self) -> Iterator[SessionRow]:  # type: ignore[override]  # rows, not fields
        return iter(self.sessions)

    def __len__(self) -> int:
        return len(self.sessions)

    def __getitem__(self, index: int) -> SessionRow:
        return self.sessions[index]

    def to_pandas(self) -> pd.DataFrame:
        """The page as a pandas DataFrame, one row per session."""
        return rows_to_frame(self.sessions, SessionRow)


class RequestPage(BaseModel):
    """A page of requests (iterate over it) and how many requests match in all."""

    model_config = _RESULT

    requests: list[RequestRow]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None
    """Pass it as ``cursor=`` (with the same filters) for the next page; None after the
    last. A page may hold fewer than ``limit`` requests when their bodies are large."""

    @property
    def items(self) -> list[RequestRow]:
        """The requests of this page."""
        return self.requests

    @property
    def has_more(self) -> bool:
        """Whether requests after this page match too."""
        if "next_cursor" in self.model_fields_set:
            return self.next_cursor is not None
        return self.offset + len(self.requests) < self.total  # a collector without cursors

    def __iter__(self) -> Iterator[RequestRow]:  # type: ignore[override]  # rows, not fields
        return iter(self.requests)

    def __len__(self) -> int:
        return len(self.requests)

    def __getitem__(self, index: int) -> RequestRow:
        return self.requests[index]

    def to_pandas(self) -> pd.DataFrame:
        """The page as a pandas DataFrame, one row per request."""
        return rows_to_frame(self.requests, RequestRow)


class PathList(BaseModel):
    """Per-path aggregates across sessions (iterate over it)."""

    model_config = _RESULT

    paths: list[PathRow]

    @property
    def items(self) -> list[PathRow]:
        """The path rows."""
        return self.paths

    def __iter__(self) -> Iterator[PathRow]:  # type: ignore[override]  # rows, not fields
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> PathRow:
        return self.paths[index]

    def to_pandas(self) -> pd.DataFrame:
        """The paths as a pandas DataFrame, one row per path."""
        return rows_to_frame(self.paths, PathRow)


class PropertyValue(BaseModel):
    """One value of a custom property and how many sessions have it."""

    model_config = _RESULT

    value: str
    session_count: int


class PropertyKey(BaseModel):
    """A custom property key: how many sessions have it, how many values it takes, and its
    most common values (most sessions first)."""

    model_config = _RESULT

    key: str
    session_count: int
    value_count: int
    values: list[PropertyValue] = Field(default_factory=list)


class PropertyList(BaseModel):
    """The project's custom property keys, the most used first (iterate over it)."""

    model_config = _RESULT

    properties: list[PropertyKey]

    def __iter__(self) -> Iterator[PropertyKey]:  # type: ignore[override]  # rows, not fields
        return iter(self.properties)

    def __len__(self) -> int:
        return len(self.properties)

    def __getitem__(self, index: int) -> PropertyKey:
        return self.properties[index]

    def keys(self) -> list[str]:
        """The key names, the most used first."""
        return [row.key for row in self.properties]
