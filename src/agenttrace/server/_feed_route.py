"""``GET /v1/feed``: the live feed, requests in the order the collector stored them
(`agenttrace.server.store._feed`). Clients poll it with the ``cursor`` of the previous
answer as ``after``; each request comes once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from agenttrace.query_filters import MetricsFilters
from agenttrace.server.dependencies import ProjectDep, StoreDep
from agenttrace.server.store._feed import FEED_CURSOR_LENGTH, FeedPage, FeedQuery
from agenttrace.server.store.base import MAX_PAGE_SIZE
from agenttrace.server.store.metrics import metrics_filter

__all__ = ["router"]

router = APIRouter(tags=["query"])


@router.get(
    "/v1/feed",
    response_model=FeedPage,
    response_model_exclude_unset=True,
    summary="Live feed of requests as they are stored",
)
def feed(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    after: Annotated[
        str | None,
        Query(
            max_length=FEED_CURSOR_LENGTH,
            description=(
                "The cursor of the previous answer (same filters): the requests stored "
                "since. Left out: the newest requests."
            ),
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Requests at most.")] = 100,
    filters: Annotated[MetricsFilters, Query()],
) -> FeedPage:
    """The requests matching every filter (the session list's, applied to each request,
    and the request list's) stored after ``after``, oldest first, without bodies; a
    request is in the feed about a second after it is stored. Poll again with ``cursor``
    (at once while ``more`` is true)."""
    query = FeedQuery(
        filter=metrics_filter(filters),
        after=after,
        limit=limit,
    )
    return store.query_feed(project_id, query)
