"""The bodies of Helicone's query endpoints, checked and turned into store queries.

``POST /v1/session/query`` (Helicone's ``SessionQueryParams``)::

    {"search": str, "timeFilter": {"startTimeUnixMs": n, "endTimeUnixMs": n},
     "timezoneDifference": minutes, "filter": FilterNode,
     "nameEquals": str (optional), "offset": n (optional, 0), "limit": n (optional, 50)}

``POST /v1/request/query`` (``RequestQueryParams``)::

    {"filter": FilterNode, "offset": n (0), "limit": n (10),
     "sort": {"created_at": "asc" | "desc"}, "isCached": bool, "includeInputs": bool,
     "isPartOfExperiment": bool, "isScored": bool}

Required fields and unknown fields are refused as Helicone's own validation refuses
them. As in Helicone, ``search`` matches the session id or name (case-insensitive), the
time window is exclusive at both ends and bounds the requests' start times, and a
session is listed when one of its requests matches; unlike Helicone, its totals are
those of the whole session, not of the matching requests alone. agenttrace keeps no
cache hits, experiments or scores, so ``isCached``, ``isPartOfExperiment`` and
``isScored`` set to true select nothing. ``timezoneDifference`` is checked (-1440 to 1440
minutes) but times are answered in UTC with their offset, which needs no shifting.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from agenttrace.server.helicone.filter_mapping import (
    HeliconeFilterError,
    all_of,
    filter_from_helicone,
)
from agenttrace.server.store.base import (
    MAX_PAGE_SIZE,
    InvalidQueryError,
    RequestQuery,
    SessionQuery,
)
from agenttrace.server.store.filters import Cmp, Field, Filter, Op, Or, SortOrder

__all__ = [
    "HeliconeQueryError",
    "NameQueryPlan",
    "RequestQueryPlan",
    "name_query_from_body",
    "request_count_filter_from_body",
    "request_ids_from_body",
    "request_query_from_body",
    "session_query_from_body",
]

SESSION_DEFAULT_LIMIT = 50
REQUEST_DEFAULT_LIMIT = 10  # Helicone's default for /v1/request/query
MINUTES_IN_DAY = 24 * 60
_MAX_IDS = MAX_PAGE_SIZE
_MAX_WHOLE = 10**15
_Q = TypeVar("_Q", SessionQuery, RequestQuery)


class HeliconeQueryError(ValueError):
    """A query body agenttrace cannot run; the message says what to change (HTTP 400)."""


@dataclass(frozen=True, slots=True)
class RequestQueryPlan:
    """A request query, or ``selects_nothing`` when a flag asks for what is never kept."""

    query: RequestQuery
    selects_nothing: bool = False


@dataclass(frozen=True, slots=True)
class NameQueryPlan:
    """Sessions to group by name: those matching ``filter`` (None keeps them all)."""

    filter: Filter | None


_SESSION_KEYS = {
    "search",
    "timeFilter",
    "timezoneDifference",
    "filter",
    "nameEquals",
    "offset",
    "limit",
}
_SESSION_REQUIRED = ("search", "timeFilter", "timezoneDifference", "filter")
_REQUEST_KEYS = {
    "filter",
    "offset",
    "limit",
    "sort",
    "isCached",
    "includeInputs",
    "isPartOfExperiment",
    "isScored",
}
_NAME_KEYS = {
    "nameContains",
    "timezoneDifference",
    "pSize",
    "useInterquartile",
    "timeFilter",
    "filter",
}


def session_query_from_body(body: object) -> SessionQuery:
    """The store query for a ``POST /v1/session/query`` body."""
    fields = _body(body, _SESSION_KEYS, _SESSION_REQUIRED)
    search = _string(fields, "search")
    _timezone(fields)
    name = _optional_string(fields, "nameEquals")
    tree = _filter(fields["filter"])
    # The conditions on the session's own columns first, the window last: the store tests
    # them in this order, and the window seldom excludes a session the others keep.
    filter_ = all_of(
        Cmp(Field.SESSION_NAME, Op.EQ, name) if name else None,
        _search(search) if search else None,
        tree,
        _time_window(fields["timeFilter"], "timeFilter"),
    )
    return _query(
        lambda: SessionQuery(
            filter=filter_,
            limit=_whole(fields, "limit", SESSION_DEFAULT_LIMIT),
            offset=_whole(fields, "offset", 0),
        )
    )


def request_query_from_body(body: object) -> RequestQueryPlan:
    """The store query for a ``POST /v1/request/query`` body (bodies always included)."""
    fields = _body(body, _REQUEST_KEYS, ("filter",))
    filter_ = _filter(fields["filter"])
    order = _sort(fields.get("sort"))
    flags = [_flag(fields, key) for key in ("isCached", "isPartOfExperiment", "isScored")]
    _flag(fields, "includeInputs")
    query = _query(
        lambda: RequestQuery(
            filter=filter_,
            order=order,
            limit=_whole(fields, "limit", REQUEST_DEFAULT_LIMIT),
            offset=_whole(fields, "offset", 0),
            include_bodies=True,
        )
    )
    return RequestQueryPlan(query=query, selects_nothing=any(flags))


def request_count_filter_from_body(body: object) -> RequestQueryPlan:
    """What ``POST /v1/request/count/query`` counts (the request-query body, unpaged)."""
    fields = _body(body, _REQUEST_KEYS, ("filter",))
    filter_ = _filter(fields["filter"])
    flags = [_flag(fields, key) for key in ("isCached", "isPartOfExperiment", "isScored")]
    _flag(fields, "includeInputs")
    _sort(fields.get("sort"))
    _query(  # paging is checked as in a request query, though a count has no page
        lambda: RequestQuery(
            limit=_whole(fields, "limit", REQUEST_DEFAULT_LIMIT),
            offset=_whole(fields, "offset", 0),
        )
    )
    return RequestQueryPlan(
        query=_query(lambda: RequestQuery(filter=filter_, limit=1)), selects_nothing=any(flags)
    )


def request_ids_from_body(body: object) -> tuple[str, ...]:
    """The ids of a ``POST /v1/request/query-ids`` body ``{"requestIds": [...]}``."""
    fields = _body(body, {"requestIds"}, ("requestIds",))
    ids = fields["requestIds"]
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        msg = f"requestIds must be a list of request id strings; got {ids!r}"
        raise HeliconeQueryError(msg)
    if len(ids) > _MAX_IDS:
        msg = f"requestIds holds {len(ids)} ids; ask for at most {_MAX_IDS} at a time"
        raise HeliconeQueryError(msg)
    return tuple(dict.fromkeys(ids))


def name_query_from_body(body: object) -> NameQueryPlan:
    """The sessions a ``POST /v1/session/name/query`` body groups by name."""
    fields = _body(body, _NAME_KEYS, ("nameContains", "timezoneDifference"))
    contains = _string(fields, "nameContains")
    _timezone(fields)
    p_size = fields.get("pSize")
    if p_size is not None and p_size not in ("p50", "p75", "p95", "p99", "p99.9"):
        msg = f"pSize must be one of p50, p75, p95, p99, p99.9; got {p_size!r}"
        raise HeliconeQueryError(msg)
    _flag(fields, "useInterquartile")
    window = fields.get("timeFilter")
    return NameQueryPlan(
        filter=all_of(
            _time_window(window, "timeFilter") if window is not None else None,
            _filter(fields["filter"]) if fields.get("filter") is not None else None,
            Cmp(Field.SESSION_NAME, Op.CONTAINS, contains) if contains else None,
        )
    )


# --- pieces ----------------------------------------------------------------------------


def _body(body: object, allowed: set[str], required: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        msg = (
            f"the body must be a JSON object with {', '.join(required)}; got {type(body).__name__}"
        )
        raise HeliconeQueryError(msg)
    unknown = sorted(str(key) for key in body.keys() - allowed)
    if unknown:
        msg = f"unknown field {', '.join(unknown)}; the fields are {', '.join(sorted(allowed))}"
        raise HeliconeQueryError(msg)
    missing = [key for key in required if key not in body]
    if missing:
        msg = f"the body lacks {', '.join(missing)} (required: {', '.join(required)})"
        raise HeliconeQueryError(msg)
    return body


def _query(build: Callable[[], _Q]) -> _Q:
    """``build()``, the store's own page checks reported as query errors."""
    try:
        return build()
    except InvalidQueryError as exc:
        raise HeliconeQueryError(str(exc)) from None


