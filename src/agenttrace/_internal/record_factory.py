"""`trusted_record`: the ManualLogger's `Record`, built without re-validating what is known good.

Validating a `Record` with pydantic takes about a third of what logging a call costs the
caller. On the logger's hot path most values are made by agenttrace itself (ids, times,
status, `Usage`, `ErrorInfo`, costs); only a few strings and the properties come from the
user. `trusted_record` checks those (lengths, types, the path's form) in a few comparisons and
then sets the fields directly. Anything unusual, a string too long, a path not in normal
form, a property that is not text, goes through ``Record(...)`` instead, so the outcome (a
record, or pydantic's error saying what is wrong) is always the one `Record` gives.

The fast path guards itself: it is used only while `Record` has exactly the fields,
limits and validators this module knows (the numeric limits are `agenttrace.records`'
own constants); a change to the contract turns it off (and a test fails) rather than
letting unchecked records through. A property-based test compares both ways.
"""

from __future__ import annotations

from typing import Any

from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic.functional_validators import AfterValidator

from agenttrace.records import (
    MAX_AMOUNT,
    MAX_PROPERTIES,
    MAX_PROPERTY_NAME_LENGTH,
    MAX_PROPERTY_VALUE_LENGTH,
    Record,
    normalize_path,
)

__all__ = ["FAST_PATH", "RECORD_TEMPLATE", "trusted_record"]

_ID, _NAME, _PATH = 200, 500, 2000
_KNOWN_LIMITS = {
    "id": (1, _ID),
    "session_id": (1, _ID),
    "session_name": (0, _NAME),
    "session_path": (0, _PATH),
    "parent_id": (0, _ID),
    "name": (0, _NAME),
    "model": (0, _NAME),
    "provider": (0, _ID),
    "user_id": (0, _NAME),
    "branch_id": (0, _NAME),
}
_FIELDS = (
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
_DEFAULTED = {"attempt": 1, "branch_id": None}
_SET_HERE = frozenset(_FIELDS) - _DEFAULTED.keys()
_FIELDS_SET = set(_SET_HERE)
"""The fields a caller sets (copied into each record's ``__pydantic_fields_set__``)."""
RECORD_TEMPLATE: dict[str, Any] = dict.fromkeys(_FIELDS)
RECORD_TEMPLATE.update(_DEFAULTED)
"""Every field in order, to ``.copy()`` and fill in (cheaper than a 22-key dict literal)."""
_MAX_KNOWN_PATHS = 4096


_AMOUNTS = ("time_to_first_token_ms", "cost_usd")
_OTHER_METADATA = {"start_time": (AfterValidator,), "attempt": (Ge, Le)}
_VALIDATORS = ({"_normalize_path", "_check_properties"}, {"_check_times"})


def _contract_unchanged() -> bool:
    """Whether `Record` still has exactly the fields (in order), limits and validators
    this module knows."""
    fields = Record.model_fields
    if tuple(fields) != _FIELDS:
        return False
    for name, field in fields.items():
        metadata = field.metadata
        if name in _KNOWN_LIMITS:
            low = max((m.min_length for m in metadata if isinstance(m, MinLen)), default=0)
            high = max((m.max_length for m in metadata if isinstance(m, MaxLen)), default=-1)
            if _KNOWN_LIMITS[name] != (low, high) or len(metadata) != (2 if low else 1):
                return False
        elif name in _AMOUNTS:
            if metadata != [Le(le=MAX_AMOUNT)]:
                return False
        elif tuple(type(m) for m in metadata) != _OTHER_METADATA.get(name, ()):
            return False
    decorators = Record.__pydantic_decorators__
    if (set(decorators.field_validators), set(decorators.model_validators)) != _VALIDATORS:
        return False
    return all(fields[name].default == value for name, value in _DEFAULTED.items())


FAST_PATH = _contract_unchanged()
"""False when `Record` changed in a way this module does not know: always validate."""

_known_paths: set[str] = set()


def _normal_path(path: object) -> bool:
    if path in _known_paths:
        return True
    if type(path) is not str or len(path) > _PATH:
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
    if type(properties) is not dict or len(properties) > MAX_PROPERTIES:
        return False
    for key, value in properties.items():
        if type(key) is not str or not 0 < len(key) <= MAX_PROPERTY_NAME_LENGTH:
            return False
        if type(value) is not str or len(value) > MAX_PROPERTY_VALUE_LENGTH:
            return False
    return True


def trusted_record(values: dict[str, Any]) -> Record:
    """``Record(...)`` of ``values``: every field of `Record`, in its order.

    Only what users can supply is checked here; the caller guarantees the rest:
    ``start_time`` and ``end_time`` UTC with ``end_time >= start_time``, ``kind`` and
    ``status`` enum members, ``error`` and ``usage`` validated models, ``attempt`` 1.
    ``branch_id`` is checked (None, or a short string inherited from a graph branch).
    """
    # Written out, not looped: this runs for every logged call.
    if not (
        FAST_PATH
        and type(record_id := values["id"]) is str
        and 0 < len(record_id) <= _ID
        and type(session_id := values["session_id"]) is str
        and 0 < len(session_id) <= _ID
        and type(name := values["name"]) is str
        and len(name) <= _NAME
        and ((v := values["session_name"]) is None or (type(v) is str and len(v) <= _NAME))
        and ((v := values["parent_id"]) is None or (type(v) is str and len(v) <= _ID))
        and ((v := values["model"]) is None or (type(v) is str and len(v) <= _NAME))
        and ((v := values["provider"]) is None or (type(v) is str and len(v) <= _ID))
        and ((v := values["user_id"]) is None or (type(v) is str and len(v) <= _NAME))
        and (
            (branch := values["branch_id"]) is None
            or (type(branch) is str and len(branch) <= _NAME)
        )
        and ((v := values["cost_usd"]) is None or (type(v) is float and 0 <= v <= MAX_AMOUNT))
        and (
            (v := values["time_to_first_token_ms"]) is None
            or (type(v) is float and 0 <= v <= MAX_AMOUNT)
        )
        and ((v := values["session_path"]) in _known_paths or _normal_path(v))
        and _plain_properties(values["properties"])
    ):
        return Record(
            **{k: v for k, v in values.items() if k not in _DEFAULTED or v != _DEFAULTED[k]}
        )
    values["properties"] = dict(values["properties"])
    record = Record.__new__(Record)
    object.__setattr__(record, "__dict__", values)
    fields_set = _FIELDS_SET.copy()
    if branch is not None:
        fields_set.add("branch_id")
    object.__setattr__(record, "__pydantic_fields_set__", fields_set)
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record
