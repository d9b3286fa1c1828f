"""`new_record`: a `Record` checked against the wire limits without running pydantic's
validation.

Every producer (the ManualLogger, the LangChain handler) ends a traced call with a record,
built on the shipper's worker thread (`Tracer.emit_later`) or, for other exporters, on the
caller's. Most values are made by agenttrace itself (ids, UTC times, `Status` and
`RecordKind` members, validated `Usage` and `ErrorInfo`); a few strings and the properties
come from the user. `new_record` checks those against the limits that
`agenttrace.core.record_rules` declares (the constants `Record`'s fields are declared
with: they are written once), then builds the record with pydantic's public
``model_copy(update=...)`` of a record with every field set (``Record.model_construct``
with every field makes the same, in twice the time). The collector validates every record
in full when it arrives.

Anything unusual (a string too long, a path not in normal form, a property that is not
text, an int where a float belongs, a naive time) goes through ``Record(...)`` instead, so
the outcome, a record or pydantic's error naming the field, is the one `Record` gives;
tests compare both ways on generated values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict, cast

from agenttrace.core.record_rules import (
    MAX_AMOUNT,
    MAX_ATTEMPT,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PATH_LENGTH,
    MAX_PROPERTIES,
    MAX_PROPERTY_NAME_LENGTH,
    MAX_PROPERTY_VALUE_LENGTH,
    RecordKind,
    Status,
    normalize_path,
)
from agenttrace.records import ErrorInfo, Record, Usage

__all__ = ["RECORD_FIELDS", "RecordFields", "new_record"]


class RecordFields(TypedDict):
    """Every field of a `Record`, in its order (what `new_record` takes)."""

    id: str
    kind: RecordKind
    session_id: str
    session_name: str | None
    session_path: str
    parent_id: str | None
    name: str
    model: str | None
    provider: str | None
    user_id: str | None
    properties: Mapping[str, str]
    start_time: datetime
    end_time: datetime | None
    time_to_first_token_ms: float | None
    status: Status
    error: ErrorInfo | None
    usage: Usage | None
    cost_usd: float | None
    attempt: int
    branch_id: str | None
    request: Any
    response: Any


RECORD_FIELDS = (
    "id",
    "kind",
    "session_id",
    "session_name",
    "session_path",
    "parent_id",
    "name",
    "model",
    "provider",
    "user_id",
    "properties",
    "start_time",
    "end_time",
    "time_to_first_token_ms",
    "status",
    "error",
    "usage",
    "cost_usd",
    "attempt",
    "branch_id",
    "request",
    "response",
)
"""`Record`'s fields in order, as `RecordFields` declares them (a test keeps all three
equal)."""

_EVERY_FIELD = frozenset(RECORD_FIELDS)
_MAX_KNOWN_PATHS = 4096
_known_paths: set[str] = set()
_BLANK = Record.model_construct(set(_EVERY_FIELD), **cast("Any", dict.fromkeys(RECORD_FIELDS)))
"""A record with every field set (to None), copied with the values of each new record:
pydantic's public ``model_copy(update=...)`` of it makes what ``model_construct`` with every
field makes, in half the time (a shallow copy of a dict, no walk over the fields)."""


def _normal_path(path: object) -> bool:
    """Whether ``path`` is a session path `Record` keeps as it is (remembered when so)."""
    if type(path) is not str or len(path) > MAX_PATH_LENGTH:
        return False
    try:
        normal = normalize_path(path) == path
    except ValueError:  # too many segments
        return False
    if normal:
        if len(_known_paths) >= _MAX_KNOWN_PATHS:
            _known_paths.clear()
        _known_paths.add(path)
    return normal


def _plain_properties(properties: object) -> bool:
    """Whether ``properties`` is a dict of text within the limits (as `Record` checks it)."""
    if not (type(properties) is dict or isinstance(properties, Mapping)):
        return False
    if len(properties) > MAX_PROPERTIES:
        return False
    for key, value in properties.items():
        if type(key) is not str or not 0 < len(key) <= MAX_PROPERTY_NAME_LENGTH:
            return False
        if type(value) is not str or len(value) > MAX_PROPERTY_VALUE_LENGTH:
            return False
    return True


def new_record(fields: RecordFields) -> Record:
    """The `Record` of ``fields``, as ``Record(**fields)`` would make it (or its error).

    ``fields`` holds every field of `Record`, written as a dict literal in its order (do
    not use it again); the record gets its own copy of the properties.
    The types `RecordFields` declares are the caller's to keep (mypy checks them at every
    call site); checked here is what a type cannot say: lengths, ranges, UTC times in
    order, a path in normal form, and that the strings and properties that came from
    users are text.
    """
    # Written out, not looped: this runs on the user's thread for every traced call.
    if not (
        type(record_id := fields["id"]) is str
        and 0 < len(record_id) <= MAX_ID_LENGTH
        and type(session_id := fields["session_id"]) is str
        and 0 < len(session_id) <= MAX_ID_LENGTH
        and type(name := fields["name"]) is str
        and len(name) <= MAX_NAME_LENGTH
        and (
            (v := fields["session_name"]) is None or (type(v) is str and len(v) <= MAX_NAME_LENGTH)
        )
        and ((v := fields["parent_id"]) is None or (type(v) is str and len(v) <= MAX_ID_LENGTH))
        and ((v := fields["model"]) is None or (type(v) is str and len(v) <= MAX_NAME_LENGTH))
        and ((v := fields["provider"]) is None or (type(v) is str and len(v) <= MAX_ID_LENGTH))
        and ((v := fields["user_id"]) is None or (type(v) is str and len(v) <= MAX_NAME_LENGTH))
        and ((v := fields["branch_id"]) is None or (type(v) is str and len(v) <= MAX_NAME_LENGTH))
        and (
            (cost := fields["cost_usd"]) is None
            or (type(cost) is float and 0 <= cost <= MAX_AMOUNT)
        )
        and (
            (ttft := fields["time_to_first_token_ms"]) is None
            or (type(ttft) is float and 0 <= ttft <= MAX_AMOUNT)
        )
        and 1 <= fields["attempt"] <= MAX_ATTEMPT
        and (start := fields["start_time"]).tzinfo is UTC
        and ((end := fields["end_time"]) is None or (end.tzinfo is UTC and end >= start))
        and ((v := fields["session_path"]) in _known_paths or _normal_path(v))
        and _plain_properties(properties := fields["properties"])
    ):
        return Record(**fields)
    values = cast("dict[str, Any]", fields)
    values["properties"] = dict(properties)
    return _BLANK.model_copy(update=values)
