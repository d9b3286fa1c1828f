"""Following pages, sans I/O: which call comes next after each answer.

The sync and async clients send the calls these objects hand out and give back the
answers; the objects decide when the pages end (a null ``next_cursor``) and what the
result is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agenttrace.exceptions import UserError
from agenttrace.query._models import RequestPage, RequestRow, SessionDetail

if TYPE_CHECKING:
    from agenttrace.query._base import Call

__all__ = ["MAX_PAGE_SIZE", "RequestPages", "SessionPages", "check_count"]

MAX_PAGE_SIZE = 1000
"""The most requests a collector answers per page."""


def check_count(value: int, name: str, *, upper: int | None = None) -> None:
    """Refuse a count below 1 (or above ``upper``) with a `UserError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{name} must be a whole number of at least 1; got {value!r}"
        raise UserError(msg)
    if upper is not None and value > upper:
        msg = f"{name} must be at most {upper} (the collector's largest page); got {value!r}"
        raise UserError(msg)


class SessionPages:
    """The calls of `QueryClient.session`, sans I/O: the session detail (its first page of
    requests), then the session's next pages by cursor until ``max_requests`` (None: all)
    are in; `result` is the detail with every request fetched."""

    def __init__(
        self,
        detail_call: Callable[[int], Call[SessionDetail]],
        page_call: Callable[[str, int], Call[RequestPage]],
        *,
        max_requests: int | None,
        page_size: int,
    ) -> None:
        check_count(page_size, "page_size", upper=MAX_PAGE_SIZE)
        if max_requests is not None:
            check_count(max_requests, "max_requests")
        self._detail_call = detail_call
        self._page_call = page_call
        self._max = max_requests
        self._page_size = page_size
        self._detail: SessionDetail | None = None
        self._rows: list[RequestRow] = []
        self._cursor: str | None = None

    def _limit(self) -> int:
        if self._max is None:
            return self._page_size
        return min(self._page_size, self._max - len(self._rows))

    def first(self) -> Call[SessionDetail]:
        """The call for the detail and its first page."""
        return self._detail_call(self._limit())

    def _next(self) -> Call[RequestPage] | None:
        if self._cursor is None or (self._max is not None and len(self._rows) >= self._max):
            return None
        return self._page_call(self._cursor, self._limit())

    def take_detail(self, detail: SessionDetail) -> Call[RequestPage] | None:
        """Keep the detail; the call for the next page, or None when done."""
        self._detail = detail
        self._rows.extend(detail.requests)
        self._cursor = detail.next_cursor
        return self._next()

    def take_page(self, page: RequestPage) -> Call[RequestPage] | None:
        """Keep a page; the call for the next one, or None when done."""
        self._rows.extend(page.requests)
        self._cursor = page.next_cursor
        return self._next()

    def result(self) -> SessionDetail:
        """The detail with every request fetched (``next_cursor`` set if more remain)."""
        if self._detail is None:
            msg = "SessionPages.result() before take_detail()"
            raise RuntimeError(msg)
        return self._detail.model_copy(update={"requests": self._rows, "next_cursor": self._cursor})


class RequestPages:
    """The calls of `QueryClient.iter_requests`, sans I/O: the first page, then one call per
    ``next_cursor`` (by offset against a collector that sends none)."""

    def __init__(self, make: Callable[[str | None, int], Call[RequestPage]]) -> None:
        self._make = make
        self._offset = 0

    def first(self) -> Call[RequestPage]:
        """The call for the first page."""
        return self._make(None, 0)

    def after(self, page: RequestPage) -> Call[RequestPage] | None:
        """The call for the page after ``page``, or None when it was the last."""
        if "next_cursor" in page.model_fields_set:
            return None if page.next_cursor is None else self._make(page.next_cursor, 0)
        self._offset += len(page.requests)
        if not page.requests or self._offset >= page.total:
            return None
        return self._make(None, self._offset)
