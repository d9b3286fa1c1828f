"""The ``since`` / ``until`` query parameters: an ISO-8601 time or an age such as ``24h``.

Accepted, exactly as the OpenAPI document says:

* an ISO-8601 date-time, ``2025-05-01T12:00:00Z`` or with an offset (``+02:00``); without
  one it is UTC (``2025-05-01T12:00:00``, or a space instead of ``T``);
* a date, ``2025-05-01`` (its midnight, UTC);
* an age: a number and a unit (``s``, ``m``, ``h``, ``d``, ``w``), up to five digits and
  three decimals (``90s``, ``15m``, ``24h``, ``7d``, ``1.5w``), meaning that long ago.

Anything else is a 400 naming the parameter, numbers included: ``until=0.5`` is not read
as a Unix time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator, WithJsonSchema

__all__ = ["AGE_PATTERN", "QUERY_TIME_SCHEMA", "Since", "Until", "parse_query_time"]

AGE_PATTERN = r"^[0-9]{1,5}(\.[0-9]{1,3})?[smhdw]$"
_AGE = re.compile(AGE_PATTERN)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ISO = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?$"
)
_FORMS = (
    "an ISO-8601 time such as 2025-05-01T12:00:00Z (no offset: UTC), a date such as "
    "2025-05-01, or an age such as 15m, 24h or 7d"
)
QUERY_TIME_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": AGE_PATTERN},
    ]
}
"""What the OpenAPI document says the parameters take (naive date-times are also read)."""


def parse_query_time(value: object, now: datetime | None = None) -> datetime | None:
    """``value`` (the parameter's text) as an aware datetime; `ValueError` when it is none
    of the accepted forms (the error handler adds what to send)."""
    if value is None or isinstance(value, datetime):
        return value
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


_DESCRIPTION = f"Inclusive. {_FORMS[0].upper()}{_FORMS[1:]}."
Since = Annotated[
    datetime | None,
    BeforeValidator(parse_query_time),
    WithJsonSchema(QUERY_TIME_SCHEMA),
    Query(description=f"Earliest time. {_DESCRIPTION}"),
]
Until = Annotated[
    datetime | None,
    BeforeValidator(parse_query_time),
    WithJsonSchema(QUERY_TIME_SCHEMA),
    Query(description=f"Latest time. {_DESCRIPTION}"),
]
