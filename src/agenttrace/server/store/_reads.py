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

__all__ = [
    "SAMPLE_CHUNK",
    "Position",
    "RequestPageRows",
    "choose_requests",
    "iter_samples",
    "keyset_after",
    "request_page",
    "session_extras",
]

SAMPLE_CHUNK = 5000

RequestPageRows = tuple[list[RequestRow], str | None]
Position = tuple[int, str | None]
"""A place in (start time, id) order: microseconds and id (None: after every row of that
time)."""


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


def keyset_after(column: str, id_column: str, after: Position | None) -> tuple[str, list[Any]]:
    """The condition (with a leading `` AND``) for rows past ``after`` in ascending
    (``column``, ``id_column``) order, and its parameters: past (time, id), or, with no id,
    started after the time."""
    if after is None:
        return "", []
    after_us, after_id = after
    if after_id is None:
        return f" AND {column} > ?", [after_us]
    # the plain bound lets an index on the time column start at the right place
    return (
        f" AND {column} >= ? AND ({column}, {id_column}) > (?, ?)",
        [after_us, after_us, after_id],
    )


def choose_requests(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    where: tuple[str, Sequence[Any]],
    *,
    after: Position | None,
    order: SortOrder,
    limit: int,
    offset: int,
    include_bodies: bool,
    page_bytes: int,
) -> tuple[list[Sequence[Any]], bool]:
    """The `request_columns` rows (with their two bodies after them when asked for) of one
    page among the project's rows ``r`` of ``records`` meeting ``where`` (a condition with
    ``?`` placeholders, and its parameters), past ``after`` in ``order``: at most ``limit``
    rows, fewer once their text would pass ``page_bytes`` (never none when one matches);
    and whether a row follows."""
    condition, params = where
    direction = "DESC" if order is SortOrder.DESC else "ASC"
    keyset, keyset_params = "", []
    if after is not None and order is SortOrder.DESC:
        keyset, keyset_params = " AND (r.start_us, r.id) < (?, ?)", list(after)
    elif after is not None:
        keyset, keyset_params = keyset_after("r.start_us", "r.id", after)
    sizes = ""
    if include_bodies:
        sizes = (
            f", {dialect.byte_length('r.request_json')}, {dialect.byte_length('r.response_json')}"
        )
    sql = (
        f"SELECT {query_rows.request_columns(False)}{sizes} FROM records r "
        f"WHERE r.project_id = ? AND ({condition}){keyset} "
        f"ORDER BY r.start_us {direction}, r.id {direction} LIMIT ? OFFSET ?"
    )
    found: list[Sequence[Any]] = conn.execute(
        dialect.sql(sql), [project_id, *params, *keyset_params, limit + 1, offset]
    ).fetchall()  # limit + 1 rows without bodies: bounded
    more = len(found) > limit
    used = 0
    for count, row in enumerate(found[:limit]):
        used += query_rows.request_text_size(row)
        if include_bodies:
            used += (row[-2] or 0) + (row[-1] or 0)
        if count and used > page_bytes:
            found, more = found[:count], True
            break
    else:
        found = found[:limit]
    if not include_bodies:
        return found, more
    chosen = [row[:-2] for row in found]
    bodies = _bodies(
        conn, dialect, project_id, [query_rows.request_position(row)[1] for row in chosen]
    )
    return [(*row, *bodies[query_rows.request_position(row)[1]]) for row in chosen], more


def request_page(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    where: tuple[str, Sequence[Any]],
    query: RequestQuery,
) -> RequestPageRows:
    """The requests of ``query``'s page among the project's rows ``r`` of ``records``
    meeting ``where`` (see `choose_requests`), and the cursor of the next page (None when
    no row follows)."""
    after = _start_after(query)
    chosen, more = choose_requests(
        conn,
        dialect,
        project_id,
        where,
        after=(after.start_us, after.request_id) if after is not None else None,
        order=query.order,
        limit=query.limit,
        offset=query.offset,
        include_bodies=query.include_bodies,
        page_bytes=query.page_bytes,
    )
    next_cursor = None
    if more and chosen:
        start_us, request_id = query_rows.request_position(chosen[-1])
        next_cursor = encode_cursor(RequestCursor(query.order, start_us, request_id))
    rows = [query_rows.request_row(row, dialect, query.include_bodies) for row in chosen]
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


SessionExtras = tuple[dict[str, list[str]], dict[str, dict[str, str]], dict[str, list[float]]]


def session_extras(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    session_ids: Sequence[str],
    *,
    with_latencies: bool = True,
) -> SessionExtras:
    """What a session row holds beside its ``sessions`` row, for ``session_ids``: their
    users (sorted), their properties (a key set to several values: the earliest) and, with
    ``with_latencies``, the sorted latencies (ms) of their requests that ended (questions to
    a human left out)."""
    if not session_ids:
        return {}, {}, {}
    marks = ", ".join("?" * len(session_ids))
    params = [project_id, *session_ids]
    users: dict[str, list[str]] = {}
    for session_id, user_id in conn.execute(
        dialect.sql(
            "SELECT session_id, user_id FROM session_users WHERE project_id = ? "
            f"AND session_id IN ({marks}) ORDER BY user_id"
        ),
        params,
    ).fetchall():
        users.setdefault(session_id, []).append(user_id)
    properties: dict[str, dict[str, str]] = {}
    for session_id, key, value, _ in conn.execute(
        dialect.sql(
            "SELECT session_id, key, value, first_start_us FROM session_properties "
            f"WHERE project_id = ? AND session_id IN ({marks}) "
            "ORDER BY first_start_us DESC, value DESC"
        ),
        params,
    ).fetchall():
        properties.setdefault(session_id, {})[key] = value  # the earliest wins (last)
    latencies: dict[str, list[float]] = {}
    if with_latencies:
        for session_id, latency_us in conn.execute(
            dialect.sql(
                "SELECT session_id, end_us - start_us FROM records WHERE project_id = ? "
                f"AND session_id IN ({marks}) AND end_us IS NOT NULL AND kind <> 'human'"
            ),
            params,
        ).fetchall():
            latencies.setdefault(session_id, []).append(latency_us / 1000.0)
        for values in latencies.values():
            values.sort()
    return users, properties, latencies
