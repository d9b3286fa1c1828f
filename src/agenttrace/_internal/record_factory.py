"""`new_record`: a `Record` built on the caller's thread, checked against the wire limits
without running pydantic's validation.

Every producer (the ManualLogger, the LangChain handler) ends a traced call by building a
record on the user's thread. Most values are made by agenttrace itself (ids, UTC times,
`Status` and `RecordKind` members, validated `Usage` and `ErrorInfo`); a few strings and
the properties come from the user. `new_record` checks those against the limits that
`agenttrace._internal.record_rules` declares (the constants `Record`'s fields are declared
with: they are written once), then fills in the record's fields as
``Record.model_construct`` does, without its loop over the fields: about 1 µs, where
``Record(...)`` and ``model_construct`` both take about 5 µs. The collector validates
every record in full when it arrives.

Anything unusual (a string too long, a path not in normal form, a property that is not
text, an int where a float belongs, a naive time) goes through ``Record(...)`` instead, so
the outcome, a record or pydantic's error naming the field, is always the one `Record`
gives; tests compare both ways on generated values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from agenttrace._internal.record_rules import (
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

__all__ = ["RECORD_FIELDS", "new_record"]

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
"""`Record`'s fields in order: the fields `new_record` sets (a test keeps them equal)."""

_EVERY_FIELD = set(RECORD_FIELDS)
_MAX_KNOWN_PATHS = 4096
_known_paths: set[str] = set()
_new = Record.__new__
_set = object.__setattr__


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


def _utc_span(start: object, end: object) -> bool:
    """Whether ``start`` and ``end`` (or None) are UTC datetimes, ``end`` not before it."""
    return (
        type(start) is datetime
        and start.tzinfo is UTC
        and (end is None or (type(end) is datetime and end.tzinfo is UTC and end >= start))
    )


def new_record(
    *,
    id: str,
    kind: RecordKind,
    session_id: str,
    session_name: str | None,
    session_path: str,
    parent_id: str | None,
    name: str,
    model: str | None,
    provider: str | None,
    user_id: str | None,
    properties: Mapping[str, str],
    start_time: datetime,
    end_time: datetime | None,
    time_to_first_token_ms: float | None = None,
    status: Status = Status.OK,
    error: ErrorInfo | None = None,
    usage: Usage | None = None,
    cost_usd: float | None = None,
    attempt: int = 1,
    branch_id: str | None = None,
    request: Any = None,
    response: Any = None,
) -> Record:
    """The `Record` of these fields, as ``Record(...)`` would make it (or its error).

    Arguments are `Record`'s fields, by name; the record gets its own copy of ``properties``.
    """
    # Written out, not looped: this runs on the user's thread for every traced call.
    if not (
        type(id) is str
        and 0 < len(id) <= MAX_ID_LENGTH
        and type(session_id) is str
        and 0 < len(session_id) <= MAX_ID_LENGTH
        and type(name) is str
        and len(name) <= MAX_NAME_LENGTH
        and type(kind) is RecordKind
        and type(status) is Status
        and (
            session_name is None
            or (type(session_name) is str and len(session_name) <= MAX_NAME_LENGTH)
        )
        and (parent_id is None or (type(parent_id) is str and len(parent_id) <= MAX_ID_LENGTH))
        and (model is None or (type(model) is str and len(model) <= MAX_NAME_LENGTH))
        and (provider is None or (type(provider) is str and len(provider) <= MAX_ID_LENGTH))
        and (user_id is None or (type(user_id) is str and len(user_id) <= MAX_NAME_LENGTH))
        and (branch_id is None or (type(branch_id) is str and len(branch_id) <= MAX_NAME_LENGTH))
        and (error is None or type(error) is ErrorInfo)
        and (usage is None or type(usage) is Usage)
        and (cost_usd is None or (type(cost_usd) is float and 0 <= cost_usd <= MAX_AMOUNT))
        and (
            time_to_first_token_ms is None
            or (type(time_to_first_token_ms) is float and 0 <= time_to_first_token_ms <= MAX_AMOUNT)
        )
        and type(attempt) is int
        and 1 <= attempt <= MAX_ATTEMPT
        and _utc_span(start_time, end_time)
        and (session_path in _known_paths or _normal_path(session_path))
        and _plain_properties(properties)
    ):
        return Record(
            id=id,
            kind=kind,
            session_id=session_id,
            session_name=session_name,
            session_path=session_path,
            parent_id=parent_id,
            name=name,
            model=model,
            provider=provider,
            user_id=user_id,
            properties=properties,  # Record copies it (or refuses what is not text)
            start_time=start_time,
            end_time=end_time,
            time_to_first_token_ms=time_to_first_token_ms,
            status=status,
            error=error,
            usage=usage,
            cost_usd=cost_usd,
            attempt=attempt,
            branch_id=branch_id,
            request=request,
            response=response,
        )
    record = _new(Record)
    _set(
        record,
        "__dict__",
        {
            "id": id,
            "kind": kind,
            "session_id": session_id,
            "session_name": session_name,
            "session_path": session_path,
            "parent_id": parent_id,
            "name": name,
            "model": model,
            "provider": provider,
            "user_id": user_id,
            "properties": dict(properties),
            "start_time": start_time,
            "end_time": end_time,
            "time_to_first_token_ms": time_to_first_token_ms,
            "status": status,
            "error": error,
            "usage": usage,
            "cost_usd": cost_usd,
            "attempt": attempt,
            "branch_id": branch_id,
            "request": request,
            "response": response,
        },
    )
    _set(record, "__pydantic_fields_set__", _EVERY_FIELD.copy())
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record
