"""The filters of each native query, declared once: `SessionFilters`, `RequestFilters`,
`PathFilters` and `MetricsFilters` (which the exports share with the lists).

Each model is at once the query-parameter model of its route (``Annotated[SessionFilters,
Query()]``: names, types, bounds and the OpenAPI document), what the store turns into its
filter tree (`agenttrace.server.store.base`), and the list of keyword arguments the query
clients and the CLI send (`agenttrace.query._params.filter_params`). The ``*FilterArgs``
typed dicts are those keyword arguments as the clients take them (times may be datetimes
or spans ago, properties a dict); a test checks that they name exactly the models' fields.

Adding a filter: a field here (and its key in the matching ``*FilterArgs``), and its
condition in the store's ``*_filter`` function.

Times (``since``, ``until``) take, on the wire:

* an ISO-8601 date-time, ``2025-05-01T12:00:00Z`` or with an offset (``+02:00``); without
  one it is UTC (``2025-05-01T12:00:00``, or a space instead of ``T``);
* a date, ``2025-05-01`` (its midnight, UTC);
* an age: a number and a unit (``s``, ``m``, ``h``, ``d``, ``w``), up to five digits and
  three decimals (``90s``, ``15m``, ``24h``, ``7d``, ``1.5w``), meaning that long ago.

Anything else is refused naming the parameter, numbers included: ``until=0.5`` is not read
as a Unix time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from agenttrace.records import RecordKind, Status

__all__ = [
    "AGE_PATTERN",
    "QUERY_TIME_SCHEMA",
    "ExportFilterArgs",
    "MetricsFilterArgs",
    "MetricsFilters",
    "PathFilterArgs",
    "PathFilters",
    "QueryTime",
    "RequestFilterArgs",
    "RequestFilters",
    "SessionFilterArgs",
    "SessionFilters",
    "TimeArg",
    "parse_query_time",
    "property_pairs",
]

AGE_PATTERN = r"^[0-9]{1,5}(\.[0-9]{1,3})?[smhdw]$"
_AGE = re.compile(AGE_PATTERN)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ISO = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?$"
)
QUERY_TIME_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": AGE_PATTERN},
    ]
}
"""What the OpenAPI document says the time parameters take (naive date-times are also read)."""


def parse_query_time(value: object, now: datetime | None = None) -> datetime | None:
    """``value`` (a parameter's text, or a datetime) as an aware datetime (naive: UTC);
    `ValueError` when it is none of the accepted forms (the error handler adds what to
    send)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    text = value if isinstance(value, str) else ""
    if _AGE.match(text):
        age = timedelta(seconds=float(text[:-1]) * _UNIT_SECONDS[text[-1]])
        return (now or datetime.now(UTC)) - age
    if _ISO.match(text):
        try:
            moment = datetime.fromisoformat(text.upper().replace(" ", "T", 1))
        except ValueError as exc:
            msg = f"{text!r} is not a time ({exc})"
            raise ValueError(msg) from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    msg = f"{value!r} is not a time"
    raise ValueError(msg)


def _property_texts(value: object) -> tuple[str, ...]:
    """``key=value`` texts (the wire), a dict or pairs, as ``key=value`` texts;
    `ValueError` naming a malformed one."""
    if value is None:
        return ()
    items: list[object] | tuple[object, ...]
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list | tuple) and not (_is_pair(value) and "=" not in value[0]):
        # a 2-tuple is one (key, value) pair only when its key has no '=': ("a=1", "b=2")
        # is two texts
        items = value
    else:
        items = [value]
    texts = []
    for item in items:
        if isinstance(item, tuple) and _is_pair(item):
            key, text = item
            if key and "=" not in key:
                texts.append(f"{key}={text}")
                continue
        elif isinstance(item, str) and item.partition("=")[0] and "=" in item:
            texts.append(item)
            continue
        msg = f"{item!r} is not key=value"
        raise ValueError(msg)
    return tuple(texts)


def _is_pair(item: object) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)