def _filter(node: object) -> Filter | None:
    try:
        return filter_from_helicone(node)
    except HeliconeFilterError as exc:
        raise HeliconeQueryError(str(exc)) from None


def _string(fields: Mapping[str, Any], key: str) -> str:
    value = fields[key]
    if not isinstance(value, str):
        msg = f"{key} must be a string; got {value!r}"
        raise HeliconeQueryError(msg)
    return value.strip()


def _optional_string(fields: Mapping[str, Any], key: str) -> str | None:
    if fields.get(key) is None:
        return None
    return _string(fields, key) or None


def _flag(fields: Mapping[str, Any], key: str) -> bool:
    value = fields.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        msg = f"{key} must be true or false; got {value!r}"
        raise HeliconeQueryError(msg)
    return value


def _number(value: object, where: str) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):
            number = float(value)
    if not math.isfinite(number):
        msg = f"{where} must be a number; got {value!r}"
        raise HeliconeQueryError(msg)
    return number


def _whole(fields: Mapping[str, Any], key: str, default: int) -> int:
    if fields.get(key) is None:
        return default
    number = _number(fields[key], key)
    if not number.is_integer() or abs(number) > _MAX_WHOLE:
        msg = f"{key} must be a whole number below {_MAX_WHOLE}; got {fields[key]!r}"
        raise HeliconeQueryError(msg)
    return int(number)


