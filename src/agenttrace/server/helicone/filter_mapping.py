"""Helicone filter trees (``FilterNode``) turned into agenttrace's filter AST.

A Helicone filter is ``"all"``, a branch ``{"left": node, "operator": "and" | "or",
"right": node}``, or a leaf ``{table: {column: {operator: value}}}``. The leaves
understood are::

    request_response_rmt     model, user_id, request_id, provider (text)
                             cost, latency (number; USD, ms)
                             status (number: 200 ok, 500 error, 499 cancelled/interrupted)
                             request_created_at (ISO-8601 time)
                             properties: {key: text operators}
    sessions_request_response_rmt
                             session_session_id, session_session_name (text)
                             session_total_cost, session_total_requests (number)
                             session_created_at, session_latest_request_created_at (time)
    request                  id, user_id, model (text); created_at (time)   (legacy)
    response                 model, body_model (text); status (number)      (legacy)
    properties               {key: text operators}                         (legacy)

Text operators: ``equals``, ``not-equals``, ``contains``, and ``like`` / ``ilike`` with a
pattern that is either plain (equality) or ``%text%`` (contains; ``like`` is taken as
case-insensitive and ``_`` literally). Number operators: ``equals``, ``not-equals``,
``gt``, ``gte``, ``lt``, ``lte``; time operators the same without ``not-equals``. Several
columns or operators in one leaf must all hold. The properties ``Helicone-Session-Id``,
``-Name`` and ``-Path`` are the session columns. Anything else is refused with a
`HeliconeFilterError` naming the unsupported part, never silently ignored.

Both query endpoints accept every leaf: in a request query the ``session_*`` columns test
the request's session; in a session query a request column holds when one of the
session's requests matches it (the store tests each comparison on its own). A status
code no agenttrace status answers with (``equals: 404``) matches nothing.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from agenttrace.records import Status, normalize_path
from agenttrace.server.store.filters import And, Cmp, Field, Filter, Op, Or, Property, and_

__all__ = [
    "HeliconeFilterError",
    "all_of",
    "filter_from_helicone",
    "filter_node_schema",
    "response_status_code",
]

MAX_DEPTH = 100
_MAX_EXACT_INT = 2**53  # larger whole numbers are compared as floats


class HeliconeFilterError(ValueError):
    """A filter tree agenttrace cannot run; the message names the part and what to use."""


_RESPONSE_STATUS = {
    Status.OK: 200,
    Status.HANDOFF: 200,
    Status.ERROR: 500,
    Status.CANCELLED: 499,
    Status.INTERRUPTED: 499,
}


def response_status_code(status: Status) -> int:
    """The HTTP-like ``response_status`` Helicone rows carry for an agenttrace status."""
    return _RESPONSE_STATUS[status]


_TEXT_OPS = {"equals": Op.EQ, "not-equals": Op.NEQ, "contains": Op.CONTAINS}
_PATTERN_OPS = ("like", "ilike")
_NUMBER_OPS = {
    "equals": Op.EQ,
    "not-equals": Op.NEQ,
    "gt": Op.GT,
    "gte": Op.GTE,
    "lt": Op.LT,
    "lte": Op.LTE,
}
_TIME_OPS = {key: op for key, op in _NUMBER_OPS.items() if key != "not-equals"}


class _Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    TIME = "time"
    STATUS = "status"
    PROPERTIES = "properties"


_Column = tuple[_Kind, Field | None]
_TABLES: dict[str, dict[str, _Column]] = {
    "request_response_rmt": {
        "model": (_Kind.TEXT, Field.MODEL),
        "user_id": (_Kind.TEXT, Field.USER_ID),
        "request_id": (_Kind.TEXT, Field.REQUEST_ID),
        "provider": (_Kind.TEXT, Field.PROVIDER),
        "cost": (_Kind.NUMBER, Field.COST),
        "latency": (_Kind.NUMBER, Field.LATENCY_MS),
        "status": (_Kind.STATUS, None),
        "request_created_at": (_Kind.TIME, Field.CREATED_AT),
        "properties": (_Kind.PROPERTIES, None),
    },
    "sessions_request_response_rmt": {
        "session_session_id": (_Kind.TEXT, Field.SESSION_ID),
        "session_session_name": (_Kind.TEXT, Field.SESSION_NAME),
        "session_total_cost": (_Kind.NUMBER, Field.SESSION_TOTAL_COST),
        "session_total_requests": (_Kind.NUMBER, Field.SESSION_REQUEST_COUNT),
        "session_created_at": (_Kind.TIME, Field.SESSION_CREATED_AT),
        "session_latest_request_created_at": (_Kind.TIME, Field.SESSION_LATEST_AT),
    },
    "request": {
        "id": (_Kind.TEXT, Field.REQUEST_ID),
        "user_id": (_Kind.TEXT, Field.USER_ID),
        "model": (_Kind.TEXT, Field.MODEL),
        "created_at": (_Kind.TIME, Field.CREATED_AT),
    },
    "response": {
        "model": (_Kind.TEXT, Field.MODEL),
        "body_model": (_Kind.TEXT, Field.MODEL),
        "status": (_Kind.STATUS, None),
    },
}
_SESSION_PROPERTIES = {
    "helicone-session-id": Field.SESSION_ID,
    "helicone-session-name": Field.SESSION_NAME,
    "helicone-session-path": Field.SESSION_PATH,
}
_BRANCH_KEYS = frozenset({"left", "operator", "right"})
_NOTHING: Filter = Cmp(Field.STATUS, Op.IN, ())  # an empty "in" matches no request


def all_of(*items: Filter | None) -> Filter | None:
    """``and_`` with nested conjunctions flattened into one."""
    flat: list[Filter] = []
    for item in items:
        if isinstance(item, And):
            flat.extend(item.items)
        elif item is not None:
            flat.append(item)
    return and_(*flat)


def filter_from_helicone(node: object, where: str = "filter") -> Filter | None:
    """The agenttrace filter for a Helicone ``FilterNode``; None when it keeps everything.

    ``where`` names ``node`` in error messages (``filter.left.request_response_rmt``).
    """
    return _Translator().node(node, where, 0)


class _Translator:
    def node(self, node: object, where: str, depth: int) -> Filter | None:
        if depth > MAX_DEPTH:
            msg = f"{where} is nested more than {MAX_DEPTH} levels deep; flatten the filter"
            raise HeliconeFilterError(msg)
        if node == "all":
            return None
        if not isinstance(node, Mapping):
            msg = (
                f'{where} must be "all", a branch {{left, operator, right}} or a leaf '
                f"{{table: {{column: {{operator: value}}}}}}; got {node!r}"
            )
            raise HeliconeFilterError(msg)
        if _BRANCH_KEYS & node.keys():
            return self.branch(node, where, depth)
        return all_of(*(self.table(name, value, f"{where}.{name}") for name, value in node.items()))

    def branch(self, node: Mapping[str, Any], where: str, depth: int) -> Filter | None:
        missing = sorted(_BRANCH_KEYS - node.keys())
        extra = sorted(str(key) for key in node.keys() - _BRANCH_KEYS)
        if missing or extra:
            problem = f"lacks {', '.join(missing)}" if missing else f"also has {', '.join(extra)}"
            msg = (
                f"{where} is a branch that {problem}; a branch is exactly {{left, operator, right}}"
            )
            raise HeliconeFilterError(msg)
        operator = node["operator"]
        if operator not in ("and", "or"):  # a tuple: the value may be unhashable
            msg = f'{where}.operator must be "and" or "or"; got {operator!r}'
            raise HeliconeFilterError(msg)
        left = self.node(node["left"], f"{where}.left", depth + 1)
        right = self.node(node["right"], f"{where}.right", depth + 1)
        if operator == "and":
            return all_of(left, right)
        if left is None or right is None:  # "everything" or anything is everything
            return None
        return Or((left, right))

    def table(self, name: str, value: object, where: str) -> Filter | None:
        if name == "properties":
            return self.properties(value, where)
        columns = _TABLES.get(name)
        if columns is None:
            known = _known(_TABLES, "properties")
            msg = f"{where}: the table {name!r} is not supported; use one of {known}"
            raise HeliconeFilterError(msg)
        if not isinstance(value, Mapping):
            msg = f"{where} must be an object of columns to operators; got {value!r}"
            raise HeliconeFilterError(msg)
        return all_of(
            *(self.column(columns, key, ops, f"{where}.{key}") for key, ops in value.items())
        )

    def column(
        self, columns: Mapping[str, _Column], name: str, ops: object, where: str
    ) -> Filter | None:
        if name not in columns:
            msg = (
                f"{where}: the column {name!r} is not supported here; use one of {_known(columns)}"
            )
            raise HeliconeFilterError(msg)
        kind, field = columns[name]
        if kind is _Kind.PROPERTIES:
            return self.properties(ops, where)
        operators = _operators(ops, where)
        if kind is _Kind.STATUS:
            return all_of(*(_status(op, value, f"{where}.{op}") for op, value in operators.items()))
        assert field is not None
        build = {_Kind.TEXT: _text, _Kind.NUMBER: _number, _Kind.TIME: _time}[kind]
        return all_of(
            *(build(field, op, value, f"{where}.{op}") for op, value in operators.items())
        )

    def properties(self, value: object, where: str) -> Filter | None:
        if not isinstance(value, Mapping):
            msg = f"{where} must be an object of property names to text operators; got {value!r}"
            raise HeliconeFilterError(msg)
        filters: list[Filter | None] = []
        for key, ops in value.items():
            here = f"{where}[{key!r}]"
            if not isinstance(key, str) or not key:
                msg = f"{here}: property names must be non-empty strings"
                raise HeliconeFilterError(msg)
            field: Field | Property = _SESSION_PROPERTIES.get(key.lower(), Property(key))
            for op, operand in _operators(ops, here).items():
                filters.append(_text(field, op, operand, f"{here}.{op}"))
        return all_of(*filters)


def _known(options: Mapping[str, object], *more: str) -> str:
    return ", ".join(sorted([*options, *more]))


def _operators(ops: object, where: str) -> Mapping[str, Any]:
    if not isinstance(ops, Mapping) or not ops:
        msg = (
            f"{where} must be an object of operators to values, "
            f'such as {{"equals": ...}}; got {ops!r}'
        )
        raise HeliconeFilterError(msg)
    return ops


def _unsupported(
    op: str, options: Mapping[str, Op] | tuple[str, ...], where: str
) -> HeliconeFilterError:
    known = ", ".join(sorted(options))
    return HeliconeFilterError(
        f"{where}: the operator {op!r} is not supported here; use one of {known}"
    )


def _text(field: Field | Property, op: str, value: object, where: str) -> Filter:
    if not isinstance(value, str):
        msg = f"{where} must be a string; got {value!r}"
        raise HeliconeFilterError(msg)
    if op in _PATTERN_OPS:
        return _pattern(field, value, where)
    if op not in _TEXT_OPS:
        raise _unsupported(op, (*_TEXT_OPS, *_PATTERN_OPS), where)
    cmp_op = _TEXT_OPS[op]
    if cmp_op is not Op.CONTAINS:
        if field is Field.SESSION_PATH:
            value = _path(value, where)
        elif field is Field.PROVIDER:  # Helicone writes OPENAI, agenttrace stores openai
            value = value.lower()
    return Cmp(field, cmp_op, value)


def _path(value: str, where: str) -> str:
    try:
        return normalize_path(value)
    except ValueError as exc:  # too many segments
        raise HeliconeFilterError(f"{where}: {exc}") from None


def _pattern(field: Field | Property, pattern: str, where: str) -> Filter:
    inner = pattern[1:-1] if len(pattern) >= 2 and pattern[0] == pattern[-1] == "%" else None
    if inner is not None and inner and "%" not in inner:
        return Cmp(field, Op.CONTAINS, inner)
    if "%" not in pattern:
        return Cmp(field, Op.EQ, _path(pattern, where) if field is Field.SESSION_PATH else pattern)
    msg = (
        f"{where}: the pattern {pattern!r} is not supported; use a plain value (equality) "
        "or %text% (contains)"
    )
    raise HeliconeFilterError(msg)


def _numeric(value: object, where: str) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):
            number = float(value)
    if not math.isfinite(number):
        msg = f"{where} must be a number; got {value!r}"
        raise HeliconeFilterError(msg)
    return number


def _number(field: Field | Property, op: str, value: object, where: str) -> Filter:
    if op not in _NUMBER_OPS:
        raise _unsupported(op, _NUMBER_OPS, where)
    number = _numeric(value, where)
    exact = number.is_integer() and abs(number) <= _MAX_EXACT_INT
    return Cmp(field, _NUMBER_OPS[op], int(number) if exact else number)


def _time(field: Field | Property, op: str, value: object, where: str) -> Filter:
    if op not in _TIME_OPS:
        raise _unsupported(op, _TIME_OPS, where)
    if not isinstance(value, str):
        msg = f"{where} must be an ISO-8601 time such as 2024-05-01T12:00:00Z; got {value!r}"
        raise HeliconeFilterError(msg)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        msg = f"{where} must be an ISO-8601 time such as 2024-05-01T12:00:00Z; got {value!r}"
        raise HeliconeFilterError(msg) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Cmp(field, _TIME_OPS[op], moment)


_COMPARE: dict[Op, Callable[[float, float], bool]] = {
    Op.EQ: lambda a, b: a == b,
    Op.NEQ: lambda a, b: a != b,
    Op.GT: lambda a, b: a > b,
    Op.GTE: lambda a, b: a >= b,
    Op.LT: lambda a, b: a < b,
    Op.LTE: lambda a, b: a <= b,
}


def _status(op: str, value: object, where: str) -> Filter | None:
    """A response-status comparison, as the set of agenttrace statuses whose code passes."""
    if op not in _NUMBER_OPS:
        raise _unsupported(op, _NUMBER_OPS, where)
    code = _numeric(value, where)
    compare = _COMPARE[_NUMBER_OPS[op]]
    kept = tuple(sorted(str(s) for s, c in _RESPONSE_STATUS.items() if compare(c, code)))
    if len(kept) == len(_RESPONSE_STATUS):
        return None
    if not kept:
        return _NOTHING
    if len(kept) == 1:
        return Cmp(Field.STATUS, Op.EQ, kept[0])
    return Cmp(Field.STATUS, Op.IN, kept)


# --- the grammar as JSON Schema (for the OpenAPI document) -----------------------------

_LIKE_PATTERN = r"^(%[^%]+%|[^%]*)$"  # plain (equality) or %text% (contains), as `_pattern`


def _operators_schema(values: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": dict(values),
    }


def _column_schema(kind: _Kind, properties: dict[str, Any]) -> dict[str, Any]:
    if kind is _Kind.PROPERTIES:
        return properties
    values: dict[str, dict[str, Any]] = {}
    if kind is _Kind.TEXT:
        for op in _TEXT_OPS:
            values[op] = {"type": "string"}
        for op in _PATTERN_OPS:
            values[op] = {"type": "string", "pattern": _LIKE_PATTERN}
    elif kind is _Kind.TIME:
        for op in _TIME_OPS:
            values[op] = {"type": "string", "format": "date-time"}
    else:
        for op in _NUMBER_OPS:
            values[op] = {"type": "number"}
    return _operators_schema(values)


def filter_node_schema(reference: str) -> dict[str, Any]:
    """The JSON Schema of a ``FilterNode`` this module translates; ``reference`` is the
    ``$ref`` of this schema itself (branches hold nodes)."""
    properties: dict[str, Any] = {
        "type": "object",
        "propertyNames": {"minLength": 1},
        "additionalProperties": _column_schema(_Kind.TEXT, {}),
    }
    tables: dict[str, dict[str, Any]] = {
        name: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                column: _column_schema(kind, properties) for column, (kind, _) in columns.items()
            },
        }
        for name, columns in _TABLES.items()
    }
    tables["properties"] = properties
    return {
        "description": (
            'A Helicone FilterNode: "all", a branch {left, operator, right} or a leaf '
            "{table: {column: {operator: value}}}"
        ),
        "anyOf": [
            {"type": "string", "enum": ["all"]},
            {
                "type": "object",
                "required": sorted(_BRANCH_KEYS),
                "additionalProperties": False,
                "properties": {
                    "left": {"$ref": reference},
                    "operator": {"enum": ["and", "or"]},
                    "right": {"$ref": reference},
                },
            },
            {"type": "object", "additionalProperties": False, "properties": tables},
        ],
    }
