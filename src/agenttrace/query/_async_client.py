"""`AsyncQueryClient`: the coroutine twin of `QueryClient` (same methods, same results)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self, TypeVar, Unpack

import httpx

from agenttrace.query._base import DEFAULT_PAGE_SIZE, BaseQueryClient, Call, Order
from agenttrace.query._metrics_models import MetricsResult
from agenttrace.query._models import (
    PathList,
    PropertyList,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
    SessionRow,
)
from agenttrace.query_filters import (
    MetricsFilterArgs,
    PathFilterArgs,
    RequestFilterArgs,
    SessionFilterArgs,
)

__all__ = ["AsyncQueryClient"]

T = TypeVar("T")


class AsyncQueryClient(BaseQueryClient):
    """Query a collector from asyncio code.

    >>> async with AsyncQueryClient() as client:                # doctest: +SKIP
    ...     page = await client.sessions(properties={"env": "prod"}, status="error")
    ...     async for row in client.iter_sessions(name="planner"):
    ...         print(row.session_id)

    ``endpoint`` and ``api_key`` default to ``AGENTTRACE_ENDPOINT`` / ``AGENTTRACE_API_KEY``
    (then ``http://127.0.0.1:8787`` and no key). Times (``since``, ``until``) are datetimes
    (naive = UTC), ISO-8601 strings or spans ago such as ``"2h"``. Failed queries raise
    `QueryError` (`NotFoundError` for 404, `CollectorUnavailableError` when no collector
    answers). Use it in an ``async with`` block or await `aclose`; a closed client stays closed.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(endpoint, api_key, timeout)
        self._http = httpx.AsyncClient(
            base_url=self.endpoint,
            headers=self._headers(),
            timeout=self.timeout,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        self._enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections; later queries raise `UserError`. Safe to call twice."""
        if self._mark_closed():
            await self._http.aclose()

    async def _send(self, call: Call[T]) -> T:
        self._before_send()
        try:
            response = await self._http.request(call.method, call.path, params=call.params)
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        return self._answer(call, response)

    async def sessions(
        self,
        name: str | None = None,
        *,
        sort: str | None = None,
        order: Order = "desc",
        limit: int = 50,
        offset: int = 0,
        **filters: Unpack[SessionFilterArgs],
    ) -> SessionPage:
        """A page of the sessions matching every given filter (see `QueryClient.sessions`)."""
        call = self._sessions_call(
            {"name": name, **filters}, sort=sort, order=order, limit=limit, offset=offset
        )
        return await self._send(call)

    async def iter_sessions(
        self,
        name: str | None = None,
        *,
        sort: str | None = None,
        order: Order = "desc",
        page_size: int = 200,
        **filters: Unpack[SessionFilterArgs],
    ) -> AsyncIterator[SessionRow]:
        """Every session matching the filters (see `sessions`), fetched page by page."""
        offset = 0
        while True:
            page = await self.sessions(
                name, sort=sort, order=order, limit=page_size, offset=offset, **filters
            )
            for row in page.sessions:
                yield row
            offset += len(page.sessions)
            if not page.sessions or offset >= page.total:
                return

    async def session(
        self,
        session_id: str,
        *,
        include_bodies: bool = False,
        max_requests: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> SessionDetail:
        """One session: metrics, tree, per-path aggregates and requests in time order.

        The collector answers a session's requests a page at a time; this follows the
        pages (``page_size`` requests each) until it holds every request, or the first
        ``max_requests``; then ``next_cursor`` says where the rest go on. To go through a
        large session without holding all of it, iterate
        ``iter_requests(session_id, order="asc")`` instead. Raises `NotFoundError` for an
        unknown id. Bodies are left out unless ``include_bodies=True``.
        """
        pages = self._session_pages(
            session_id,
            include_bodies=include_bodies,
            max_requests=max_requests,
            page_size=page_size,
        )
        call = pages.take_detail(await self._send(pages.first()))
        while call is not None:
            call = pages.take_page(await self._send(call))
        return pages.result()

    async def requests(
        self,
        session_id: str | None = None,
        *,
        order: Order = "desc",
        limit: int = 100,
        offset: int = 0,
        include_bodies: bool = False,
        cursor: str | None = None,
        **filters: Unpack[RequestFilterArgs],
    ) -> RequestPage:
        """A page of the requests matching every given filter (see `QueryClient.requests`)."""
        call = self._requests_call(
            {"session_id": session_id, **filters},
            order=order,
            limit=limit,
            offset=offset,
            include_bodies=include_bodies,
            cursor=cursor,
        )
        return await self._send(call)

    async def iter_requests(
        self,
        session_id: str | None = None,
        *,
        order: Order = "desc",
        page_size: int = DEFAULT_PAGE_SIZE,
        include_bodies: bool = False,
        **filters: Unpack[RequestFilterArgs],
    ) -> AsyncIterator[RequestRow]:
        """Every request matching the filters (see `requests`), page by page by cursor, so
        that neither this process nor the collector holds them all at once. Requests
        stored while it runs show up when they sort after the ones already seen."""
        pages = self._request_pages(
            {"session_id": session_id, **filters},
            order=order,
            page_size=page_size,
            include_bodies=include_bodies,
        )
        call: Call[RequestPage] | None = pages.first()
        while call is not None:
            page = await self._send(call)
            for row in page.requests:
                yield row
            call = pages.after(page)

    async def request(self, request_id: str) -> RequestRow:
        """One request with its bodies (`NotFoundError` when unknown)."""
        return await self._send(self._request_call(request_id))

    async def paths(
        self, session_name: str | None = None, **filters: Unpack[PathFilterArgs]
    ) -> PathList:
        """Aggregates per session path across sessions (see `QueryClient.paths`)."""
        return await self._send(self._paths_call({"session_name": session_name, **filters}))

    async def metrics(
        self,
        group_by: str | list[str] | tuple[str, ...] | None = None,
        *,
        bucket: str | None = None,
        tz: str | None = None,
        **filters: Unpack[MetricsFilterArgs],
    ) -> MetricsResult:
        """Figures per group of the matching requests (see `QueryClient.metrics`)."""
        call = self._metrics_call(group_by=group_by, bucket=bucket, tz=tz, filters=filters)
        return await self._send(call)

    async def properties(self, *, limit: int = 100, values: int = 5) -> PropertyList:
        """The custom property keys of the sessions, the most used first (at most
        ``limit``), each with its ``values`` most common values."""
        return await self._send(self._properties_call(limit=limit, values=values))
