"""``GET /v1/export/requests`` and ``GET /v1/export/sessions``: every matching row, oldest
first, streamed as NDJSON (`agenttrace.server.store._export_stream`).

The filters are the lists' (`RequestFilters`, `SessionFilters`). The first chunk is read
before the answer starts, so a bad filter or a store that is down gets its usual error
status; a failure later cuts the stream short (the chunked body never ends), which a
client sees as an incomplete answer and resumes from its last complete line with
``after_time`` / ``after_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from agenttrace.query_filters import QueryTime, RequestFilters, SessionFilters
from agenttrace.server.dependencies import ProjectDep, StoreDep
from agenttrace.server.store._export_stream import ExportQuery
from agenttrace.server.store.base import MAX_OFFSET, request_filter, session_filter

__all__ = ["NDJSON", "router"]

NDJSON = "application/x-ndjson"

router = APIRouter(tags=["query"])


class NdjsonResponse(StreamingResponse):
    """A streamed body of JSON lines."""

    media_type = NDJSON


AfterTime = Annotated[
    QueryTime,
    Query(
        description=(
            "Go on after the row with this start_time (and after_id): the start_time of the "
            "last line received. Alone: rows that started after it."
        )
    ),
]
AfterId = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="The id (sessions: session_id) of the last line received; needs after_time.",
    ),
]
Limit = Annotated[
    int | None, Query(ge=1, le=MAX_OFFSET, description="Rows at most (left out: every row).")
]


def _lines(row: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": (
                f"One {row} a line (the shape GET /v1/{row.removesuffix('Row').lower()}s "
                "answers), oldest first; the body ends after the last row."
            ),
            "content": {
                NDJSON: {
                    "schema": {"type": "string"},
                    "x-line-schema": {"$ref": f"#/components/schemas/{row}"},
                }
            },
        }
    }


def _stream(chunks: Iterator[bytes]) -> NdjsonResponse:
    """The answer, its first chunk read now (so that its errors get their status)."""
    first = next(chunks, b"")
    return NdjsonResponse(chain((first,), chunks))


@router.get(
    "/v1/export/requests",
    response_class=NdjsonResponse,
    responses=_lines("RequestRow"),
    summary="Export requests (NDJSON stream)",
)
def export_requests(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    filters: Annotated[RequestFilters, Query()],
    include_bodies: Annotated[
        bool, Query(description="Include request_body and response_body on each line.")
    ] = False,
    after_time: AfterTime = None,
    after_id: AfterId = None,
    limit: Limit = None,
) -> NdjsonResponse:
    """Every request matching the filters of ``GET /v1/requests``, in (start_time, id)
    order, one JSON object a line, read from the store in chunks as the client takes them.
    A client that stopped goes on with the ``start_time`` and ``id`` of its last line as
    ``after_time`` and ``after_id``."""
    query = ExportQuery(
        filter=request_filter(filters),
        after_time=after_time,
        after_id=after_id,
        include_bodies=include_bodies,
        limit=limit,
    )
    return _stream(store.export_requests(project_id, query))


@router.get(
    "/v1/export/sessions",
    response_class=NdjsonResponse,
    responses=_lines("SessionRow"),
    summary="Export sessions (NDJSON stream)",
)
def export_sessions(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    filters: Annotated[SessionFilters, Query()],
    after_time: AfterTime = None,
    after_id: AfterId = None,
    limit: Limit = None,
) -> NdjsonResponse:
    """Every session matching the filters of ``GET /v1/sessions``, by start (start_time,
    then session_id), one JSON object a line; resume with the ``start_time`` and
    ``session_id`` of the last line as ``after_time`` and ``after_id``."""
    query = ExportQuery(
        filter=session_filter(filters), after_time=after_time, after_id=after_id, limit=limit
    )
    return _stream(store.export_sessions(project_id, query))
