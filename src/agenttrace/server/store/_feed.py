"""The live feed: requests in the order they were stored, after a cursor.

A record's ``received_us`` is the time its ingest transaction started (on SQLite, once it
held the write lock). A feed page holds the matching requests stored after the cursor's
position in (received_us, id) order, oldest first, and only those stored at least
`SETTLE_US` ago: a transaction that started earlier but commits later (PostgreSQL lets
several collectors write at once) is then already visible, so following the cursors
shows every request once, whatever order the writers commit in, as long as no ingest
transaction lasts longer than that. Without a cursor a page holds the newest requests
(up to ``limit``). A cursor moves past the page's requests, and up to the settled present
when no more follow.

On the wire a cursor is ``f1.`` and base64url JSON ``[received_us, id]``.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agenttrace.server.store import query_rows
from agenttrace.server.store._compile import compile_filter
from agenttrace.server.store.base import MAX_PAGE_BYTES, InvalidQueryError
from agenttrace.server.store.dialect import DbConnection, Dialect
from agenttrace.server.store.filters import Filter
from agenttrace.server.store.query_rows import RequestRow

__all__ = [
    "FEED_CURSOR_LENGTH",
    "SETTLE_US",
    "FeedPage",
    "FeedQuery",
    "decode_feed_cursor",
    "encode_feed_cursor",
    "feed_page",
]

SETTLE_US = 1_000_000
"""How long ago a request must have been stored to be in a feed page (µs)."""
FEED_CURSOR_LENGTH = 1024
_PREFIX = "f1."


@dataclass(frozen=True, slots=True)
class FeedQuery:
    """Which requests, stored after which cursor (None: the newest), how many at most."""

    filter: Filter | None = None
    after: str | None = None
    limit: int = 100
    page_bytes: int = MAX_PAGE_BYTES


class FeedPage(BaseModel):
    """Requests stored after the cursor given, oldest first."""

    model_config = ConfigDict(frozen=True)

    requests: list[RequestRow]
    cursor: str = Field(
        description=(
            "Pass it as after (with the same filters) for the requests stored since; it "
            "moves past this page's requests."
        )
    )
    more: bool = Field(description="More requests are stored past this page: ask again at once.")


def encode_feed_cursor(received_us: int, request_id: str) -> str:
    """The opaque text of a feed position."""
    raw = json.dumps([received_us, request_id], separators=(",", ":")).encode("utf-8")
    return _PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_feed_cursor(text: str) -> tuple[int, str]:
    """The position ``text`` stands for; `InvalidQueryError` saying what to do otherwise."""
    why = ""
    if len(text) > FEED_CURSOR_LENGTH:
        why = f"longer than {FEED_CURSOR_LENGTH} characters"
    elif not text.startswith(_PREFIX):
        why = f"it does not start with {_PREFIX!r}"
    else:
        body = text[len(_PREFIX) :]
        try:
            received_us, request_id = json.loads(
                base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
            )
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
            why = "it does not decode"
        else:
            valid_us = isinstance(received_us, int) and not isinstance(received_us, bool)
            if valid_us and isinstance(request_id, str):
                return received_us, request_id
            why = "its fields are of the wrong kind"
    msg = (
        f"after is not one this collector made ({why}); pass the cursor of a previous feed "
        "page unchanged, or leave after out to start from the newest requests"
    )
    raise InvalidQueryError(msg)


def feed_page(
    conn: DbConnection, dialect: Dialect, project_id: str, query: FeedQuery, now_us: int
) -> FeedPage:
    """The page of ``query`` among the project's records, as of ``now_us``."""
    if not 1 <= query.limit <= 1000:
        msg = f"limit must be between 1 and 1000; got {query.limit}"
        raise InvalidQueryError(msg)
    settled = now_us - SETTLE_US
    condition, params = compile_filter(query.filter, "request", dialect, project_id)
    columns = f"{query_rows.request_columns(False)}, r.received_us"
    where = f"r.project_id = ? AND ({condition}) AND r.received_us <= ?"
    values: list[Any] = [project_id, *params, settled]
    after: tuple[int, str] = (0, "")
    if query.after is None:
        order = "DESC"
    else:
        order = "ASC"
        after_us, after_id = after = decode_feed_cursor(query.after)
        where += " AND (r.received_us > ? OR (r.received_us = ? AND r.id > ?))"
        values += [after_us, after_us, after_id]
    sql = (
        f"SELECT {columns} FROM records r WHERE {where} "
        f"ORDER BY r.received_us {order}, r.id {order} LIMIT ?"
    )
    cursor = conn.execute(dialect.sql(sql), [*values, query.limit + 1])
    chosen: list[Sequence[Any]] = []
    used = 0
    more = False
    try:
        while (row := cursor.fetchone()) is not None:
            size = query_rows.request_text_size(row)
            if len(chosen) == query.limit or (chosen and used + size > query.page_bytes):
                more = True
                break
            chosen.append(row)
            used += size
    finally:
        cursor.close()
    if query.after is None:
        chosen.reverse()
        more = False  # the newest page: what came before it is not the feed's business
    # Past the page's last request, or (when no request follows) up to the settled
    # present: the rows stored in between were read and do not match, so the next page
    # does not read them again.
    position = (settled, "")
    if chosen:
        last_us, last_id = int(chosen[-1][-1]), query_rows.request_position(chosen[-1])[1]
        if more or last_us == settled:
            position = (last_us, last_id)
    position = max(position, after)  # never back (a cursor from a collector ahead of us)
    rows = [query_rows.request_row(row[:-1], dialect, False) for row in chosen]
    return FeedPage(requests=rows, cursor=encode_feed_cursor(*position), more=more)
