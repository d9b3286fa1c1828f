"""Helicone's user metrics (``POST /v1/user/metrics/query``, its ``UserMetricsQueryParams``)
read into a store query, and the store's figures written as its ``UserMetricsResult``::

    {"filter": FilterNode, "offset": n, "limit": n,
     "timeFilter": {"startTimeUnixSeconds": n, "endTimeUnixSeconds": n} (optional),
     "timeZoneDifferenceMinutes": minutes (optional, 0), "sort": {"<key>": "asc" | "desc"}}

As in Helicone: the filter tree is the request filter of the other queries, the time window
is exclusive at both ends, a user's active days are the days with a request (local days by
``timeZoneDifferenceMinutes``, positive west of UTC as a browser's ``getTimezoneOffset``),
and the default order is the last active first. Unlike Helicone: requests without a user
are left out, ``first_active``/``last_active`` are the true UTC instants (Helicone moves
them by the zone difference), and its ``user_metrics`` filter table (a HAVING on the
figures) and ``rate_limited_count`` are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from agenttrace.server.helicone.body_schemas import MAX_UNIX_SECONDS
from agenttrace.server.helicone.filter_mapping import all_of
from agenttrace.server.helicone.query_mapping import HeliconeQueryError
from agenttrace.server.helicone.query_mapping import _body as query_body
from agenttrace.server.helicone.query_mapping import _filter as helicone_filter
from agenttrace.server.helicone.query_mapping import _number as number_field
from agenttrace.server.helicone.query_mapping import _whole as whole_number
from agenttrace.server.store._user_metrics import (
    UserMetrics,
    UserMetricsPage,
    UserMetricsQuery,
    UserSort,
)
from agenttrace.server.store.filters import Cmp, Field, Filter, Op, SortOrder

__all__ = ["USER_SORT_KEYS", "user_metrics_answer", "user_metrics_query_from_body"]

USER_SORT_KEYS = tuple(key.value for key in UserSort)
_KEYS = {"filter", "offset", "limit", "timeFilter", "timeZoneDifferenceMinutes", "sort"}


def user_metrics_query_from_body(body: object) -> UserMetricsQuery:
    """The store query for a ``POST /v1/user/metrics/query`` body."""
    fields = query_body(body, _KEYS, ("filter", "offset", "limit"))
    for key in ("offset", "limit"):
        if fields[key] is None:
            msg = f"{key} must be a whole number; got null"
            raise HeliconeQueryError(msg)
    window = fields.get("timeFilter")
    filter_ = all_of(
        _time_window(window) if window is not None else None, helicone_filter(fields["filter"])
    )
    minutes = fields.get("timeZoneDifferenceMinutes")
    zone = "timeZoneDifferenceMinutes"
    offset_minutes = 0 if minutes is None else round(number_field(minutes, zone))
    sort, order = _sort(fields.get("sort"))
    return UserMetricsQuery(  # its page checks raise InvalidQueryError: a 400 too
        filter=filter_,
        tz_offset_minutes=offset_minutes,
        sort=sort,
        order=order,
        limit=whole_number(fields, "limit", 100),
        offset=whole_number(fields, "offset", 0),
    )


def _time_window(value: object) -> Filter | None:
    keys = {"startTimeUnixSeconds", "endTimeUnixSeconds"}
    if not isinstance(value, Mapping) or not keys <= value.keys():
        msg = f"timeFilter must be {{startTimeUnixSeconds, endTimeUnixSeconds}}; got {value!r}"
        raise HeliconeQueryError(msg)
    start, end = (
        _moment(value[key], f"timeFilter.{key}")
        for key in ("startTimeUnixSeconds", "endTimeUnixSeconds")
    )
    if start > end:
        msg = "timeFilter.startTimeUnixSeconds is after endTimeUnixSeconds; swap them"
        raise HeliconeQueryError(msg)
    return all_of(Cmp(Field.CREATED_AT, Op.GT, start), Cmp(Field.CREATED_AT, Op.LT, end))


def _moment(value: object, where: str) -> datetime:
    seconds = number_field(value, where)
    if not 0 <= seconds <= MAX_UNIX_SECONDS:
        msg = f"{where} must be Unix time in seconds, 0 to {MAX_UNIX_SECONDS}; got {value!r}"
        raise HeliconeQueryError(msg)
    return datetime.fromtimestamp(seconds, UTC)


def _sort(value: object) -> tuple[UserSort, SortOrder]:
    if value is None:
        return UserSort.LAST_ACTIVE, SortOrder.DESC
    if not isinstance(value, Mapping) or len(value) != 1:
        msg = f'sort must be one key and a direction, such as {{"cost": "desc"}}; got {value!r}'
        raise HeliconeQueryError(msg)
    ((key, direction),) = value.items()
    if key not in USER_SORT_KEYS:
        msg = f"sort by {key!r} is not supported; use one of {', '.join(USER_SORT_KEYS)}"
        raise HeliconeQueryError(msg)
    if direction not in ("asc", "desc"):
        msg = f'sort direction must be "asc" or "desc"; got {direction!r}'
        raise HeliconeQueryError(msg)
    return UserSort(key), SortOrder(direction)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _user(user: UserMetrics) -> dict[str, Any]:
    tokens = user.input_tokens + user.output_tokens
    return {
        "id": user.user_id,
        "user_id": user.user_id,
        "active_for": user.active_days,
        "first_active": _iso(user.first_start),
        "last_active": _iso(user.last_start),
        "total_requests": user.requests,
        "average_requests_per_day_active": user.requests / user.active_days,
        "average_tokens_per_request": tokens / user.requests,
        "total_completion_tokens": user.output_tokens,
        "total_prompt_tokens": user.input_tokens,
        "cost": user.cost,
    }


def user_metrics_answer(page: UserMetricsPage) -> dict[str, Any]:
    """The ``data`` of Helicone's answer: ``{users, count, hasUsers}``."""
    return {
        "users": [_user(user) for user in page.users],
        "count": page.count,
        "hasUsers": page.has_users,
    }
