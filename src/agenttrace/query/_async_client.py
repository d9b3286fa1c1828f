"""`AsyncQueryClient`: the coroutine twin of `QueryClient` (same methods, same results)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Self, TypeVar, Unpack

import httpx

from agenttrace.query._alert_calls import (
    AlertDelivery,
    AlertEvent,
    AlertRule,
    add_rule_call,
    delete_rule_call,
    deliveries_call,
    events_call,
    rules_call,
)
from agenttrace.query._base import DEFAULT_PAGE_SIZE, BaseQueryClient, Call, Order
from agenttrace.query._export import ExportSummary, start_export
from agenttrace.query._feed import FeedFollower, FeedPage, feed_call
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
from agenttrace.query._score_calls import (
    Score,
    ScoreKind,
    score_call,
    score_target,
    scores_call,
)
from agenttrace.query_filters import (
    ExportFilterArgs,
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
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.body
            )
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

    async def feed(
        self, after: str | None = None, *, limit: int = 100, **filters: Unpack[MetricsFilterArgs]
    ) -> FeedPage:
        """The live feed after the cursor ``after`` (see `QueryClient.feed`)."""
        return await self._send(feed_call(after, limit, filters))

    def follow_feed(
        self,
        *,
        after: str | None = None,
        backlog: int = 0,
        poll_interval: float = 1.0,
        page_size: int = 100,
        **filters: Unpack[MetricsFilterArgs],
    ) -> AsyncGenerator[RequestRow, None]:
        """The matching requests as they are stored, each once, without end (see
        `QueryClient.follow_feed`); ``async for row in client.follow_feed(): ...``."""
        follower = FeedFollower(
            filters,
            after=after,
            backlog=backlog,
            poll_interval=poll_interval,
            page_size=page_size,
        )
        return self._follow(follower)

    async def _follow(self, follower: FeedFollower) -> AsyncGenerator[RequestRow, None]:
        while True:
            for row in follower.take(await self._send(follower.next_call())):
                yield row
            pause = follower.wait()
            if pause:
                await asyncio.sleep(pause)

    async def export(
        self,
        path: str | os.PathLike[str],
        what: str = "requests",
        *,
        format: str | None = None,
        include_bodies: bool = False,
        resume: bool = False,
        overwrite: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        progress: Callable[[int, int | None], None] | None = None,
        **filters: Unpack[ExportFilterArgs],
    ) -> ExportSummary:
        """Write every matching request (or session) to ``path`` (see
        `QueryClient.export`). The pages are written to the file from the event loop
        (a page of JSON Lines is one write; CSV and Parquet pages take a few ms)."""
        run = start_export(
            path,
            what,
            filters,
            format=format,
            include_bodies=include_bodies,
            resume=resume,
            overwrite=overwrite,
            page_size=page_size,
            progress=progress,
        )
        try:
            count = run.total_call()
            if count is not None:
                run.total = await self._send(count)
            await self._stream(run.stream_call(), run.feed)
            return run.finish()
        except BaseException:
            run.stop()
            raise

    async def _stream(self, call: Call[None], take: Callable[[bytes], None]) -> None:
        """Send ``call`` and hand each piece of its streamed answer to ``take``."""
        self._before_send()
        try:
            async with self._http.stream(call.method, call.path, params=call.params) as response:
                if response.status_code >= 400:
                    await response.aread()
                    self._answer(call, response)
                async for data in response.aiter_bytes():
                    take(data)
        except httpx.TransportError as exc:
            raise self._stream_error(call, exc) from exc

    async def properties(self, *, limit: int = 100, values: int = 5) -> PropertyList:
        """The custom property keys of the sessions, the most used first (at most
        ``limit``), each with its ``values`` most common values."""
        return await self._send(self._properties_call(limit=limit, values=values))

    async def score(
        self,
        name: str,
        value: bool | float | str,
        *,
        session_id: str | None = None,
        request_id: str | None = None,
        kind: ScoreKind | None = None,
        source: str = "sdk",
        comment: str | None = None,
    ) -> Score:
        """Attach a score to a session or a request (give one of ``session_id`` and
        ``request_id``): a number (numeric), True / False (boolean) or a text
        (categorical), with a ``source`` and an optional ``comment``. `NotFoundError`
        when the collector has no such session or request."""
        call = score_call(
            name,
            value,
            target=score_target(session_id, request_id),
            kind=kind,
            source=source,
            comment=comment,
        )
        return await self._send(call)

    async def scores(
        self, *, session_id: str | None = None, request_id: str | None = None
    ) -> list[Score]:
        """The scores of a request, or of a session (its own and its requests'), oldest
        first."""
        return await self._send(scores_call(score_target(session_id, request_id)))

    async def add_alert_rule(
        self,
        name: str,
        metric: str,
        threshold: float,
        *,
        window_s: int | None = None,
        period: str | None = None,
        op: str = "gt",
        filter: Mapping[str, str] | None = None,
        webhook_url: str | None = None,
    ) -> AlertRule:
        """Create an alert rule (``metric`` over ``window_s`` seconds: error_rate, errors,
        cost, p95_latency_ms, requests) or a budget (cost over the current UTC ``period``,
        day or month) for the requests matching ``filter`` (path, model, session_name,
        user_id, property=key=value). The answer's ``webhook_secret`` (shown once) signs
        the webhooks."""
        spec = {
            "name": name,
            "metric": metric,
            "threshold": threshold,
            "window_s": window_s,
            "period": period,
            "op": op,
            "filter": dict(filter or {}),
            "webhook_url": webhook_url,
        }
        return await self._send(add_rule_call(spec))

    async def alert_rules(self) -> list[AlertRule]:
        """The project's alert rules and budgets, with their state."""
        return await self._send(rules_call())

    async def delete_alert_rule(self, rule_id: str) -> None:
        """Delete a rule (`NotFoundError` when there is none); its history stays."""
        await self._send(delete_rule_call(rule_id))

    async def alert_events(self, *, limit: int = 100) -> list[AlertEvent]:
        """Alert history (firing and resolved), newest first."""
        return await self._send(events_call(limit))

    async def alert_deliveries(self, *, limit: int = 100) -> list[AlertDelivery]:
        """The webhook delivery log, newest events first."""
        return await self._send(deliveries_call(limit))
