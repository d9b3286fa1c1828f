"""What a metrics query asks (`MetricsQuery`) and answers (`MetricsResult`).

A metrics query groups the requests (records) matching a request-level filter by any of
the `Dimension`s (a local time bucket, model, provider, kind, status, user, session name,
path) and custom property keys, and gives per group the figures of `MetricsRow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as Described

from agenttrace.query_filters import MetricsFilters, RequestFilters
from agenttrace.server.store._time_buckets import BucketUnit
from agenttrace.server.store.base import (
    InvalidQueryError,
    equal_filter,
    filters_of,
    request_filter,
    search_filter,
)
from agenttrace.server.store.filters import Cmp, Field, Filter, Op, and_

__all__ = [
    "GROUP_BY_PATTERN",
    "MAX_GROUPS",
    "MAX_PROPERTY_GROUPS",
    "BucketUnit",
    "Dimension",
    "MetricsQuery",
    "MetricsResult",
    "MetricsRow",
    "key_name",
    "metrics_filter",
    "parse_group_by",
]

MAX_GROUPS = 5000
"""Groups (time buckets times the other keys' values) one answer may hold."""
MAX_PROPERTY_GROUPS = 4
"""Property keys one query may group by."""


class Dimension(StrEnum):
    """What requests can be grouped by (besides ``property:<key>``)."""

    TIME = "time"
    MODEL = "model"
    PROVIDER = "provider"
    KIND = "kind"
    STATUS = "status"
    USER = "user"
    SESSION_NAME = "session_name"
    PATH = "path"


GroupKey = Dimension | str
"""A `Dimension`, or the key of a custom property (``property:env`` on the wire)."""

_PROPERTY_PREFIX = "property:"


def parse_group_by(items: list[str]) -> tuple[GroupKey, ...]:
    """The group keys of ``group_by`` values (each may hold several, comma separated):
    dimension names and ``property:<key>``. `InvalidQueryError` names a bad one."""
    keys: list[GroupKey] = []
    for item in items:
        for raw in item.split(","):
            name = raw.strip()
            if not name:
                msg = f"group_by {item!r} has an empty key; name what to group by, comma separated"
                raise InvalidQueryError(msg)
            key: GroupKey
            if name.startswith(_PROPERTY_PREFIX):
                key = name[len(_PROPERTY_PREFIX) :]
                if not key:
                    msg = "group_by property: needs a property key, such as property:env"
                    raise InvalidQueryError(msg)
            else:
                try:
                    key = Dimension(name)
                except ValueError:
                    choices = ", ".join(d.value for d in Dimension)
                    msg = (
                        f"group_by {name!r} is not something requests can be grouped by; use "
                        f"{choices} or property:<key>"
                    )
                    raise InvalidQueryError(msg) from None
            if key not in keys:
                keys.append(key)
    if sum(1 for key in keys if not isinstance(key, Dimension)) > MAX_PROPERTY_GROUPS:
        msg = f"group by at most {MAX_PROPERTY_GROUPS} property keys at once"
        raise InvalidQueryError(msg)
    return tuple(keys)


_ONE_KEY = "(" + "|".join(d.value for d in Dimension) + r"|property:[^,]*[^,\s][^,]*)"
GROUP_BY_PATTERN = rf"^\s*{_ONE_KEY}\s*(,\s*{_ONE_KEY}\s*)*$"
"""What one ``group_by`` value looks like (for the OpenAPI document)."""


def key_name(key: GroupKey) -> str:
    """A group key as written in ``group_by`` and in `MetricsRow.key`."""
    return key.value if isinstance(key, Dimension) else f"{_PROPERTY_PREFIX}{key}"


def metrics_filter(filters: MetricsFilters | None = None, /, **fields: Any) -> Filter | None:
    """The filter of ``GET /v1/metrics`` (`MetricsFilters`, or its fields as keyword
    arguments): the session list's filters (``name``, ``search`` in the session's name or
    id, ``user_id``, ``status``, ``since``/``until``, properties, ``min_cost``/``max_cost``)
    applied to each request, plus the request list's (``session_id``, ``model``,
    ``provider``, ``kind``, ``path``). Costs bound the request's cost; times its start
    (inclusive)."""
    f = filters_of(MetricsFilters, filters, fields)
    return and_(
        request_filter(
            RequestFilters(
                session_id=f.session_id,
                path=f.path,
                kind=f.kind,
                status=f.status,
                model=f.model,
                user_id=f.user_id,
                properties=f.properties,
                since=f.since,
                until=f.until,
            )
        ),
        equal_filter(Field.SESSION_NAME, f.name),
        equal_filter(Field.PROVIDER, f.provider),
        search_filter(f.search, Field.SESSION_NAME, Field.SESSION_ID),
        Cmp(Field.COST, Op.GTE, f.min_cost) if f.min_cost is not None else None,
        Cmp(Field.COST, Op.LTE, f.max_cost) if f.max_cost is not None else None,
    )


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """Which requests, grouped how. ``since`` / ``until`` bound the requests' start time
    (inclusive) and are also part of ``filter``; the bucketing needs them to check the
    number of buckets before it runs."""

    filter: Filter | None = None
    group_by: tuple[GroupKey, ...] = ()
    bucket: BucketUnit = BucketUnit.HOUR
    tz: str = "UTC"
    since: datetime | None = None
    until: datetime | None = None
    max_groups: int = MAX_GROUPS
    use_rollup: bool = True
    """Read the hourly rollup where it can answer (`_metrics_rollup`); False scans the
    records always (benchmarks compare the two)."""


_FROZEN = ConfigDict(frozen=True, extra="forbid")


class MetricsRow(BaseModel):
    """The figures of one group of requests."""

    model_config = _FROZEN

    bucket_start: datetime | None = Described(
        description="Start of the local time bucket, with the zone's offset (when grouped by time)."
    )
    bucket_end: datetime | None = Described(description="Start of the next bucket.")
    key: dict[str, str | None] = Described(
        description="The group's value of each group_by key but time (null: not set)."
    )
    requests: int
    sessions: int = Described(description="Distinct sessions with a request in this group.")
    errors: int = Described(description="Requests with status error.")
    error_rate: float = Described(description="errors / requests.")
    input_tokens: int = Described(description="Including cache reads and writes.")
    output_tokens: int = Described(description="Including reasoning tokens.")
    total_tokens: int
    cache_read_tokens: int
    reasoning_tokens: int
    cache_hit_rate: float | None = Described(
        description="cache_read_tokens / input_tokens; null without input tokens."
    )
    cost_usd: float | None = Described(description="USD; null when no request has a cost.")
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    mean_latency_ms: float | None
    ttft_p50_ms: float | None = Described(description="Time to first token (streamed calls).")
    ttft_p95_ms: float | None
    human_wait_p50_ms: float | None = Described(
        default=None,
        description=(
            "Time humans took to answer questions (kind human; not in the latencies, which "
            "leave them out)."
        ),
    )
    human_wait_p95_ms: float | None = None
    scores: dict[str, float] = Described(
        default_factory=dict,
        description=(
            "Average of each numeric or boolean score (true = 1) on the group's requests and "
            "on its sessions (a session score counts in every group holding one of the "
            "session's requests)."
        ),
    )


class MetricsResult(BaseModel):
    """Metrics per group, ordered by bucket, then by the keys."""

    model_config = _FROZEN

    group_by: list[str]
    bucket: BucketUnit | None = Described(description="The bucket length, when grouped by time.")
    tz: str
    groups: list[MetricsRow]
    percentile_relative_error: float = Described(
        description=(
            "Latency and time-to-first-token percentiles come from a log histogram; each is "
            "within this fraction of a value at its rank."
        )
    )
