"""The native query endpoints: sessions, one session, requests, one request, paths,
property keys.

Sync endpoints over the sync store (FastAPI runs them in its thread pool).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from agenttrace.query_filters import PathFilters, RequestFilters, SessionFilters
from agenttrace.server.dependencies import ProjectDep, StoreDep
from agenttrace.server.store.base import (
    DEFAULT_SESSION_REQUESTS,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    PathQuery,
    RequestQuery,
    SessionQuery,
    SessionSort,
    path_filter,
    request_filter,
    session_filter,
)
from agenttrace.server.store.cursors import MAX_CURSOR_LENGTH, decode_cursor
from agenttrace.server.store.filters import SortOrder
from agenttrace.server.store.query_rows import (
    PathList,
    PropertyList,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
)

__all__ = ["router"]

router = APIRouter(tags=["query"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown id (in this project)"}}

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]
IncludeBodies = Annotated[
    bool,
    Query(
        description=(
            "Include request and response bodies (a page then stops early once its bodies "
            "reach the collector's page size in bytes; next_cursor goes on)."
        )
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description=(
            "The next_cursor of the previous page (same filters); it keeps its own order. "
            "Not together with offset."
        ),
    ),
]


@router.get("/v1/sessions", response_model=SessionPage, summary="List sessions")
def list_sessions(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    filters: Annotated[SessionFilters, Query()],
    sort: SessionSort = SessionSort.START_TIME,
    order: SortOrder = SortOrder.DESC,
    limit: Limit = 50,
    offset: Offset = 0,
) -> SessionPage:
    """Sessions matching every given filter, sorted (nulls last), one page and the total."""
    query = SessionQuery(
        filter=session_filter(filters),
        sort=sort,
        order=order,
        limit=limit,
        offset=offset,
        score_name=filters.score,
    )
    return store.query_sessions(project_id, query)


@router.get(
    "/v1/sessions/{session_id:path}",
    response_model=SessionDetail,
    response_model_exclude_unset=True,
    summary="One session: metrics, paths, tree, requests",
    responses=_NOT_FOUND,
)
def get_session(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    session_id: str,
    include_bodies: IncludeBodies = False,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Requests on the first page.")
    ] = DEFAULT_SESSION_REQUESTS,
) -> SessionDetail:
    """The session's metrics, per-path aggregates and tree, and the first page of its
    requests in time order; ``next_cursor`` goes on with
    ``GET /v1/requests?session_id=<id>&cursor=<next_cursor>``."""
    detail = store.get_session(project_id, session_id, include_bodies=include_bodies, limit=limit)
    if detail is None:
        raise HTTPException(
            status_code=404,
            detail=f"there is no session {session_id!r}; list sessions with GET /v1/sessions",
        )
    return detail


@router.get(
    "/v1/requests",
    response_model=RequestPage,
    response_model_exclude_unset=True,
    summary="List requests",
)
def list_requests(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    filters: Annotated[RequestFilters, Query()],
    order: Annotated[
        SortOrder | None,
        Query(description="By start time: desc (the default) or asc; a cursor keeps its own."),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    include_bodies: IncludeBodies = False,
    cursor: Cursor = None,
) -> RequestPage:
    """Requests matching every given filter, by start time, one page, the total and the
    cursor of the next page."""
    if cursor is not None and order is None:
        order = decode_cursor(cursor).order
    query = RequestQuery(
        filter=request_filter(filters),
        order=order or SortOrder.DESC,
        limit=limit,
        offset=offset,
        include_bodies=include_bodies,
        cursor=cursor,
    )
    return store.query_requests(project_id, query)


@router.get(
    "/v1/requests/{request_id:path}",
    response_model=RequestRow,
    summary="One request, with its bodies",
    responses=_NOT_FOUND,
)
def get_request(store: StoreDep, project_id: ProjectDep, request_id: str) -> RequestRow:
    """The request (record) with this id, bodies included."""
    row = store.get_request(project_id, request_id)
    if row is None:
        raise HTTPException(
            status_code=404,
            detail=f"there is no request {request_id!r}; list requests with GET /v1/requests",
        )
    return row


@router.get("/v1/paths", response_model=PathList, summary="Per-path aggregates across sessions")
def list_paths(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    filters: Annotated[PathFilters, Query()],
) -> PathList:
    """Aggregates per session path over the requests matching the filters (start time)."""
    query = PathQuery(filter=path_filter(filters))
    return PathList(paths=store.query_paths(project_id, query))


@router.get(
    "/v1/properties",
    response_model=PropertyList,
    summary="Custom property keys and their most common values",
)
def list_properties(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Keys at most, the most used first.")
    ] = 100,
    values: Annotated[
        int, Query(ge=0, le=100, description="Most common values per key (0: none).")
    ] = 5,
) -> PropertyList:
    """The custom property keys of the project's sessions, each with how many sessions
    have it, how many values it takes and its most common values."""
    return PropertyList(properties=store.query_properties(project_id, limit=limit, values=values))
