"""Opaque keyset cursors: where the next page of a request query starts.

Requests are paged in (start time, id) order, ascending or descending; both never change
once a record is stored and no two records share an id, so a cursor, the position of the
last request a page returned, names one place in that order. Following cursors visits
every matching request exactly once even while records keep arriving: a request that
arrives ahead of the cursor's position shows up on a later page, one that arrives behind
it (an earlier start time) is not visited by these pages.

On the wire a cursor is ``c1.`` and base64url JSON ``[order, start_us, id]``; clients pass
it back unchanged, and it fits the query (filters) that made it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from agenttrace.server.store.base import InvalidQueryError
from agenttrace.server.store.filters import SortOrder

__all__ = ["MAX_CURSOR_LENGTH", "RequestCursor", "decode_cursor", "encode_cursor"]

MAX_CURSOR_LENGTH = 4096
_PREFIX = "c1."


@dataclass(frozen=True, slots=True)
class RequestCursor:
    """A position in the (start time, id) order of requests, and that order's direction."""

    order: SortOrder
    start_us: int
    request_id: str


def encode_cursor(cursor: RequestCursor) -> str:
    """The opaque text of ``cursor``."""
    raw = json.dumps(
        [cursor.order.value, cursor.start_us, cursor.request_id], separators=(",", ":")
    )
    return _PREFIX + base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def _invalid(why: str) -> InvalidQueryError:
    return InvalidQueryError(
        f"cursor is not one this collector made ({why}); pass the next_cursor of a previous "
        "page unchanged, or leave cursor out to start from the first page"
    )


def decode_cursor(text: str) -> RequestCursor:
    """The cursor ``text`` stands for; `InvalidQueryError` saying what to do otherwise."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise _invalid(f"longer than {MAX_CURSOR_LENGTH} characters")
    if not text.startswith(_PREFIX):
        raise _invalid(f"it does not start with {_PREFIX!r}")
    body = text[len(_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        order, start_us, request_id = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise _invalid("it does not decode") from None
    if (
        order not in {"asc", "desc"}
        or not isinstance(start_us, int)
        or isinstance(start_us, bool)
        or not isinstance(request_id, str)
    ):
        raise _invalid("its fields are of the wrong kind")
    return RequestCursor(SortOrder(order), start_us, request_id)
