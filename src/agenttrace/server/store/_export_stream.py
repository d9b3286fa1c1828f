"""Export streams: every matching request or session, oldest first, as NDJSON.

A stream walks the project's rows in (start time, id) order (sessions: their first
request's start, then their id) by keyset, `EXPORT_CHUNK` rows at a time, each chunk read
in its own short read transaction (no transaction stays open for the whole export, so a
SQLite WAL can be checkpointed and PostgreSQL can vacuum meanwhile). A chunk with bodies
also stops once its text would pass ``page_bytes`` (as a page of ``GET /v1/requests``
does), so the collector holds about one chunk whatever the export's size.

Each line is the row exactly as the lists answer it (`RequestRow`, `SessionRow`), built
from the database tuple as a plain dict and serialised by pydantic-core, without a model
per row. Following the order, a row's ``start_time`` and ``id`` (``session_id``) are where
a stream that stopped after it goes on (``after``), so a client resumes from the last line
it wrote. Rows are visited once each even while records arrive: one that arrives behind
the position already streamed (an earlier start) is not visited. A session's start can
move earlier when an earlier request of it arrives late; an export then meets it once or
not at all.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_json

from agenttrace.server.store import query_rows
from agenttrace.server.store._compile import compile_filter
from agenttrace.server.store._reads import Position, choose_requests, keyset_after, session_extras
from agenttrace.server.store.base import MAX_PAGE_BYTES, InvalidQueryError
from agenttrace.server.store.dialect import DbConnection, Dialect, to_us
from agenttrace.server.store.filters import Filter, SortOrder

__all__ = ["EXPORT_CHUNK", "ExportQuery", "request_stream", "session_stream"]

EXPORT_CHUNK = 1000
"""Rows read per chunk (per read transaction)."""

Reader = Callable[[], AbstractContextManager[DbConnection]]
_Chunk = tuple[bytes, int, Position | None, bool]
"""The lines of a chunk, how many, the position of its last row, whether rows may follow."""


@dataclass(frozen=True, slots=True)
class ExportQuery:
    """Which rows to stream: those matching ``filter`` past (``after_time``,
    ``after_id``) in (start time, id) order (``after_time`` alone: started after it), at
    most ``limit`` (None: all)."""

    filter: Filter | None = None
    after_time: datetime | None = None
    after_id: str | None = None
    include_bodies: bool = False
    limit: int | None = None
    chunk: int = EXPORT_CHUNK
    page_bytes: int = MAX_PAGE_BYTES

    def __post_init__(self) -> None:
        if self.after_id is not None and self.after_time is None:
            msg = (
                "after_id needs after_time: pass the start_time and the id of the last row "
                "received (for sessions, its session_id)"
            )
            raise InvalidQueryError(msg)
        if self.limit is not None and self.limit < 1:
            msg = f"limit must be at least 1 (or left out for every row); got {self.limit}"
            raise InvalidQueryError(msg)
        if self.chunk < 1 or self.page_bytes < 1:
            msg = f"chunk and page_bytes must be at least 1; got {self.chunk}, {self.page_bytes}"
            raise InvalidQueryError(msg)

    @property
    def after(self) -> Position | None:
        """Where the stream starts."""
        if self.after_time is None:
            return None
        return to_us(self.after_time), self.after_id


def _lines(values: Iterator[dict[str, Any]]) -> bytes:
    """The rows as NDJSON: one compact JSON object a line, UTF-8 (not ASCII-escaped)."""
    text = b"\n".join(map(to_json, values))
    return text + b"\n" if text else b""


_PROPERTIES_MARK = "\x00agenttrace properties\x00"
_PROPERTIES_MARK_JSON = to_json(_PROPERTIES_MARK)
_PROPERTIES = query_rows.request_columns(False).split(", ").index("r.properties_json")


def _request_line(row: Sequence[Any], dialect: Dialect, include_bodies: bool) -> bytes:
    """A request's line. Its properties are spliced in as stored (compact JSON, as
    `dialect.dump_body` wrote them) rather than parsed and written again, unless the mark
    that holds their place occurs in the line more than once (some text of the row holds
    it too)."""
    line = to_json(query_rows.request_values(row, dialect, include_bodies, _PROPERTIES_MARK))
    if line.count(_PROPERTIES_MARK_JSON) == 1:
        return line.replace(_PROPERTIES_MARK_JSON, row[_PROPERTIES].encode("utf-8")) + b"\n"
    return to_json(query_rows.request_values(row, dialect, include_bodies)) + b"\n"


def _walk(read: Reader, fetch: Callable[[DbConnection, Position | None, int], _Chunk],
          query: ExportQuery) -> Iterator[bytes]:  # fmt: skip
    """The chunks of a stream. Each ``next`` reads one chunk in its own transaction and
    holds nothing open between chunks (the web server may resume it on another thread)."""
    after = query.after
    left = query.limit
    while left is None or left > 0:
        size = query.chunk if left is None else min(query.chunk, left)
        with read() as conn:
            data, count, last, more = fetch(conn, after, size)
        if count:
            yield data
        if left is not None:
            left -= count
        if not more or last is None:
            return
        after = last


def request_stream(read: Reader, dialect: Dialect, project_id: str,
                   query: ExportQuery) -> Iterator[bytes]:  # fmt: skip
    """The requests of ``query`` as NDJSON chunks (`RequestRow` lines). The filter is
    compiled now (an invalid one raises here); the rows are read as the chunks are taken."""
    where = compile_filter(query.filter, "request", dialect, project_id)

    def fetch(conn: DbConnection, after: Position | None, size: int) -> _Chunk:
        rows, more = choose_requests(
            conn,
            dialect,
            project_id,
            where,
            after=after,
            order=SortOrder.ASC,
            limit=size,
            offset=0,
            include_bodies=query.include_bodies,
            page_bytes=query.page_bytes,
        )
        data = b"".join(_request_line(row, dialect, query.include_bodies) for row in rows)
        last = query_rows.request_position(rows[-1]) if rows else None
        return data, len(rows), last, more

    return _walk(read, fetch, query)


def session_stream(read: Reader, dialect: Dialect, project_id: str,
                   query: ExportQuery) -> Iterator[bytes]:  # fmt: skip
    """The sessions of ``query`` as NDJSON chunks (`SessionRow` lines), by their start
    (``start_time``, then ``session_id``); see `request_stream`."""
    condition, params = compile_filter(query.filter, "session", dialect, project_id)

    def fetch(conn: DbConnection, after: Position | None, size: int) -> _Chunk:
        keyset, keyset_params = keyset_after("s.first_start_us", "s.session_id", after)
        found: Sequence[Sequence[Any]] = conn.execute(
            dialect.sql(
                f"SELECT {query_rows.SESSION_COLUMNS} FROM sessions s "
                f"WHERE s.project_id = ? AND ({condition}){keyset} "
                "ORDER BY s.first_start_us, s.session_id LIMIT ?"
            ),
            [project_id, *params, *keyset_params, size],
        ).fetchall()
        if not found:
            return b"", 0, None, False
        users, properties, latencies = session_extras(
            conn, dialect, project_id, [row[0] for row in found]
        )
        data = _lines(
            query_rows.session_values(
                row,
                users.get(row[0], []),
                properties.get(row[0], {}),
                latencies.get(row[0], []),
                dialect,
            )
            for row in found
        )
        last = found[-1]
        return data, len(found), (int(last[2]), str(last[0])), len(found) == size

    return _walk(read, fetch, query)
