"""The JSON Schemas of the Helicone-shaped request bodies, as the OpenAPI document gives them.

They say exactly what `ingest_mapping` and `query_mapping` accept (OpenAPI 3.1: a value
that may be null says so with ``"type": [..., "null"]``, as Helicone's clients send nulls),
so that a body valid by its schema is taken and one that is not gets a 400. Some rules are
beyond JSON Schema, and answered 400 naming them: a log's ``timing.startTime`` after its
``endTime``, a ``timeFilter`` whose start is after its end, a filter tree of more than 100
conditions, and a time whose offset puts it outside the years 1 to 9999 in UTC
(``tests/fuzz/schema_rules.py`` declares the same list to schemathesis).
"""

from __future__ import annotations

from typing import Any

from agenttrace.records import MAX_AMOUNT
from agenttrace.server.helicone.filter_mapping import filter_node_schema
from agenttrace.server.store._user_metrics import UserSort
from agenttrace.server.store.base import MAX_OFFSET, MAX_PAGE_SIZE

__all__ = [
    "FILTER_NODE_REF",
    "IDS_BODY",
    "LOG_BODY",
    "NAME_BODY",
    "REQUEST_BODY",
    "SCHEMAS",
    "SESSION_BODY",
    "USER_METRICS_BODY",
    "body_schema",
]

FILTER_NODE_REF = "#/components/schemas/HeliconeFilterNode"
SCHEMAS: dict[str, dict[str, Any]] = {"HeliconeFilterNode": filter_node_schema(FILTER_NODE_REF)}
"""Named schemas the bodies refer to, for the document's ``components``."""

MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
MAX_DIGITS = 14  # a time as a string of digits: Unix seconds, or milliseconds past 2100
UNIX_MS_MIN = -62_135_596_800_000  # 0001-01-01T00:00:00Z
UNIX_MS_MAX = MAX_UNIX_SECONDS * 1000 + 999  # 9999-12-31T23:59:59.999Z

_HEADERS: dict[str, Any] = {
    "type": ["object", "null"],
    "description": "Header names to values (numbers and booleans are read as text).",
    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
}
_MOMENT: dict[str, Any] = {
    "description": (
        "{seconds, milliseconds} since the Unix epoch, Unix seconds (or milliseconds) as a "
        "string of digits, or an ISO-8601 date-time; missing: when the log arrives"
    ),
    "anyOf": [
        {
            "type": "object",
            "required": ["seconds"],
            "properties": {
                "seconds": {"type": "number", "minimum": 0, "maximum": MAX_UNIX_SECONDS},
                "milliseconds": {"type": "number", "minimum": 0, "exclusiveMaximum": 1000},
            },
        },
        {"type": "string", "pattern": f"^[0-9]{{1,{MAX_DIGITS}}}$"},
        {"type": "string", "format": "date-time"},
        {"type": "null"},
    ],
}
LOG_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["providerRequest", "providerResponse"],
    "properties": {
        "providerRequest": {
            "type": "object",
            "required": ["json"],
            "properties": {
                "url": {"type": ["string", "null"]},
                "json": {"description": "The body of the call (any JSON)."},
                "meta": _HEADERS,
            },
        },
        "providerResponse": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "json": {"description": "The answer of the call (any JSON)."},
                "textBody": {"type": ["string", "null"]},
                "status": {"type": "integer", "description": "HTTP status; -3 is cancelled."},
                "headers": _HEADERS,
                "cost": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_AMOUNT},
            },
        },
        "timing": {
            "type": ["object", "null"],
            "description": "startTime must not be after endTime (400).",
            "properties": {
                "startTime": _MOMENT,
                "endTime": _MOMENT,
                "timeToFirstToken": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "maximum": MAX_AMOUNT,
                },
            },
        },
        "provider": {"type": ["string", "null"]},
    },
}
_FILTER: dict[str, Any] = {"$ref": FILTER_NODE_REF}
_UNIX_MS: dict[str, Any] = {"type": "number", "minimum": UNIX_MS_MIN, "maximum": UNIX_MS_MAX}
_TIME_FILTER: dict[str, Any] = {
    "type": "object",
    "description": "Exclusive at both ends; the start must not be after the end (400).",
    "required": ["startTimeUnixMs", "endTimeUnixMs"],
    "properties": {"startTimeUnixMs": _UNIX_MS, "endTimeUnixMs": _UNIX_MS},
}
_TIMEZONE: dict[str, Any] = {"type": "number", "minimum": -1440, "maximum": 1440}
_OFFSET: dict[str, Any] = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_OFFSET}
_LIMIT: dict[str, Any] = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_PAGE_SIZE}
_FLAG: dict[str, Any] = {"type": ["boolean", "null"]}
SESSION_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["search", "timeFilter", "timezoneDifference", "filter"],
    "properties": {
        "search": {"type": "string"},
        "timeFilter": _TIME_FILTER,
        "timezoneDifference": _TIMEZONE,
        "filter": _FILTER,
        "nameEquals": {"type": ["string", "null"]},
        "offset": _OFFSET,
        "limit": _LIMIT,
    },
}
REQUEST_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["filter"],
    "properties": {
        "filter": _FILTER,
        "offset": _OFFSET,
        "limit": _LIMIT,
        "sort": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"created_at": {"enum": ["asc", "desc"]}},
        },
        "isCached": _FLAG,
        "includeInputs": _FLAG,
        "isPartOfExperiment": _FLAG,
        "isScored": _FLAG,
    },
}
NAME_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["nameContains", "timezoneDifference"],
    "properties": {
        "nameContains": {"type": "string"},
        "timezoneDifference": _TIMEZONE,
        "pSize": {"enum": ["p50", "p75", "p95", "p99", "p99.9", None]},
        "useInterquartile": _FLAG,
        "timeFilter": {**_TIME_FILTER, "type": ["object", "null"]},
        "filter": {"anyOf": [_FILTER, {"type": "null"}]},
    },
}
IDS_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["requestIds"],
    "properties": {
        "requestIds": {"type": "array", "maxItems": MAX_PAGE_SIZE, "items": {"type": "string"}}
    },
}

_UNIX_SECONDS: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": MAX_UNIX_SECONDS}
USER_METRICS_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["filter", "offset", "limit"],
    "properties": {
        "filter": _FILTER,
        "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "timeFilter": {
            "type": ["object", "null"],
            "description": "Exclusive at both ends; the start must not be after the end (400).",
            "required": ["startTimeUnixSeconds", "endTimeUnixSeconds"],
            "properties": {
                "startTimeUnixSeconds": _UNIX_SECONDS,
                "endTimeUnixSeconds": _UNIX_SECONDS,
            },
        },
        "timeZoneDifferenceMinutes": {**_TIMEZONE, "type": ["number", "null"]},
        "sort": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {key.value: {"enum": ["asc", "desc"]} for key in UserSort},
        },
    },
}


def body_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a route whose JSON body has ``schema``."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }
