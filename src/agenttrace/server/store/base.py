"""The store interface every backend implements (SQLite now, PostgreSQL next).

Every method is scoped by ``project_id``: no call can see another project's rows.
Filters are the AST of `agenttrace.server.store.filters`; `session_filter` and
`request_filter` build it from the native query parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from agenttrace.exceptions import AgentTraceError
from agenttrace.records import Record, RecordKind, Status, normalize_path
from agenttrace.server.store.filters import Cmp, Field, Filter, Op, Or, Property, SortOrder, and_
from agenttrace.server.store.rows import (
    PathRow,
    PropertyKey,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
)

if TYPE_CHECKING:
    from agenttrace.server.store.metrics import MetricsQuery, MetricsResult
    from agenttrace.server.store.otlp_spans import Resolver, SpanLink

__all__ = [
    "DEFAULT_PROJECT",
    "DEFAULT_SESSION_REQUESTS",
    "MAX_OFFSET",
    "MAX_PAGE_BYTES",
    "MAX_PAGE_SIZE",
    "IngestCounts",
    "InvalidQueryError",
    "PathQuery",
    "RequestQuery",
    "SessionQuery",
    "SessionSort",
    "Store",
    "StoreUnavailableError",
    "request_filter",
    "session_filter",
]

DEFAULT_PROJECT = "default"
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 1_000_000_000
"""Rows a query may skip (the databases take 64-bit offsets; nobody pages this far)."""
DEFAULT_SESSION_REQUESTS = 100
"""Requests on the first page of a session detail unless a limit is asked for."""
MAX_PAGE_BYTES = 8 * 1024 * 1024
"""The text one page of requests may hold: bodies (when asked for) and properties. A page
stops before the request that would pass it (it always holds at least one request) and
its ``next_cursor`` goes on from there, so one query holds at most about this much
whatever it asks for (a single request can hold 8 MiB of bodies)."""


class InvalidQueryError(ValueError):
    """A query the store cannot run; the message says what to change (HTTP 400)."""


class StoreUnavailableError(AgentTraceError):
    """The database cannot be reached right now; the collector answers 503 with a
    ``Retry-After`` of ``retry_after`` seconds, and the store reconnects by itself."""

    def __init__(self, message: str, *, retry_after: float = 2.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SessionSort(StrEnum):
    """The SessionRow columns sessions can be sorted by."""

    SESSION_ID = "session_id"
    SESSION_NAME = "session_name"
    CREATED_AT = "created_at"
    LATEST_REQUEST_CREATED_AT = "latest_request_created_at"
    TOTAL_COST = "total_cost"
    TOTAL_REQUESTS = "total_requests"
    PROMPT_TOKENS = "prompt_tokens"
    COMPLETION_TOKENS = "completion_tokens"
    TOTAL_TOKENS = "total_tokens"
    AVG_LATENCY = "avg_latency"
    ERROR_COUNT = "error_count"
    STATUS = "status"
    DURATION_MS = "duration_ms"
    P50_LATENCY_MS = "p50_latency_ms"
    P95_LATENCY_MS = "p95_latency_ms"
    SCORE = "score"
    """The session's average of the score named by ``SessionQuery.score_name``."""


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        msg = f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}; got {limit}"
        raise InvalidQueryError(msg)
    if offset < 0:
        msg = f"offset must be a whole number of at least 0; got {offset}"
        raise InvalidQueryError(msg)
    if offset > MAX_OFFSET:
        msg = f"offset must be at most {MAX_OFFSET}; got {offset}"
        raise InvalidQueryError(msg)


