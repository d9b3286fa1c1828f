"""What the sync and async query clients share: state, requests to send, answers to parse.

Each query method of `QueryClient` / `AsyncQueryClient` builds a `Call` here (method, path,
parameters, parser), sends it with its own httpx client and hands the response back to
`BaseQueryClient._answer`, which turns errors into exceptions and bodies into typed results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from agenttrace.core.version import VERSION
from agenttrace.exceptions import NotFoundError, QueryError, UserError
from agenttrace.query._errors import CollectorUnavailableError
from agenttrace.query._metrics_models import MetricsResult
from agenttrace.query._models import (
    PathList,
    PropertyList,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
)
from agenttrace.query._paging import RequestPages, SessionPages
from agenttrace.query._params import (
    Params,
    add,
    check_seconds,
    filter_params,
    resolve_api_key,
    resolve_endpoint,
)
from agenttrace.query_filters import MetricsFilters, PathFilters, RequestFilters, SessionFilters

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "BaseQueryClient",
    "Call",
    "ClientState",
    "Order",
    "segment",
]

T = TypeVar("T")
Order = Literal["asc", "desc"]

DEFAULT_PAGE_SIZE = 1000
"""Requests asked for per page when a client follows pages (the collector's maximum is
1000, and it may answer fewer when their bodies are large)."""

_USER_AGENT = f"agenttrace-query/{VERSION}"
_MAX_MESSAGE = 1000


class ClientState(Enum):
    """Where a client is in its life: usable until closed, never reopened."""

    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One query: what to ask the collector and how to read its answer."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    parse: Callable[[Any], T]
    body: Any = None
    """A JSON body to send (POST), or None."""


def _segment(value: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        msg = f"{name} must be a non-empty string; got {value!r}"
        raise UserError(msg)
    return quote(value, safe="")


segment = _segment
"""``value`` as one path segment (percent-encoded); `UserError` when empty."""


def _detail_line(item: object) -> str:
    if isinstance(item, Mapping):
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "query")
        text = str(item.get("msg", item))
        return f"{where}: {text}" if where else text
    return str(item)


def error_message(response: httpx.Response) -> str:
    """The sentence the collector sent with an error (``{"error": ...}``), else its body."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:_MAX_MESSAGE] or response.reason_phrase or "no message"
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, str) and error:
            return error
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"])
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list) and detail:
            return "; ".join(_detail_line(item) for item in detail)
    return str(body)[:_MAX_MESSAGE]


