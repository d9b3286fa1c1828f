"""The query parameters that choose requests for ``GET /v1/metrics`` and ``GET /v1/feed``:
the session list's filters applied to each request, plus the request list's. One FastAPI
dependency, so both endpoints take and document the same ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from agenttrace.records import RecordKind, Status
from agenttrace.server._query_routes import Properties, pairs, utc
from agenttrace.server._time_params import Since, Until
from agenttrace.server.store.filters import Filter
from agenttrace.server.store.metrics import metrics_filter

__all__ = ["RequestFilters", "RequestFiltersDep"]


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """The filter of the parameters given, and the time range they bound starts by."""

    filter: Filter | None
    since: datetime | None
    until: datetime | None


def _request_filters(
    *,
    name: Annotated[str | None, Query(description="Exact session name.")] = None,
    search: Annotated[
        str | None, Query(description="Case-insensitive part of the session name or id.")
    ] = None,
    session_id: str | None = None,
    user_id: str | None = None,
    status: Status | None = None,
    model: str | None = None,
    provider: str | None = None,
    kind: RecordKind | None = None,
    path: Annotated[str | None, Query(description="Exact session path, e.g. /agent.")] = None,
    properties: Properties = [],  # noqa: B006 - FastAPI copies defaults per request
    since: Since = None,
    until: Until = None,
    min_cost: Annotated[float | None, Query(ge=0, description="Request cost, USD.")] = None,
    max_cost: Annotated[float | None, Query(ge=0, description="Request cost, USD.")] = None,
) -> RequestFilters:
    return RequestFilters(
        filter=metrics_filter(
            name=name,
            search=search,
            session_id=session_id,
            user_id=user_id,
            status=status,
            model=model,
            provider=provider,
            kind=kind,
            path=path,
            properties=pairs(properties),
            since=utc(since),
            until=utc(until),
            min_cost=min_cost,
            max_cost=max_cost,
        ),
        since=utc(since),
        until=utc(until),
    )


RequestFiltersDep = Annotated[RequestFilters, Depends(_request_filters)]
"""The request filters of an endpoint's query parameters."""