@dataclass(frozen=True, slots=True)
class SessionQuery:
    """Which sessions, in what order, which page. Nulls sort last in either order."""

    filter: Filter | None = None
    sort: SessionSort = SessionSort.CREATED_AT
    order: SortOrder = SortOrder.DESC
    limit: int = 50
    offset: int = 0
    score_name: str | None = None
    """The score whose average ``sort=score`` orders by."""

    def __post_init__(self) -> None:
        _check_page(self.limit, self.offset)
        if self.sort is SessionSort.SCORE and not self.score_name:
            msg = "sort=score needs the name of the score to sort by (score_name)"
            raise InvalidQueryError(msg)


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """Which requests (records), ordered by (start time, id), which page.

    A page starts after ``offset`` rows, or after the position of ``cursor`` (the
    ``next_cursor`` of an earlier page, `agenttrace.server.store.cursors`; it carries its
    own order, which must be ``order``). A page holds up to ``limit`` rows and stops early
    once its bodies and properties would pass ``page_bytes``.
    """

    filter: Filter | None = None
    order: SortOrder = SortOrder.DESC
    limit: int = 50
    offset: int = 0
    include_bodies: bool = False
    cursor: str | None = None
    page_bytes: int = MAX_PAGE_BYTES

    def __post_init__(self) -> None:
        _check_page(self.limit, self.offset)
        if self.cursor is not None and self.offset:
            msg = "pass either cursor or offset, not both (a cursor already says where to go on)"
            raise InvalidQueryError(msg)
        if self.page_bytes < 1:
            msg = f"page_bytes must be at least 1; got {self.page_bytes}"
            raise InvalidQueryError(msg)


@dataclass(frozen=True, slots=True)
class PathQuery:
    """Which requests to aggregate per path (request-level filter)."""

    filter: Filter | None = None


@dataclass(frozen=True, slots=True)
class IngestCounts:
    """What a store did with a batch of valid records."""

    accepted: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class PruneCounts:
    """What a prune deleted, and in how many transactions."""

    sessions: int
    records: int
    batches: int


class Store(Protocol):
    """A collector's storage. Implementations are thread-safe; methods are blocking."""

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"`` (shown by ``/healthz``)."""
        ...

    @property
    def location(self) -> str:
        """The database as a URL without password, for people (``serve`` prints it)."""
        ...

    def schema_version(self) -> int:
        """The highest migration applied to the database."""
        ...

    def ingest(self, project_id: str, records: Sequence[Record]) -> IngestCounts:
        """Store the records whose id is new, roll them into their sessions, commit durably.

        A record id already stored (or repeated within ``records``) is a duplicate and
        changes nothing. Returns only after the transaction committed.
        """
        ...

    def ingest_spans(
        self,
        project_id: str,
        links: Sequence[SpanLink],
        records: Mapping[str, Record],
        resolve: Resolver,
    ) -> IngestCounts:
        """Store OpenTelemetry span links and the records of the new ones, placed by
        ``resolve`` from their ancestors; re-place stored records below the new spans
        (`agenttrace.server.store.otlp_spans`). A span already stored changes nothing."""
        ...

    def query_sessions(self, project_id: str, query: SessionQuery) -> SessionPage:
        """A page of the sessions matching ``query.filter`` and their total."""
        ...

    def get_session(
        self,
        project_id: str,
        session_id: str,
        *,
        include_bodies: bool = False,
        limit: int = DEFAULT_SESSION_REQUESTS,
    ) -> SessionDetail | None:
        """One session with paths, tree and the first page of its requests in time order
        (``limit`` at most, within `MAX_PAGE_BYTES`; ``next_cursor`` goes on with
        `query_requests`); None when unknown."""
        ...

    def query_requests(self, project_id: str, query: RequestQuery) -> RequestPage:
        """A page of the requests matching ``query.filter`` and their total."""
        ...

    def get_request(self, project_id: str, request_id: str) -> RequestRow | None:
        """One request with its bodies; None when unknown."""
        ...

    def query_paths(self, project_id: str, query: PathQuery) -> list[PathRow]:
        """Per-path aggregates over the requests matching ``query.filter``."""
        ...

    def query_metrics(self, project_id: str, query: MetricsQuery) -> MetricsResult:
        """Metrics per group of the requests matching ``query.filter``
        (`agenttrace.server.store.metrics`)."""
        ...

    def query_properties(
        self, project_id: str, *, limit: int = 100, values: int = 5
    ) -> list[PropertyKey]:
        """Up to ``limit`` custom property keys of the project's sessions, the most used
        first, each with up to ``values`` of its most used values."""
        ...

    def prune(self, before: datetime, *, batch_sessions: int = 500) -> PruneCounts:
        """Delete every project's sessions whose last request ended before ``before``,
        with their requests, ``batch_sessions`` sessions per (short) transaction."""
        ...

    def close(self) -> None:
        """Release connections. Safe to call twice."""
        ...


