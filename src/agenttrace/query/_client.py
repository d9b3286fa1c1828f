"""`QueryClient`: sessions, requests and paths from a collector, as typed results."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterator, Mapping
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

__all__ = ["QueryClient"]

T = TypeVar("T")


class QueryClient(BaseQueryClient):
    """Query a collector from Python.

    >>> with QueryClient() as client:                           # doctest: +SKIP
    ...     for row in client.sessions(properties={"env": "prod"}, status="error"):
    ...         print(row.session_name, row.cost_usd)

    ``endpoint`` and ``api_key`` default to ``AGENTTRACE_ENDPOINT`` / ``AGENTTRACE_API_KEY``
    (then ``http://127.0.0.1:8787`` and no key). Times (``since``, ``until``) are datetimes
    (naive = UTC), ISO-8601 strings or spans ago such as ``"2h"``. Failed queries raise
    `QueryError` (`NotFoundError` for 404, `CollectorUnavailableError` when no collector
    answers). Use it in a ``with`` block or call `close`; a closed client stays closed.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(endpoint, api_key, timeout)
        self._http = httpx.Client(
            base_url=self.endpoint,
            headers=self._headers(),
            timeout=self.timeout,
            transport=transport,
        )

    def __enter__(self) -> Self:
        self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections; later queries raise `UserError`. Safe to call twice."""
        if self._mark_closed():
            self._http.close()

    def _send(self, call: Call[T]) -> T:
        self._before_send()
        try:
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.body
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        return self._answer(call, response)

    def sessions(
        self,
        name: str | None = None,
        *,
        sort: str | None = None,
        order: Order = "desc",
        limit: int = 50,
        offset: int = 0,
        **filters: Unpack[SessionFilterArgs],
    ) -> SessionPage:
        """A page of the sessions matching every given filter (`SessionFilters`), and
        their total.

        ``name`` is exact, ``search`` a case-insensitive part of the name or id,
        ``properties`` must all match, ``status`` is ``"ok"``, ``"error"`` or ``"waiting"``
        (a question to a human is unanswered: the inbox),
        ``since``/``until`` bound the session's start and ``min_cost``/``max_cost`` its
        total cost (USD). ``sort`` names a `SessionRow` column (default ``start_time``).
        """
        call = self._sessions_call(
            {"name": name, **filters}, sort=sort, order=order, limit=limit, offset=offset
        )
        return self._send(call)

    def iter_sessions(
        self,
        name: str | None = None,
        *,
        sort: str | None = None,
        order: Order = "desc",
        page_size: int = 200,
        **filters: Unpack[SessionFilterArgs],
    ) -> Iterator[SessionRow]:
        """Every session matching the filters (see `sessions`), fetched page by page."""
        offset = 0
        while True:
            page = self.sessions(
                name, sort=sort, order=order, limit=page_size, offset=offset, **filters
            )
            yield from page.sessions
            offset += len(page.sessions)
            if not page.sessions or offset >= page.total:
                return

    def session(
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
        call = pages.take_detail(self._send(pages.first()))
        while call is not None:
            call = pages.take_page(self._send(call))
        return pages.result()

    def requests(
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
        """A page of the requests matching every given filter (`RequestFilters`), and
        their total.

        ``path`` is an exact session path; ``since``/``until`` bound the request's start;
        ``order`` sorts by start time (newest first by default). Bodies are left out unless
        ``include_bodies=True``; a page holding large bodies may hold fewer than ``limit``
        requests. ``cursor`` (a page's ``next_cursor``, passed with the same filters)
        starts after that page, in its order; `iter_requests` follows them for you.
        ``search`` is part of a request's id or name (any case).
        """
        call = self._requests_call(
            {"session_id": session_id, **filters},
            order=order,
            limit=limit,
            offset=offset,
            include_bodies=include_bodies,
            cursor=cursor,
        )
        return self._send(call)

    def iter_requests(
        self,
        session_id: str | None = None,
        *,
        order: Order = "desc",
        page_size: int = DEFAULT_PAGE_SIZE,
        include_bodies: bool = False,
        **filters: Unpack[RequestFilterArgs],
    ) -> Iterator[RequestRow]:
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
            page = self._send(call)
            yield from page.requests
            call = pages.after(page)

    def request(self, request_id: str) -> RequestRow:
        """One request with its bodies (`NotFoundError` when unknown)."""
        return self._send(self._request_call(request_id))

    def paths(self, session_name: str | None = None, **filters: Unpack[PathFilterArgs]) -> PathList:
        """Aggregates per session path across sessions (of one name or one id if given;
        `PathFilters`).

        ``since``/``until`` bound the start of the requests that are aggregated.
        """
        return self._send(self._paths_call({"session_name": session_name, **filters}))

    def metrics(
        self,
        group_by: str | list[str] | tuple[str, ...] | None = None,
        *,
        bucket: str | None = None,
        tz: str | None = None,
        **filters: Unpack[MetricsFilterArgs],
    ) -> MetricsResult:
        """Figures per group of the matching requests: requests, sessions, errors, tokens,
        cache hit rate, cost, latency and time-to-first-token percentiles.

        ``group_by``: ``"time"``, ``"model"``, ``"provider"``, ``"kind"``, ``"status"``,
        ``"user"``, ``"session_name"``, ``"path"`` or ``"property:<key>"`` (a list for
        several); ``bucket`` (``"minute"``, ``"hour"``, ``"day"``) and ``tz`` (an IANA
        zone, such as ``"Europe/Lisbon"``) shape the time buckets. Every filter
        (`MetricsFilters`) applies to each request; ``since``/``until`` bound its start.

        >>> client.metrics(["time", "model"], bucket="day", tz="Europe/Lisbon", since="7d")
        ... # doctest: +SKIP
        """
        call = self._metrics_call(group_by=group_by, bucket=bucket, tz=tz, filters=filters)
        return self._send(call)

    def feed(
        self, after: str | None = None, *, limit: int = 100, **filters: Unpack[MetricsFilterArgs]
    ) -> FeedPage:
        """The live feed: the requests matching every filter (`MetricsFilters`) stored
        after the cursor ``after``, oldest first, without bodies (``after`` left out: the
        newest ``limit``). Pass the page's ``cursor`` as ``after`` next time (at once while
        ``more``); each request comes once, about a second after it is stored."""
        return self._send(feed_call(after, limit, filters))

    def follow_feed(
        self,
        *,
        after: str | None = None,
        backlog: int = 0,
        poll_interval: float = 1.0,
        page_size: int = 100,
        **filters: Unpack[MetricsFilterArgs],
    ) -> Generator[RequestRow, None, None]:
        """The requests matching the filters (see `feed`) as they are stored, each once,
        without end: from ``after`` (a feed cursor), else from now after the newest
        ``backlog`` ones. Asks again every ``poll_interval`` seconds while nothing is new;
        ``close()`` the generator (or leave the loop) to stop.

        >>> for row in client.follow_feed(status="error"):          # doctest: +SKIP
        ...     print(row.session_name, row.error)
        """
        follower = FeedFollower(
            filters,
            after=after,
            backlog=backlog,
            poll_interval=poll_interval,
            page_size=page_size,
        )
        return self._follow(follower)

    def _follow(self, follower: FeedFollower) -> Generator[RequestRow, None, None]:
        while True:
            yield from follower.take(self._send(follower.next_call()))
            pause = follower.wait()
            if pause:
                time.sleep(pause)

    def export(
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
        """Write every matching request (or session, ``what="sessions"``) to ``path`` as
        JSON Lines, CSV or Parquet (``format``, else the file's suffix; Parquet needs
        ``agenttrace[parquet]`` and writes a directory of part files), one page at a time,
        oldest first, streamed from the collector (``GET /v1/export/...``). ``resume=True``
        goes on with an interrupted export to ``path`` (same filters); the state is saved
        every ``page_size`` rows, after which ``progress(rows_written, total)`` is called
        (the total is counted once, when there is a ``progress``).

        Requests take the filters of `requests` (``path_filter`` is its ``path``), sessions
        those of `sessions`.
        """
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
                run.total = self._send(count)
            self._stream(run.stream_call(), run.feed)
            return run.finish()
        except BaseException:
            run.stop()
            raise

    def _stream(self, call: Call[None], take: Callable[[bytes], None]) -> None:
        """Send ``call`` and hand each piece of its streamed answer to ``take``."""
        self._before_send()
        try:
            with self._http.stream(call.method, call.path, params=call.params) as response:
                if response.status_code >= 400:
                    response.read()
                    self._answer(call, response)
                for data in response.iter_bytes():
                    take(data)
        except httpx.TransportError as exc:
            raise self._stream_error(call, exc) from exc

    def properties(self, *, limit: int = 100, values: int = 5) -> PropertyList:
        """The custom property keys of the sessions, the most used first (at most
        ``limit``), each with its ``values`` most common values."""
        return self._send(self._properties_call(limit=limit, values=values))

    def score(
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
        return self._send(call)

    def scores(
        self, *, session_id: str | None = None, request_id: str | None = None
    ) -> list[Score]:
        """The scores of a request, or of a session (its own and its requests'), oldest
        first."""
        return self._send(scores_call(score_target(session_id, request_id)))

    def add_alert_rule(
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
        return self._send(add_rule_call(spec))

    def alert_rules(self) -> list[AlertRule]:
        """The project's alert rules and budgets, with their state."""
        return self._send(rules_call())

    def delete_alert_rule(self, rule_id: str) -> None:
        """Delete a rule (`NotFoundError` when there is none); its history stays."""
        self._send(delete_rule_call(rule_id))

    def alert_events(self, *, limit: int = 100) -> list[AlertEvent]:
        """Alert history (firing and resolved), newest first."""
        return self._send(events_call(limit))

    def alert_deliveries(self, *, limit: int = 100) -> list[AlertDelivery]:
        """The webhook delivery log, newest events first."""
        return self._send(deliveries_call(limit))
