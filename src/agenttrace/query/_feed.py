"""The live feed (``GET /v1/feed``), sans I/O: the `FeedPage` it answers with, and
`FeedFollower`, which decides the next call and when to wait while following it.

Following: the first page (no cursor) holds the newest requests and a cursor at the
collector's present; each later page holds the requests stored after the previous cursor,
so every request comes once. When a page says ``more``, the next one is asked at once;
otherwise the client waits ``poll_interval`` seconds first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from agenttrace.exceptions import UserError
from agenttrace.query._base import Call
from agenttrace.query._models import RequestRow
from agenttrace.query._paging import MAX_PAGE_SIZE, check_count
from agenttrace.query._params import Params, add, check_seconds, filter_params
from agenttrace.query_filters import MetricsFilters

__all__ = ["FeedFollower", "FeedPage", "feed_call"]


class FeedPage(BaseModel):
    """Requests stored after the cursor given, oldest first (without bodies)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    requests: list[RequestRow]
    cursor: str
    """Pass it as ``after`` (with the same filters) for the requests stored since."""
    more: bool = False
    """More requests are stored past this page: ask again at once."""

    def __len__(self) -> int:
        return len(self.requests)


def feed_call(after: str | None, limit: int, filters: Mapping[str, Any]) -> Call[FeedPage]:
    """``GET /v1/feed`` with the given `MetricsFilters`."""
    check_count(limit, "limit", upper=MAX_PAGE_SIZE)
    params: Params = filter_params(MetricsFilters, filters, "the feed")
    add(params, "after", after)
    add(params, "limit", limit)
    return Call("GET", "/v1/feed", tuple(params), FeedPage.model_validate)


class FeedFollower:
    """The calls of ``follow_feed``: a first page (the newest ``backlog`` requests, or
    none but the cursor), then page after page by cursor. `take` hands back a page's
    requests to yield; `wait` says how long to sleep before `next_call`."""

    def __init__(
        self,
        filters: Mapping[str, Any],
        *,
        after: str | None,
        backlog: int,
        poll_interval: float,
        page_size: int,
    ) -> None:
        if isinstance(backlog, bool) or not isinstance(backlog, int) or backlog < 0:
            msg = f"backlog must be a whole number of at least 0; got {backlog!r}"
            raise UserError(msg)
        check_count(page_size, "page_size", upper=MAX_PAGE_SIZE)
        self._filters = dict(filters)
        self._cursor = after
        self._backlog = backlog
        self._page_size = page_size
        self.poll_interval = check_seconds(poll_interval, "poll_interval")
        self._more = True
        # validate the filters now, not at the first iteration's call
        self.next_call()

    def next_call(self) -> Call[FeedPage]:
        """The call asking for the next page."""
        if self._cursor is None:
            return feed_call(None, max(self._backlog, 1), self._filters)
        return feed_call(self._cursor, self._page_size, self._filters)

    def take(self, page: FeedPage) -> list[RequestRow]:
        """The requests of ``page`` to hand on; moves the cursor past it."""
        first = self._cursor is None
        self._cursor = page.cursor
        self._more = page.more
        if first and self._backlog == 0:
            return []  # only the cursor: following starts at the present
        return list(page.requests)

    def wait(self) -> float:
        """Seconds to sleep before the next call: none while pages say ``more``."""
        return 0.0 if self._more else self.poll_interval