class BaseQueryClient:
    """Settings, state, request building and answer parsing of both query clients."""

    def __init__(self, endpoint: str | None, api_key: str | None, timeout: float) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        self._api_key = resolve_api_key(api_key)
        self.timeout = check_seconds(timeout, "timeout")
        self._state = ClientState.UNOPENED

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, state={self._state.value})"

    @property
    def is_closed(self) -> bool:
        """Whether `close` was called; a closed client cannot send queries."""
        return self._state is ClientState.CLOSED

    def _headers(self) -> dict[str, str]:
        """Headers sent with every query (the API key as a bearer token)."""
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _closed_error(self) -> UserError:
        name = type(self).__name__
        return UserError(
            f"this {name} is closed; create a new {name} for further queries "
            f"(for example `with {name}() as client: ...`)"
        )

    def _enter(self) -> None:
        """Move to OPENED for a ``with`` block; a client opens once and never reopens."""
        if self._state is ClientState.CLOSED:
            raise self._closed_error()
        if self._state is ClientState.OPENED:
            name = type(self).__name__
            msg = f"this {name} is already open; use one `with` block per client"
            raise UserError(msg)
        self._state = ClientState.OPENED

    def _before_send(self) -> None:
        """Refuse to send on a closed client; a first query opens an unopened one."""
        if self._state is ClientState.CLOSED:
            raise self._closed_error()
        self._state = ClientState.OPENED

    def _mark_closed(self) -> bool:
        """Move to CLOSED; True the first time (when the transport must be closed)."""
        first = self._state is not ClientState.CLOSED
        self._state = ClientState.CLOSED
        return first

    # --- requests ---------------------------------------------------------------------

    def _sessions_call(
        self,
        filters: Mapping[str, Any],
        *,
        sort: str | None,
        order: Order,
        limit: int,
        offset: int,
    ) -> Call[SessionPage]:
        """``GET /v1/sessions`` with the given `SessionFilters`."""
        params = filter_params(SessionFilters, filters, "sessions")
        add(params, "sort", sort)
        add(params, "order", order)
        add(params, "limit", limit)
        add(params, "offset", offset)
        return Call("GET", "/v1/sessions", tuple(params), SessionPage.model_validate)

    def _session_call(
        self, session_id: str, *, include_bodies: bool, limit: int | None = None
    ) -> Call[SessionDetail]:
        """``GET /v1/sessions/{session_id}`` (the first ``limit`` requests)."""
        path = f"/v1/sessions/{_segment(session_id, 'session id')}"
        params: Params = []
        add(params, "include_bodies", include_bodies or None)
        add(params, "limit", limit)
        return Call("GET", path, tuple(params), SessionDetail.model_validate)

    def _requests_call(
        self,
        filters: Mapping[str, Any],
        *,
        order: Order,
        limit: int,
        offset: int,
        include_bodies: bool,
        cursor: str | None = None,
    ) -> Call[RequestPage]:
        """``GET /v1/requests`` with the given `RequestFilters` (after ``cursor``, which
        keeps its own order, when given)."""
        params = filter_params(RequestFilters, filters, "requests")
        if cursor is None:
            add(params, "order", order)
            add(params, "offset", offset)
        else:
            add(params, "cursor", cursor)
        add(params, "limit", limit)
        add(params, "include_bodies", include_bodies)
        return Call("GET", "/v1/requests", tuple(params), RequestPage.model_validate)

    def _request_call(self, request_id: str) -> Call[RequestRow]:
        """``GET /v1/requests/{request_id}`` (with bodies)."""
        path = f"/v1/requests/{_segment(request_id, 'request id')}"
        return Call("GET", path, (), RequestRow.model_validate)

    def _paths_call(self, filters: Mapping[str, Any]) -> Call[PathList]:
        """``GET /v1/paths`` with the given `PathFilters`."""
        params = filter_params(PathFilters, filters, "paths")
        return Call("GET", "/v1/paths", tuple(params), PathList.model_validate)

    def _properties_call(self, *, limit: int, values: int) -> Call[PropertyList]:
        """``GET /v1/properties``."""
        params: Params = []
        add(params, "limit", limit)
        add(params, "values", values)
        return Call("GET", "/v1/properties", tuple(params), PropertyList.model_validate)

    def _metrics_call(
        self,
        *,
        group_by: str | list[str] | tuple[str, ...] | None,
        bucket: str | None,
        tz: str | None,
        filters: Mapping[str, Any],
    ) -> Call[MetricsResult]:
        """``GET /v1/metrics``."""
        params: Params = []
        keys = [group_by] if isinstance(group_by, str) else list(group_by or ())
        for key in keys:
            add(params, "group_by", key)
        add(params, "bucket", bucket)
        add(params, "tz", tz)
        params += filter_params(MetricsFilters, filters, "metrics")
        return Call("GET", "/v1/metrics", tuple(params), MetricsResult.model_validate)

    def _request_pages(
        self, filters: Mapping[str, Any], *, order: Order, page_size: int, include_bodies: bool
    ) -> RequestPages:
        """What `iter_requests` asks, page after page by cursor."""

        def make(cursor: str | None, offset: int) -> Call[RequestPage]:
            return self._requests_call(
                filters,
                order=order,
                limit=page_size,
                offset=offset,
                include_bodies=include_bodies,
                cursor=cursor,
            )

        return RequestPages(make)

    def _session_pages(
        self,
        session_id: str,
        *,
        include_bodies: bool,
        max_requests: int | None,
        page_size: int,
    ) -> SessionPages:
        """What `session` asks, page after page."""

        def detail(limit: int) -> Call[SessionDetail]:
            return self._session_call(session_id, include_bodies=include_bodies, limit=limit)

        def page(cursor: str, limit: int) -> Call[RequestPage]:
            return self._requests_call(
                {"session_id": session_id},
                order="asc",
                limit=limit,
                offset=0,
                include_bodies=include_bodies,
                cursor=cursor,
            )

        return SessionPages(detail, page, max_requests=max_requests, page_size=page_size)

    # --- answers ----------------------------------------------------------------------

    def _answer(self, call: Call[T], response: httpx.Response) -> T:
        """The typed result of a successful answer; the matching exception otherwise."""
        status = response.status_code
        if status >= 400:
            message = error_message(response)
            if status == 404:
                raise NotFoundError(status, message)
            if status in {401, 403} and "AGENTTRACE_API_KEY" not in message:
                message += " (pass api_key= / --api-key or set AGENTTRACE_API_KEY)"
            raise QueryError(status, message)
        if status == 204:  # no content (a DELETE)
            return call.parse(None)
        try:
            body = response.json()
        except ValueError:
            msg = (
                f"{call.method} {call.path} answered with something that is not JSON; "
                f"is {self.endpoint} an agenttrace collector?"
            )
            raise QueryError(status, msg) from None
        try:
            return call.parse(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the body"
            msg = (
                f"{call.method} {call.path} answered in an unexpected shape ({where}: "
                f"{first['msg']}, {exc.error_count()} problem(s) in all); is {self.endpoint} an "
                f"agenttrace collector of a matching version?"
            )
            raise QueryError(status, msg) from None

    def _stream_error(
        self, call: Call[Any], exc: httpx.TransportError
    ) -> CollectorUnavailableError:
        """The error for a streamed answer that did not start, or broke off."""
        if isinstance(exc, httpx.ConnectError | httpx.TimeoutException):
            return self._transport_error(exc)
        reason = str(exc) or type(exc).__name__
        message = (
            f"the answer of the collector at {self.endpoint} to {call.method} {call.path} broke "
            f"off ({reason}); what arrived before is kept: run the export again with --resume "
            "(resume=True) to go on"
        )
        return CollectorUnavailableError(self.endpoint, message)

    def _transport_error(self, exc: httpx.TransportError) -> CollectorUnavailableError:
        """The error for a query that got no answer at all."""
        if isinstance(exc, httpx.TimeoutException):
            message = (
                f"the collector at {self.endpoint} did not answer within {self.timeout:g} s; "
                f"pass a larger timeout= or narrow the query"
            )
        else:
            reason = str(exc) or type(exc).__name__
            message = (
                f"the collector at {self.endpoint} is not reachable ({reason}); start one with "
                f"`agenttrace serve`, or point endpoint= (--endpoint) or AGENTTRACE_ENDPOINT at a "
                f"running one"
            )
        return CollectorUnavailableError(self.endpoint, message)
