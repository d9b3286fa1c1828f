"""``GET /v1/metrics``: figures per group of requests over time (a sync endpoint over the
sync store, run in FastAPI's thread pool)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from agenttrace.server._request_filter_params import RequestFiltersDep
from agenttrace.server.dependencies import ProjectDep, StoreDep
from agenttrace.server.store.metrics import (
    GROUP_BY_PATTERN,
    BucketUnit,
    Dimension,
    MetricsQuery,
    MetricsResult,
    parse_group_by,
)

__all__ = ["router"]

router = APIRouter(tags=["query"])

_GROUP_KEYS = ", ".join(d.value for d in Dimension)

GroupBy = Annotated[
    list[str],
    Query(
        description=(
            f"What to group by: {_GROUP_KEYS} or property:<key>; repeat or separate by "
            "commas (time uses bucket and tz). None: one group of every request."
        ),
        json_schema_extra={
            "items": {"type": "string", "pattern": GROUP_BY_PATTERN, "maxLength": 1000}
        },
    ),
]


@router.get("/v1/metrics", response_model=MetricsResult, summary="Metrics over time")
def metrics(
    *,
    store: StoreDep,
    project_id: ProjectDep,
    group_by: GroupBy = [],  # noqa: B006 - FastAPI copies defaults per request
    bucket: Annotated[
        BucketUnit, Query(description="Length of a time bucket, in local wall time.")
    ] = BucketUnit.HOUR,
    tz: Annotated[
        str,
        Query(
            max_length=64,
            description="IANA time zone of the buckets (day buckets follow its DST changes).",
        ),
    ] = "UTC",
    filters: RequestFiltersDep,
) -> MetricsResult:
    """Per group of the requests matching every filter (each applies to the request; times
    bound its start): requests, sessions, errors and error rate, tokens, cache hit rate,
    cost, latency p50 / p95 / p99 and time to first token p50 / p95. At most 5,000 groups
    (`MAX_GROUPS`; 400 beyond)."""
    query = MetricsQuery(
        filter=filters.filter,
        group_by=parse_group_by(group_by),
        bucket=bucket,
        tz=tz,
        since=filters.since,
        until=filters.until,
    )
    return store.query_metrics(project_id, query)
