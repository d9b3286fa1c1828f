"""Bounded reads shared by every SQL backend: pages of requests and streams of samples.

A page of requests is chosen without its bodies: the rows of the page (``limit`` + 1, to
know whether one follows) come with the byte size of their bodies as the database stores
them, and are read one at a time until the page is full or its text would pass the
query's ``page_bytes``; only then are the bodies of the chosen rows fetched. So a query
holds at most about ``page_bytes`` of bodies, however many rows or bytes it asks for.

Samples (the metrics' view of a request) are read in keyset chunks of `SAMPLE_CHUNK`
rows in (start time, id) order, so neither the database driver nor Python holds all the
rows of a large session at once.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from agenttrace.server.store import query_rows
from agenttrace.server.store._metrics import (
    SAMPLE_COLUMNS,
    Sample,
    sample_from_row,
    sample_position,
)
from agenttrace.server.store.base import InvalidQueryError, RequestQuery
from agenttrace.server.store.cursors import RequestCursor, decode_cursor, encode_cursor
from agenttrace.server.store.dialect import DbConnection, Dialect
from agenttrace.server.store.filters import SortOrder
from agenttrace.server.store.query_rows import RequestRow

__all__ = ["SAMPLE_CHUNK", "RequestPageRows", "iter_samples", "request_page"]

SAMPLE_CHUNK = 5000

RequestPageRows = tuple[list[RequestRow], str | None]


def _start_after(query: RequestQuery) -> RequestCursor | None:
    if query.cursor is None:
        return None
    cursor = decode_cursor(query.cursor)
    if cursor.order is not query.order:
        msg = (
            f"cursor goes on a query in order={cursor.order.value}, this one is "
            f"order={query.order.value}; leave order out (the cursor keeps its own) or start "
            "again without cursor"
        )
        raise InvalidQueryError(msg)
    return cursor


def request_page(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    where: tuple[str, Sequence[Any]],
    query: RequestQuery,
) -> RequestPageRows:
    """The requests of ``query``'s page among the project's rows ``r`` of ``records``
    meeting ``where`` (a condition with ``?`` placeholders, and its parameters), and the
    cursor of the next page (None when no row follows)."""
    condition, params = where
    after = _start_after(query)
    direction = "DESC" if query.order is SortOrder.DESC else "ASC"
    keyset, keyset_params = "", []
    if after is not None:
        keyset = f" AND (r.start_us, r.id) {'<' if direction == 'DESC' else '>'} (?, ?)"
        keyset_params = [after.start_us, after.request_id]
    sizes = ""
    if query.include_bodies:
        sizes = (
            f", {dialect.byte_length('r.request_json')}, {dialect.byte_length('r.response_json')}"
        )
    sql = (
        f"SELECT {query_rows.request_columns(False)}{sizes} FROM records r "
        f"WHERE r.project_id = ? AND ({condition}){keyset} "
        f"ORDER BY r.start_us {direction}, r.id {direction} LIMIT ? OFFSET ?"
    )
    cursor = conn.execute(
        dialect.sql(sql), [project_id, *params, *keyset_params, query.limit + 1, query.offset]
    )
    chosen: list[Sequence[Any]] = []
    used = 0
    more = False
    try:
        while (row := cursor.fetchone()) is not None:
            if len(chosen) == query.limit:
                more = True
                break
            size = query_rows.request_text_size(row)
            if query.include_bodies:
                size += (row[-2] or 0) + (row[-1] or 0)
                row = row[:-2]
            if chosen and used + size > query.page_bytes:
                more = True
                break
            chosen.append(row)
            used += size
    finally:
        cursor.close()
    next_cursor = None
    if more and chosen:
        start_us, request_id = query_rows.request_position(chosen[-1])
        next_cursor = encode_cursor(RequestCursor(query.order, start_us, request_id))
    if not query.include_bodies:
        return [query_rows.request_row(row, dialect, False) for row in chosen], next_cursor
    bodies = _bodies(
        conn, dialect, project_id, [query_rows.request_position(row)[1] for row in chosen]
    )
    rows = [
        query_rows.request_row((*row, *bodies[query_rows.request_position(row)[1]]), dialect, True)
        for row in chosen
    ]
    return rows, next_cursor


def _bodies(
    conn: DbConnection, dialect: Dialect, project_id: str, ids: list[str]
) -> dict[str, tuple[Any, Any]]:
    """The stored request and response bodies of ``ids``, by id."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    found = conn.execute(
        dialect.sql(
            "SELECT r.id, r.request_json, r.response_json FROM records r "
            f"WHERE r.project_id = ? AND r.id IN ({marks})"
        ),
        [project_id, *ids],
    ).fetchall()
    return {row[0]: (row[1], row[2]) for row in found}


def iter_samples(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    where: tuple[str, Sequence[Any]],
    *,
    chunk: int = SAMPLE_CHUNK,
) -> Iterator[Sample]:
    """The samples of the project's rows ``r`` of ``records`` meeting ``where`` (see
    `request_page`), in (start time, id) order, read ``chunk`` rows at a time."""
    condition, params = where
    after: list[Any] = []
    while True:
        keyset = " AND (r.start_us, r.id) > (?, ?)" if after else ""
        found = conn.execute(
            dialect.sql(
                f"SELECT {SAMPLE_COLUMNS} FROM records r "
                f"WHERE r.project_id = ? AND ({condition}){keyset} "
                "ORDER BY r.start_us, r.id LIMIT ?"
            ),
            [project_id, *params, *after, chunk],
        ).fetchall()
        for row in found:
            yield sample_from_row(row)
        if len(found) < chunk:
            return
        after = list(sample_position(found[-1]))