def _properties(pairs: Iterable[tuple[str, str]]) -> list[Filter]:
    return [Cmp(Property(key), Op.EQ, value) for key, value in pairs]


def session_filter(
    *,
    name: str | None = None,
    search: str | None = None,
    user_id: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    properties: Iterable[tuple[str, str]] = (),
    min_cost: float | None = None,
    max_cost: float | None = None,
) -> Filter | None:
    """The filter of ``GET /v1/sessions``: every given condition must hold.

    ``search`` is a case-insensitive substring of the session's name or id; ``since`` and
    ``until`` bound ``created_at`` (both inclusive); ``properties`` are ANDed key=value pairs.
    """
    if status is not None and status not in {"ok", "error"}:
        msg = f"status must be ok or error; got {status!r}"
        raise InvalidQueryError(msg)
    return and_(
        Cmp(Field.SESSION_NAME, Op.EQ, name) if name is not None else None,
        Or(
            (
                Cmp(Field.SESSION_NAME, Op.CONTAINS, search),
                Cmp(Field.SESSION_ID, Op.CONTAINS, search),
            )
        )
        if search
        else None,
        Cmp(Field.USER_ID, Op.EQ, user_id) if user_id is not None else None,
        Cmp(Field.SESSION_STATUS, Op.EQ, status) if status is not None else None,
        Cmp(Field.SESSION_CREATED_AT, Op.GTE, since) if since is not None else None,
        Cmp(Field.SESSION_CREATED_AT, Op.LTE, until) if until is not None else None,
        *_properties(properties),
        Cmp(Field.SESSION_TOTAL_COST, Op.GTE, min_cost) if min_cost is not None else None,
        Cmp(Field.SESSION_TOTAL_COST, Op.LTE, max_cost) if max_cost is not None else None,
    )


def request_filter(
    *,
    session_id: str | None = None,
    session_name: str | None = None,
    path: str | None = None,
    kind: RecordKind | None = None,
    status: Status | None = None,
    model: str | None = None,
    user_id: str | None = None,
    properties: Iterable[tuple[str, str]] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    search: str | None = None,
) -> Filter | None:
    """The filter of ``GET /v1/requests`` and ``GET /v1/paths``: every given condition holds.

    ``path`` is an exact session path (normalised); ``since``/``until`` bound the request's
    start time (both inclusive); ``search`` is a case-insensitive substring of the
    request's id or name.
    """
    try:
        normal_path = normalize_path(path) if path is not None else None
    except ValueError as exc:  # too many segments
        raise InvalidQueryError(f"path: {exc}") from None
    return and_(
        Cmp(Field.SESSION_ID, Op.EQ, session_id) if session_id is not None else None,
        Cmp(Field.SESSION_NAME, Op.EQ, session_name) if session_name is not None else None,
        Cmp(Field.SESSION_PATH, Op.EQ, normal_path) if normal_path is not None else None,
        Cmp(Field.KIND, Op.EQ, str(kind)) if kind is not None else None,
        Cmp(Field.STATUS, Op.EQ, str(status)) if status is not None else None,
        Cmp(Field.MODEL, Op.EQ, model) if model is not None else None,
        Cmp(Field.USER_ID, Op.EQ, user_id) if user_id is not None else None,
        *_properties(properties),
        Cmp(Field.CREATED_AT, Op.GTE, since) if since is not None else None,
        Cmp(Field.CREATED_AT, Op.LTE, until) if until is not None else None,
        Or((Cmp(Field.REQUEST_ID, Op.CONTAINS, search), Cmp(Field.NAME, Op.CONTAINS, search)))
        if search
        else None,
    )
