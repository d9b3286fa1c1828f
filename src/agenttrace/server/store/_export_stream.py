"""Export streams: every matching request or session, oldest first, as NDJSON.

A stream walks the project's rows in (start time, id) order (sessions: their first
request's start, then their id) by keyset, `EXPORT_CHUNK` rows at a time, each chunk
read in its own short read transaction (no transaction stays open for the whole export,
so a SQLite WAL can be checkpointed and PostgreSQL can vacuum meanwhile). A chunk with
bodies also stops once its text would pass ``page_bytes`` (as a page of ``GET
/v1/requests`` does), so the collector holds about one chunk whatever the export's size.

Each line is the row as the lists answer it (`RequestRow`, `SessionRow`), without a
model per row: a session's from a plain dict serialised by pydantic-core, a request's
(the hot path, about 20 % faster) written key by key from the stored tuple with the
standard library's C string encoder, its properties and bodies spliced in as stored
(JSON text). Numbers are spelled as Python does (``1e-05`` where pydantic writes
``0.00001``); parsed, the lines equal the list's rows. Following the order, a row's
``start_time`` and ``id`` (``session_id``) are where a stream that stopped after it goes
on (``after``), so a client resumes from the last line it wrote. Rows are visited once
each even while records arrive: one that arrives behind the position already streamed
(an earlier start) is not visited. A session's start can move earlier when an earlier
request of it arrives late; an export then meets it once or not at all.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from json.encoder import encode_basestring
from math import isfinite
from typing import Any

from pydantic_core import to_json

from agenttrace.server.store import query_rows
from agenttrace.server.store._compile import compile_filter
from agenttrace.server.store._reads import Position, choose_requests, keyset_after, session_extras
from agenttrace.server.store.base import MAX_PAGE_BYTES, InvalidQueryError
from agenttrace.server.store.dialect import DbConnection, Dialect, to_us
from agenttrace.server.store.filters import Filter, SortOrder

__all__ = ["EXPORT_CHUNK", "ExportQuery", "request_stream", "session_stream"]

EXPORT_CHUNK = 4000
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


_EPOCH = datetime(1970, 1, 1)  # naive: isoformat() then has no offset, "Z" is added
_encode = encode_basestring  # a str as a JSON string, non-ASCII kept (C)


def _text(value: str | None) -> str:
    return "null" if value is None else _encode(value)


def _number(value: float | None) -> str:
    if value is None or (type(value) is float and not isfinite(value)):
        return "null"  # as pydantic writes a non-finite float
    return repr(value)


def _time(us: int) -> str:
    return f'"{(_EPOCH + timedelta(microseconds=us)).isoformat()}Z"'


def _stored_json(stored: Any) -> str:
    """A body or the properties as stored: JSON text (`dialect.dump_body`), spliced as it
    is; a value a driver parsed (a JSON column) is written again."""
    if stored is None:
        return "null"
    if isinstance(stored, str):
        return stored
    if isinstance(stored, bytes):
        return stored.decode("utf-8")
    return to_json(stored).decode("utf-8")


def _request_line(row: Sequence[Any], include_bodies: bool) -> str:
    """A request's line: the JSON object `RequestRow` (`query_rows.request_values`) is,
    key for key, written straight from the stored tuple (a `request_columns` row, with its
    two bodies after it when asked for)."""
    (request_id, kind, session_id, session_name, path, parent_id, name, model, provider,
     user_id, start_us, end_us, ttft_ms, status, error_type, error_message, input_tokens,
     output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
     cost_usd, attempt, branch_id, properties_json) = row[:_FIELDS]  # fmt: skip
    error = "null"
    if error_type is not None:
        error = f'{{"type":{_encode(error_type)},"message":{_encode(error_message or "")}}}'
    ended = end_us is not None
    bodies = ""
    if include_bodies:
        bodies = (
            f',"request_body":{_stored_json(row[_FIELDS])}'
            f',"response_body":{_stored_json(row[_FIELDS + 1])}'
        )
    return (
        f'{{"id":{_encode(request_id)},"kind":{_encode(kind)},"status":{_encode(status)},'
        f'"session_id":{_encode(session_id)},"session_name":{_text(session_name)},'
        f'"session_path":{_encode(path)},"parent_id":{_text(parent_id)},'
        f'"name":{_encode(name)},"model":{_text(model)},"provider":{_text(provider)},'
        f'"user_id":{_text(user_id)},"properties":{_stored_json(properties_json)},'
        f'"start_time":{_time(start_us)},"end_time":{_time(end_us) if ended else "null"},'
        f'"latency_ms":{repr((end_us - start_us) / 1000.0) if ended else "null"},'
        f'"time_to_first_token_ms":{_number(ttft_ms)},"input_tokens":{_number(input_tokens)},'
        f'"output_tokens":{_number(output_tokens)},"total_tokens":{_number(total_tokens)},'
        f'"cache_read_tokens":{_number(cache_read_tokens)},'
        f'"cache_write_tokens":{_number(cache_write_tokens)},'
        f'"reasoning_tokens":{_number(reasoning_tokens)},"cost_usd":{_number(cost_usd)},'
        f'"error":{error},"attempt":{int(attempt)},"branch_id":{_text(branch_id)}{bodies}}}\n'
    )


_FIELDS = len(query_rows.request_columns(False).split(", "))


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
        bodies = query.include_bodies
        data = "".join([_request_line(row, bodies) for row in rows]).encode("utf-8")
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
