"""The store interface every backend implements (SQLite now, PostgreSQL next).

Every method is scoped by ``project_id``: no call can see another project's rows.
Filters are the AST of `agenttrace.server.store.filters`; `session_filter` and
`request_filter` build it from the native query parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from agenttrace.exceptions import AgentTraceError
from agenttrace.query_filters import (
    PathFilters,
    RequestFilters,
    SessionFilters,
    property_pairs,
)
from agenttrace.records import Record, normalize_path
from agenttrace.server.store.filters import Cmp, Field, Filter, Op, Or, Property, SortOrder, and_
from agenttrace.server.store.query_rows import (
    PathRow,
    PropertyKey,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
)

if TYPE_CHECKING:
    from agenttrace.server.store._export_stream import ExportQuery
    from agenttrace.server.store._feed import FeedPage, FeedQuery
    from agenttrace.server.store._user_metrics import UserMetricsPage, UserMetricsQuery
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
    "equal_filter",
    "filters_of",
    "path_filter",
    "request_filter",
    "search_filter",
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
    START_TIME = "start_time"
    LAST_START_TIME = "last_start_time"
    COST_USD = "cost_usd"
    REQUEST_COUNT = "request_count"
    INPUT_TOKENS = "input_tokens"
    OUTPUT_TOKENS = "output_tokens"
    TOTAL_TOKENS = "total_tokens"
    MEAN_LATENCY_MS = "mean_latency_ms"
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
    sort: SessionSort = SessionSort.START_TIME
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
        ``resolve`` from their ancestors (the place is set on the given records); re-place
        stored records below the new spans (`agenttrace.server.store.otlp_spans`). A span
        already stored changes nothing."""
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

    def export_requests(self, project_id: str, query: ExportQuery) -> Iterator[bytes]:
        """The requests matching ``query.filter``, oldest first, as chunks of NDJSON lines
        (`agenttrace.server.store._export_stream`), each read as it is taken; an invalid
        filter raises at the call."""
        ...

    def export_sessions(self, project_id: str, query: ExportQuery) -> Iterator[bytes]:
        """The sessions matching ``query.filter`` by start, as chunks of NDJSON lines."""
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

    def query_feed(self, project_id: str, query: FeedQuery) -> FeedPage:
        """The requests matching ``query.filter`` stored after ``query.after``, oldest first
        (`agenttrace.server.store._feed`)."""
        ...

    def query_user_metrics(self, project_id: str, query: UserMetricsQuery) -> UserMetricsPage:
        """Figures per user of the requests matching ``query.filter``
        (`agenttrace.server.store._user_metrics`)."""
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


def _properties(texts: Iterable[str]) -> list[Filter]:
    return [Cmp(Property(key), Op.EQ, value) for key, value in property_pairs(tuple(texts))]


FiltersT = TypeVar("FiltersT", bound=BaseModel)


def filters_of(
    model: type[FiltersT], given: FiltersT | None, fields: Mapping[str, Any]
) -> FiltersT:
    """``given``, or ``model`` made of ``fields`` (keyword arguments, for Python callers);
    `InvalidQueryError` naming a field of the wrong form."""
    if given is not None:
        return given
    unknown = sorted(set(fields) - set(model.model_fields))
    if unknown:
        msg = (
            f"{model.__name__} has no filter {', '.join(unknown)}; its filters are "
            f"{', '.join(model.model_fields)}"
        )
        raise InvalidQueryError(msg)
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: "
            f"{str(error['msg']).removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise InvalidQueryError(problems) from None


def _between(field: Field, since: datetime | None, until: datetime | None) -> list[Filter | None]:
    return [
        Cmp(field, Op.GTE, since) if since is not None else None,
        Cmp(field, Op.LTE, until) if until is not None else None,
    ]


def search_filter(search: str | None, *fields: Field) -> Filter | None:
    """Any of ``fields`` contains ``search`` (any case); None when there is no search."""
    return Or(tuple(Cmp(field, Op.CONTAINS, search) for field in fields)) if search else None


def equal_filter(field: Field | Property, value: str | float | None) -> Filter | None:
    """``field`` equals ``value``; None when ``value`` is None (no condition)."""
    if value is None:
        return None
    return Cmp(field, Op.EQ, str(value) if isinstance(value, StrEnum) else value)


def session_filter(filters: SessionFilters | None = None, /, **fields: Any) -> Filter | None:
    """The filter of ``GET /v1/sessions`` (`SessionFilters`, or its fields as keyword
    arguments): every given condition must hold.

    ``search`` is a case-insensitive substring of the session's name or id; ``since`` and
    ``until`` bound the session's ``start_time`` (both inclusive); ``properties`` are ANDed
    key=value pairs.
    """
    f = filters_of(SessionFilters, filters, fields)
    from agenttrace.server.store.scores import score_filter  # it imports this module

    return and_(
        equal_filter(Field.SESSION_NAME, f.name),
        search_filter(f.search, Field.SESSION_NAME, Field.SESSION_ID),
        equal_filter(Field.USER_ID, f.user_id),
        equal_filter(Field.SESSION_STATUS, f.status),
        *_between(Field.SESSION_CREATED_AT, f.since, f.until),
        *_properties(f.properties),
        Cmp(Field.SESSION_TOTAL_COST, Op.GTE, f.min_cost) if f.min_cost is not None else None,
        Cmp(Field.SESSION_TOTAL_COST, Op.LTE, f.max_cost) if f.max_cost is not None else None,
        score_filter(f.score, min_value=f.min_score, max_value=f.max_score, value=f.score_value),
    )


def _exact_path(path: str | None) -> Filter | None:
    try:
        return equal_filter(Field.SESSION_PATH, normalize_path(path) if path is not None else None)
    except ValueError as exc:  # too many segments
        raise InvalidQueryError(f"path: {exc}") from None


def request_filter(filters: RequestFilters | None = None, /, **fields: Any) -> Filter | None:
    """The filter of ``GET /v1/requests`` (`RequestFilters`, or its fields as keyword
    arguments): every given condition holds.

    ``path`` is an exact session path (normalised); ``since``/``until`` bound the request's
    start time (both inclusive); ``search`` is a case-insensitive substring of the
    request's id or name.
    """
    f = filters_of(RequestFilters, filters, fields)
    return and_(
        equal_filter(Field.SESSION_ID, f.session_id),
        _exact_path(f.path),
        equal_filter(Field.KIND, f.kind),
        equal_filter(Field.STATUS, f.status),
        equal_filter(Field.MODEL, f.model),
        equal_filter(Field.USER_ID, f.user_id),
        *_properties(f.properties),
        *_between(Field.CREATED_AT, f.since, f.until),
        search_filter(f.search, Field.REQUEST_ID, Field.NAME),
    )


def path_filter(filters: PathFilters | None = None, /, **fields: Any) -> Filter | None:
    """The filter of ``GET /v1/paths`` (`PathFilters`, or its fields as keyword arguments):
    the requests of one session name or id, started between ``since`` and ``until``."""
    f = filters_of(PathFilters, filters, fields)
    return and_(
        equal_filter(Field.SESSION_ID, f.session_id),
        equal_filter(Field.SESSION_NAME, f.session_name),
        *_between(Field.CREATED_AT, f.since, f.until),
    )