def _timezone(fields: Mapping[str, Any]) -> None:
    minutes = _number(fields["timezoneDifference"], "timezoneDifference")
    if not -MINUTES_IN_DAY <= minutes <= MINUTES_IN_DAY:
        msg = f"timezoneDifference must be minutes from -1440 to 1440; got {minutes:g}"
        raise HeliconeQueryError(msg)


def _milliseconds(value: object, where: str) -> datetime:
    number = _number(value, where)
    try:
        return datetime.fromtimestamp(number / 1000.0, UTC)
    except (OverflowError, OSError, ValueError):
        msg = f"{where} must be Unix time in milliseconds; got {value!r}"
        raise HeliconeQueryError(msg) from None


def _time_window(value: object, where: str) -> Filter | None:
    if not isinstance(value, Mapping) or not {"startTimeUnixMs", "endTimeUnixMs"} <= value.keys():
        msg = (
            f"{where} must be {{startTimeUnixMs, endTimeUnixMs}} in Unix milliseconds; "
            f"got {value!r}"
        )
        raise HeliconeQueryError(msg)
    start = _milliseconds(value["startTimeUnixMs"], f"{where}.startTimeUnixMs")
    end = _milliseconds(value["endTimeUnixMs"], f"{where}.endTimeUnixMs")
    if start > end:
        msg = f"{where}.startTimeUnixMs is after endTimeUnixMs; swap them"
        raise HeliconeQueryError(msg)
    return all_of(Cmp(Field.CREATED_AT, Op.GT, start), Cmp(Field.CREATED_AT, Op.LT, end))


def _search(text: str) -> Filter:
    return Or(
        (Cmp(Field.SESSION_NAME, Op.CONTAINS, text), Cmp(Field.SESSION_ID, Op.CONTAINS, text))
    )


def _sort(value: object) -> SortOrder:
    if value is None:
        return SortOrder.DESC
    if not isinstance(value, Mapping):
        msg = f'sort must be an object such as {{"created_at": "desc"}}; got {value!r}'
        raise HeliconeQueryError(msg)
    other = sorted(str(key) for key in value.keys() - {"created_at"})
    if other:
        msg = f"sorting by {', '.join(other)} is not supported; sort by created_at (asc or desc)"
        raise HeliconeQueryError(msg)
    direction = value.get("created_at", "desc")
    if direction not in ("asc", "desc"):  # a tuple: the value may be unhashable
        msg = f'sort.created_at must be "asc" or "desc"; got {direction!r}'
        raise HeliconeQueryError(msg)
    return SortOrder(direction)
