"""The filter language every query endpoint compiles to, and every store understands.

Native query parameters and Helicone filter trees are both turned into these nodes; a
store turns them into SQL. Fields name what a *request* (record) has; a session query
keeps the sessions that have at least one request matching the filter, except for the
``session_*`` aggregate fields, which test the session's own totals.

Precisely, in a session query each comparison is tested on its own: a request-level
comparison holds when at least one of the session's requests satisfies it (so ``A AND B``
may be met by two different requests of the session, as for ``property=env=prod AND
property=team=a``); ``session_id`` and ``session_name`` test the session's id and name
(its earliest non-empty name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "And",
    "Cmp",
    "Field",
    "Filter",
    "Op",
    "Or",
    "Property",
    "Score",
    "SortOrder",
    "and_",
]


class Field(StrEnum):
    """A column a filter can test."""

    # request-level
    REQUEST_ID = "request_id"
    SESSION_ID = "session_id"
    SESSION_NAME = "session_name"
    SESSION_PATH = "session_path"
    USER_ID = "user_id"
    MODEL = "model"
    PROVIDER = "provider"
    KIND = "kind"
    NAME = "name"
    STATUS = "status"
    COST = "cost"  # request cost in USD
    LATENCY_MS = "latency_ms"
    CREATED_AT = "created_at"  # request start time (datetime)
    # session aggregates (only in session queries)
    SESSION_TOTAL_COST = "session_total_cost"
    SESSION_STATUS = "session_status"  # "ok" | "error"
    SESSION_CREATED_AT = "session_created_at"  # first request start (datetime)
    SESSION_LATEST_AT = "session_latest_at"  # last request start (datetime)
    SESSION_REQUEST_COUNT = "session_request_count"


class Op(StrEnum):
    """How a field is compared."""

    EQ = "eq"
    NEQ = "neq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"  # case-insensitive substring
    IN = "in"  # value is a tuple


Value = str | int | float | datetime | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Property:
    """A custom property (``Helicone-Property-<key>``) used as a field."""

    key: str


@dataclass(frozen=True, slots=True)
class Score:
    """The average of a score (`agenttrace.server.store.scores`) used as a field: of a
    session's scores and its requests' in a session query, of a request's own in a request
    query. A text value compares a categorical score's values instead."""

    name: str


@dataclass(frozen=True, slots=True)
class Cmp:
    """``field op value``; a missing value (NULL, absent property) never matches."""

    field: Field | Property | Score
    op: Op
    value: Value


@dataclass(frozen=True, slots=True)
class And:
    """Every item matches."""

    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one item matches."""

    items: tuple[Filter, ...]


Filter = Cmp | And | Or


def and_(*items: Filter | None) -> Filter | None:
    """Combine the given filters (Nones skipped) with AND; None when there are none."""
    kept = tuple(item for item in items if item is not None)
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return And(kept)


class SortOrder(StrEnum):
    """Sort direction."""

    ASC = "asc"
    DESC = "desc"