def property_pairs(texts: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (key, value) pairs of validated ``key=value`` texts."""
    return [(key, value) for key, _, value in (text.partition("=") for text in texts)]


_TIME_FORMS = (
    "Inclusive. An ISO-8601 time such as 2025-05-01T12:00:00Z (no offset: UTC), a date "
    "such as 2025-05-01, or an age such as 15m, 24h or 7d."
)
QueryTime = Annotated[
    datetime | None, BeforeValidator(parse_query_time), WithJsonSchema(QUERY_TIME_SCHEMA)
]
"""A ``since`` / ``until`` parameter (see the module docstring)."""
Properties = Annotated[
    tuple[str, ...],
    BeforeValidator(_property_texts),
    WithJsonSchema({"type": "array", "items": {"type": "string", "pattern": "^[^=]+="}}),
]
"""Custom properties, ``property=key=value`` repeated on the wire; all must hold."""

_MODEL = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)


def _since(what: str) -> Any:
    return Field(default=None, description=f"Earliest {what}. {_TIME_FORMS}")


def _until(what: str) -> Any:
    return Field(default=None, description=f"Latest {what}. {_TIME_FORMS}")


def _properties() -> Any:
    return Field(
        default=(), alias="property", description="key=value; repeat for several (all must hold)."
    )


def _cost(what: str) -> Any:
    return Field(default=None, ge=0, description=f"{what}, USD, inclusive.")


SCORE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,99}$"
"""A score's name (`agenttrace.server.store.scores` takes the same)."""


class SessionFilters(BaseModel):
    """``GET /v1/sessions``: every given condition holds for the session."""

    model_config = _MODEL

    name: str | None = Field(default=None, description="Exact session name.")
    search: str | None = Field(
        default=None, description="Case-insensitive substring of the session name or id."
    )
    user_id: str | None = None
    status: Literal["ok", "error", "waiting"] | None = Field(
        default=None,
        description="ok, error, or waiting: a question to a human is unanswered (the inbox).",
    )
    since: QueryTime = _since("session start")
    until: QueryTime = _until("session start")
    properties: Properties = _properties()
    min_cost: float | None = _cost("Total cost at least")
    max_cost: float | None = _cost("Total cost at most")
    score: str | None = Field(
        default=None,
        pattern=SCORE_NAME_PATTERN,
        description="Only sessions scored with this name (and sort=score sorts by its average).",
    )
    min_score: float | None = Field(default=None, description="The score's average at least.")
    max_score: float | None = Field(default=None, description="The score's average at most.")
    score_value: str | None = Field(
        default=None, max_length=200, description="A categorical score holding this value."
    )


class RequestFilters(BaseModel):
    """``GET /v1/requests``: every given condition holds for the request."""

    model_config = _MODEL

    session_id: str | None = None
    path: str | None = Field(default=None, description="Exact session path, e.g. /agent.")
    kind: RecordKind | None = None
    status: Status | None = None
    model: str | None = None
    user_id: str | None = None
    properties: Properties = _properties()
    since: QueryTime = _since("request start")
    until: QueryTime = _until("request start")
    search: str | None = Field(
        default=None, description="Part of the request's id or name (any case)."
    )


class PathFilters(BaseModel):
    """``GET /v1/paths``: which requests the per-path aggregates count."""

    model_config = _MODEL

    session_name: str | None = None
    session_id: str | None = None
    since: QueryTime = _since("request start")
    until: QueryTime = _until("request start")


class MetricsFilters(BaseModel):
    """``GET /v1/metrics``: the session list's filters and the request list's, each
    applied to the request (times bound its start, costs its cost)."""

    model_config = _MODEL

    name: str | None = Field(default=None, description="Exact session name.")
    search: str | None = Field(
        default=None, description="Case-insensitive part of the session name or id."
    )
    session_id: str | None = None
    user_id: str | None = None
    status: Status | None = None
    model: str | None = None
    provider: str | None = None
    kind: RecordKind | None = None
    path: str | None = Field(default=None, description="Exact session path, e.g. /agent.")
    properties: Properties = _properties()
    since: QueryTime = _since("request start")
    until: QueryTime = _until("request start")
    min_cost: float | None = _cost("Request cost at least")
    max_cost: float | None = _cost("Request cost at most")


TimeArg = datetime | str | None
"""A time as the clients take it: a datetime (naive = UTC), ISO-8601 text or a span ago."""


class SessionFilterArgs(TypedDict, total=False):
    """`SessionFilters` but ``name`` (its first positional argument) as keyword arguments
    of `QueryClient.sessions`."""

    search: str | None
    user_id: str | None
    status: str | None
    since: TimeArg
    until: TimeArg
    properties: Mapping[str, str] | None
    min_cost: float | None
    max_cost: float | None
    score: str | None
    min_score: float | None
    max_score: float | None
    score_value: str | None


class RequestFilterArgs(TypedDict, total=False):
    """`RequestFilters` but ``session_id`` (its first positional argument) as keyword
    arguments of `QueryClient.requests`."""

    path: str | None
    kind: RecordKind | str | None
    status: Status | str | None
    model: str | None
    user_id: str | None
    properties: Mapping[str, str] | None
    since: TimeArg
    until: TimeArg
    search: str | None


class PathFilterArgs(TypedDict, total=False):
    """`PathFilters` but ``session_name`` (its first positional argument) as keyword
    arguments of `QueryClient.paths`."""

    session_id: str | None
    since: TimeArg
    until: TimeArg


class _ListFilterArgs(TypedDict, total=False):
    """The keyword arguments `MetricsFilterArgs` and `ExportFilterArgs` share."""

    name: str | None
    search: str | None
    session_id: str | None
    user_id: str | None
    status: Status | str | None
    model: str | None
    kind: RecordKind | str | None
    properties: Mapping[str, str] | None
    since: TimeArg
    until: TimeArg
    min_cost: float | None
    max_cost: float | None


class MetricsFilterArgs(_ListFilterArgs, total=False):
    """`MetricsFilters` as keyword arguments of `QueryClient.metrics`."""

    provider: str | None
    path: str | None


class ExportFilterArgs(_ListFilterArgs, total=False):
    """The filters of `QueryClient.export`: those of `RequestFilters` for requests, of
    `SessionFilters` for sessions (``path_filter`` is the requests' ``path``)."""

    path_filter: str | None
    score: str | None
    min_score: float | None
    max_score: float | None
    score_value: str | None
