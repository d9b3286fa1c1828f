"""`SqlStore`: the store logic every SQL backend shares.

A backend supplies connections (`SqlStore._write` for one committed transaction,
`SqlStore._read` for a consistent snapshot) and a `Dialect`; everything else (ingest,
rollups, filters, sorting, metrics, trees) lives here once.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from agenttrace.core.text_repair import repair_id
from agenttrace.records import Record
from agenttrace.server.store import query_rows
from agenttrace.server.store._compile import SCORE_AVERAGE, compile_filter
from agenttrace.server.store._export_stream import ExportQuery, request_stream, session_stream
from agenttrace.server.store._feed import FeedPage, FeedQuery, feed_page
from agenttrace.server.store._ingest import ingest_records
from agenttrace.server.store._metrics import build_tree, path_rows, sorted_latencies, totals_by_path
from agenttrace.server.store._metrics_sql import query_metrics
from agenttrace.server.store._property_keys import property_keys
from agenttrace.server.store._prune import DEFAULT_BATCH_SESSIONS, prune_sessions
from agenttrace.server.store._reads import iter_samples, request_page, session_extras
from agenttrace.server.store._user_metrics import UserMetricsPage, UserMetricsQuery, user_metrics
from agenttrace.server.store.alerts import SqlAlertStore
from agenttrace.server.store.api_keys import SqlKeyStore
from agenttrace.server.store.base import (
    DEFAULT_SESSION_REQUESTS,
    IngestCounts,
    InvalidQueryError,
    PathQuery,
    PruneCounts,
    RequestQuery,
    SessionQuery,
    SessionSort,
)
from agenttrace.server.store.dialect import DbConnection, Dialect, to_us
from agenttrace.server.store.filters import SortOrder
from agenttrace.server.store.metrics import MetricsQuery, MetricsResult
from agenttrace.server.store.migrations import apply_migrations, current_version
from agenttrace.server.store.otlp_spans import Resolver, SpanLink, ingest_spans
from agenttrace.server.store.query_rows import (
    SESSION_STATUS,
    PathRow,
    PropertyKey,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
    SessionRow,
)
from agenttrace.server.store.scores import SqlScoreStore

__all__ = ["SqlStore"]

# (expression, can be NULL)
_SORT_EXPRESSIONS: dict[SessionSort, tuple[str, bool]] = {
    SessionSort.SESSION_ID: ("s.session_id", False),
    SessionSort.SESSION_NAME: ("s.name", True),
    SessionSort.START_TIME: ("s.first_start_us", False),
    SessionSort.LAST_START_TIME: ("s.latest_start_us", False),
    SessionSort.COST_USD: ("s.cost_usd", True),
    SessionSort.REQUEST_COUNT: ("s.request_count", False),
    SessionSort.INPUT_TOKENS: ("s.prompt_tokens", False),
    SessionSort.OUTPUT_TOKENS: ("s.completion_tokens", False),
    SessionSort.TOTAL_TOKENS: ("s.total_tokens", False),
    SessionSort.MEAN_LATENCY_MS: (
        "CASE WHEN s.latency_count > 0 THEN s.latency_sum_ms / s.latency_count END",
        True,
    ),
    SessionSort.ERROR_COUNT: ("s.error_count", False),
    SessionSort.STATUS: (SESSION_STATUS, False),
    SessionSort.DURATION_MS: ("(s.last_end_us - s.first_start_us)", False),
}
_PERCENTILE_SORTS = {SessionSort.P50_LATENCY_MS: 0.5, SessionSort.P95_LATENCY_MS: 0.95}


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class SqlStore(ABC):
    """Shared implementation of `agenttrace.server.store.base.Store`."""

    dialect: Dialect
    applied_migrations: list[int]
    """The migration versions this open applied (empty when the database was current)."""

    @property
    def backend(self) -> str:
        """The dialect's name."""
        return self.dialect.name

    @abstractmethod
    def _write(self) -> AbstractContextManager[DbConnection]:
        """A connection in a write transaction, committed (durably) when the block ends."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[DbConnection]:
        """A connection holding one consistent snapshot for the block."""

    @abstractmethod
    def close(self) -> None:
        """Release connections. Safe to call twice."""

    def _migrate(self) -> None:
        """Bring the schema up to date (call once, on open)."""
        with self._write() as conn:
            self.applied_migrations = apply_migrations(conn, self.dialect, _now_us())

    def schema_version(self) -> int:
        """The highest migration applied."""
        with self._read() as conn:
            return current_version(conn, self.dialect)

    def key_store(self) -> SqlKeyStore:
        """The API keys kept in this database (`agenttrace.server.store.api_keys`)."""
        return SqlKeyStore(self._write, self._read, self.dialect)

    def alert_store(self) -> SqlAlertStore:
        """The alert rules, events and deliveries kept in this database
        (`agenttrace.server.store.alerts`)."""
        return SqlAlertStore(self._write, self._read, self.dialect)

    def score_store(self) -> SqlScoreStore:
        """The scores kept in this database (`agenttrace.server.store.scores`)."""
        return SqlScoreStore(self._write, self._read, self.dialect)

    def _sql(self, conn: DbConnection, text: str, params: Sequence[Any] = ()) -> list[Any]:
        return conn.execute(self.dialect.sql(text), params).fetchall()

    # -- ingest -------------------------------------------------------------------------

    def ingest(self, project_id: str, records: Sequence[Record]) -> IngestCounts:
        """Store new records and roll them up, in one durable transaction."""
        if not records:
            return IngestCounts(accepted=0, duplicates=0)
        return self._write_batch(
            lambda conn: ingest_records(conn, self.dialect, project_id, records, _now_us())
        )

    def ingest_spans(
        self,
        project_id: str,
        links: Sequence[SpanLink],
        records: Mapping[str, Record],
        resolve: Resolver,
    ) -> IngestCounts:
        """Store span links and their records placed by ``resolve``, and re-place stored
        records below the new spans, in one durable transaction (`otlp_spans`)."""
        if not links:
            return IngestCounts(accepted=0, duplicates=0)
        return self._write_batch(
            lambda conn: ingest_spans(
                conn,
                self.dialect,
                project_id,
                links=links,
                records=records,
                resolve=resolve,
                now_us=_now_us(),
            )
        )

    def _write_batch(
        self, work: Callable[[DbConnection], IngestCounts], *, repaired: bool = False
    ) -> IngestCounts:
        """``work`` (an ingest) in one write transaction (`_write`). PostgreSQL runs it
        again in a new one after a deadlock or a serialization failure; ``repaired`` says
        its values hold no NUL (PostgreSQL's connection then does not look for one)."""
        with self._write() as conn:
            return work(conn)

    def prune(
        self, before: datetime, *, batch_sessions: int = DEFAULT_BATCH_SESSIONS
    ) -> PruneCounts:
        """Delete sessions whose last request ended before ``before`` (`_prune`)."""
        return prune_sessions(
            self._write, self.dialect, to_us(before), batch_sessions=batch_sessions
        )

    # -- sessions -----------------------------------------------------------------------

    def session_page_sql(self, project_id: str, query: SessionQuery) -> tuple[str, list[Any]]:
        """The SQL (``?`` placeholders) and parameters selecting a page of sessions, for
        EXPLAIN and benchmarks (not used for the percentile sorts)."""
        condition, params = compile_filter(query.filter, "session", self.dialect, project_id)
        direction = "DESC" if query.order is SortOrder.DESC else "ASC"
        expression, nullable = _SORT_EXPRESSIONS.get(query.sort, ("s.first_start_us", False))
        order_params: list[Any] = []
        if query.sort is SessionSort.SCORE:
            expression, nullable = SCORE_AVERAGE, True
            order_params = [query.score_name] * 2
        nulls_last = f"({expression}) IS NULL, " if nullable else ""
        sql = (
            f"SELECT {query_rows.SESSION_COLUMNS} FROM sessions s "
            f"WHERE s.project_id = ? AND ({condition}) "
            f"ORDER BY {nulls_last}{expression} {direction}, s.session_id {direction} "
            "LIMIT ? OFFSET ?"
        )
        return sql, [project_id, *params, *order_params, query.limit, query.offset]

    def query_sessions(self, project_id: str, query: SessionQuery) -> SessionPage:
        """A page of matching sessions, sorted, with their total."""
        condition, params = compile_filter(query.filter, "session", self.dialect, project_id)
        where = f"s.project_id = ? AND ({condition})"
        all_params = [project_id, *params]
        with self._read() as conn:
            total = int(
                self._sql(conn, f"SELECT count(*) FROM sessions s WHERE {where}", all_params)[0][0]
            )
            if query.sort in _PERCENTILE_SORTS:
                page_ids = self._ids_by_percentile(conn, where, all_params, query)
                rows = self._session_rows(conn, project_id, page_ids)
            else:
                sql, page_params = self.session_page_sql(project_id, query)
                rows = self._complete_sessions(conn, project_id, self._sql(conn, sql, page_params))
        return SessionPage(sessions=rows, total=total, limit=query.limit, offset=query.offset)

    def explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        """The backend's query plan for ``sql``, one line per step."""
        with self._read() as conn:
            rows = self._sql(conn, self.dialect.explain_prefix + sql, params)
        return [self.dialect.plan_line(row) for row in rows]

    def _ids_by_percentile(
        self, conn: DbConnection, where: str, params: list[Any], query: SessionQuery
    ) -> list[str]:
        """Session ids of the page when sorting by a latency percentile (computed for all
        matching sessions, so slower than the other sorts)."""
        sql = (
            "SELECT s.session_id, r.end_us - r.start_us FROM sessions s "
            "LEFT JOIN records r ON r.project_id = s.project_id AND r.session_id = s.session_id "
            f"AND r.end_us IS NOT NULL AND r.kind <> 'human' WHERE {where}"
        )
        latencies: dict[str, list[float]] = {}
        for session_id, latency_us in self._sql(conn, sql, params):
            bucket = latencies.setdefault(session_id, [])
            if latency_us is not None:
                bucket.append(latency_us / 1000.0)
        fraction = _PERCENTILE_SORTS[query.sort]
        keyed = []
        for session_id, values in latencies.items():
            values.sort()
            keyed.append((self.dialect.percentile(values, fraction), session_id))
        descending = query.order is SortOrder.DESC
        present = sorted((k for k in keyed if k[0] is not None), reverse=descending)
        missing = sorted((k for k in keyed if k[0] is None), key=lambda k: k[1], reverse=descending)
        ordered = [session_id for _, session_id in [*present, *missing]]
        return ordered[query.offset : query.offset + query.limit]

    def _session_rows(
        self,
        conn: DbConnection,
        project_id: str,
        session_ids: Sequence[str],
        latencies: dict[str, list[float]] | None = None,
    ) -> list[SessionRow]:
        """Complete rows for ``session_ids``, in that order (``latencies``: see
        `_complete_sessions`)."""
        if not session_ids:
            return []
        sql = (
            f"SELECT {query_rows.SESSION_COLUMNS} FROM sessions s WHERE s.project_id = ? "
            f"AND s.session_id IN ({_marks(len(session_ids))})"
        )
        found = self._sql(conn, sql, [project_id, *session_ids])
        complete = self._complete_sessions(conn, project_id, found, latencies)
        rows = {row.session_id: row for row in complete}
        return [rows[session_id] for session_id in session_ids if session_id in rows]

    def _complete_sessions(
        self,
        conn: DbConnection,
        project_id: str,
        found: list[Any],
        known_latencies: dict[str, list[float]] | None = None,
    ) -> list[SessionRow]:
        """SessionRows from ``sessions`` rows, with users, properties and percentiles (from
        ``known_latencies``, each session's sorted latencies, when the caller has them)."""
        if not found:
            return []
        users, properties, latencies = session_extras(
            conn,
            self.dialect,
            project_id,
            [row[0] for row in found],
            with_latencies=known_latencies is None,
        )
        if known_latencies is not None:
            latencies = known_latencies
        return [
            query_rows.session_row(
                row,
                users.get(row[0], []),
                properties.get(row[0], {}),
                latencies.get(row[0], []),
                self.dialect,
            )
            for row in found
        ]

    def get_session(
        self,
        project_id: str,
        session_id: str,
        *,
        include_bodies: bool = False,
        limit: int = DEFAULT_SESSION_REQUESTS,
    ) -> SessionDetail | None:
        """The session's metrics, paths and tree, and the first page of its requests in
        time order (`request_page`). The metrics stream the session's rows (`iter_samples`)
        into per-path totals, so the memory held grows with its distinct paths and by 8
        bytes a request (latencies, for exact percentiles), not with the rows."""
        session_id = repair_id(session_id)  # as stored (text_repair)
        query = RequestQuery(order=SortOrder.ASC, limit=limit, include_bodies=include_bodies)
        condition = "r.session_id = ?"
        with self._read() as conn:
            found = self._sql(
                conn,
                "SELECT 1 FROM sessions WHERE project_id = ? AND session_id = ?",
                [project_id, session_id],
            )
            if not found:
                return None
            totals = totals_by_path(
                iter_samples(conn, self.dialect, project_id, (condition, [session_id]))
            )
            latencies = {session_id: sorted_latencies(totals.values())}
            sessions = self._session_rows(conn, project_id, [session_id], latencies)
            requests, next_cursor = request_page(
                conn, self.dialect, project_id, (condition, [session_id]), query
            )
        return SessionDetail(
            session=sessions[0],
            paths=path_rows(totals, self.dialect),
            tree=build_tree(totals),
            requests=requests,
            next_cursor=next_cursor,
        )

    # -- requests and paths -------------------------------------------------------------

    def query_requests(self, project_id: str, query: RequestQuery) -> RequestPage:
        """A page of matching requests by (start time, id), with their total and the
        cursor of the next page (`request_page`)."""
        condition, params = compile_filter(query.filter, "request", self.dialect, project_id)
        with self._read() as conn:
            total = int(
                self._sql(
                    conn,
                    f"SELECT count(*) FROM records r WHERE r.project_id = ? AND ({condition})",
                    [project_id, *params],
                )[0][0]
            )
            requests, next_cursor = request_page(
                conn, self.dialect, project_id, (condition, params), query
            )
        return RequestPage(
            requests=requests,
            total=total,
            limit=query.limit,
            offset=query.offset,
            next_cursor=next_cursor,
        )

    def export_requests(self, project_id: str, query: ExportQuery) -> Iterator[bytes]:
        """The matching requests, oldest first, as NDJSON chunks read as they are taken
        (`_export_stream`); an invalid filter raises now."""
        return request_stream(self._read, self.dialect, project_id, query)

    def export_sessions(self, project_id: str, query: ExportQuery) -> Iterator[bytes]:
        """The matching sessions, by start, as NDJSON chunks (`_export_stream`)."""
        return session_stream(self._read, self.dialect, project_id, query)

    def get_request(self, project_id: str, request_id: str) -> RequestRow | None:
        """One request with its bodies."""
        request_id = repair_id(request_id)  # as stored (text_repair)
        with self._read() as conn:
            found = self._sql(
                conn,
                f"SELECT {query_rows.request_columns(True)} FROM records r "
                "WHERE r.project_id = ? AND r.id = ?",
                [project_id, request_id],
            )
        return query_rows.request_row(found[0], self.dialect, True) if found else None

    def query_paths(self, project_id: str, query: PathQuery) -> list[PathRow]:
        """Per-path aggregates over the matching requests."""
        condition, params = compile_filter(query.filter, "request", self.dialect, project_id)
        with self._read() as conn:
            totals = totals_by_path(
                iter_samples(conn, self.dialect, project_id, (condition, params))
            )
        return path_rows(totals, self.dialect)

    def query_metrics(self, project_id: str, query: MetricsQuery) -> MetricsResult:
        """Metrics per group of the matching requests (`_metrics_sql`)."""
        with self._read() as conn:
            return query_metrics(conn, self.dialect, project_id, query)

    def query_feed(self, project_id: str, query: FeedQuery) -> FeedPage:
        """Requests stored after the query's cursor, oldest first (`_feed`)."""
        with self._read() as conn:
            return feed_page(conn, self.dialect, project_id, query, _now_us())

    def query_user_metrics(self, project_id: str, query: UserMetricsQuery) -> UserMetricsPage:
        """Figures per user of the matching requests (`_user_metrics`)."""
        with self._read() as conn:
            return user_metrics(conn, self.dialect, project_id, query)

    def query_properties(
        self, project_id: str, *, limit: int = 100, values: int = 5
    ) -> list[PropertyKey]:
        """The project's property keys and their most used values (`_property_keys`)."""
        if limit < 1 or values < 0:
            msg = f"need limit >= 1 and values >= 0; got limit={limit}, values={values}"
            raise InvalidQueryError(msg)
        with self._read() as conn:
            return property_keys(conn, self.dialect, project_id, limit=limit, values=values)

    def record_count(self, project_id: str) -> int:
        """How many records the project has (for tests and health checks)."""
        with self._read() as conn:
            return int(
                self._sql(conn, "SELECT count(*) FROM records WHERE project_id = ?", [project_id])[
                    0
                ][0]
            )


def _now_us() -> int:
    return time.time_ns() // 1000
