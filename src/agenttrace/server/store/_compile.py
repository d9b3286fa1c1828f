"""Filter AST (`agenttrace.server.store.filters`) to SQL, shared by every SQL backend.

Two scopes:

* request scope (alias ``r`` over ``records``): every field is a column of the record;
  ``session_*`` aggregates test the record's session; a property tests the record's own.
* session scope (alias ``s`` over ``sessions``): ``session_*`` aggregates test the
  session's totals, ``session_id`` / ``session_name`` its id and name; every other
  comparison holds when at least one of the session's requests satisfies it, each
  comparison on its own (``property=env=prod AND property=team=a`` keeps a session with
  one request of each). Properties and user ids go through the indexed
  ``session_properties`` and ``session_users`` tables; a bound on the requests' start
  time (``created_at`` gt/gte/lt/lte) is a bound on the session's latest or first start,
  which is the same thing and needs no look at the records.

A missing value (NULL, an absent property) never matches, not even ``neq``.

A filter has at most `MAX_FILTER_CONDITIONS` comparisons nested at most `MAX_FILTER_DEPTH`
levels deep (SQLite refuses expressions deeper than 1000, and a query that large is a
mistake or an attack).
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Literal

from agenttrace.core.text_repair import repair_id, repair_text
from agenttrace.server.store.base import InvalidQueryError
from agenttrace.server.store.dialect import Dialect, to_us
from agenttrace.server.store.filters import And, Cmp, Field, Filter, Op, Or, Property, Score
from agenttrace.server.store.query_rows import SESSION_STATUS

__all__ = [
    "MAX_FILTER_CONDITIONS",
    "MAX_FILTER_DEPTH",
    "SCORE_AVERAGE",
    "Compiled",
    "check_filter_size",
    "compile_filter",
]

MAX_FILTER_CONDITIONS = 100
MAX_FILTER_DEPTH = 16

Scope = Literal["request", "session"]
Kind = Literal["text", "number", "time"]
Compiled = tuple[str, list[Any]]

_REQUEST_FIELDS: dict[Field, tuple[str, Kind]] = {
    Field.REQUEST_ID: ("r.id", "text"),
    Field.SESSION_ID: ("r.session_id", "text"),
    Field.SESSION_NAME: ("r.session_name", "text"),
    Field.SESSION_PATH: ("r.path", "text"),
    Field.USER_ID: ("r.user_id", "text"),
    Field.MODEL: ("r.model", "text"),
    Field.PROVIDER: ("r.provider", "text"),
    Field.KIND: ("r.kind", "text"),
    Field.NAME: ("r.name", "text"),
    Field.STATUS: ("r.status", "text"),
    Field.COST: ("r.cost_usd", "number"),
    Field.LATENCY_MS: ("(r.end_us - r.start_us) / 1000.0", "number"),
    Field.CREATED_AT: ("r.start_us", "time"),
}

_SESSION_FIELDS: dict[Field, tuple[str, Kind]] = {
    Field.SESSION_ID: ("s.session_id", "text"),
    Field.SESSION_NAME: ("s.name", "text"),
    Field.SESSION_TOTAL_COST: ("s.cost_usd", "number"),
    Field.SESSION_STATUS: (SESSION_STATUS, "text"),
    Field.SESSION_CREATED_AT: ("s.first_start_us", "time"),
    Field.SESSION_LATEST_AT: ("s.latest_start_us", "time"),
    Field.SESSION_REQUEST_COUNT: ("s.request_count", "number"),
}

# In session scope, "some request started after t" is "the latest start is after t", and
# "some request started before t" is "the first start is before t". Written so that the
# first-start index (which the session list scans anyway) answers them for most sessions:
# the latest start is never before the first, so a first start after t settles the
# first kind without reading the session's row; ``+ 0`` keeps the planner from driving
# the query by such a bound (a time window's ends seldom exclude much), which made it
# several times slower than the same list without the window.
_SESSION_START_BOUNDS: dict[Op, tuple[str, ...]] = {
    Op.GT: ("(s.first_start_us + 0)", "s.latest_start_us"),
    Op.GTE: ("(s.first_start_us + 0)", "s.latest_start_us"),
    Op.LT: ("(s.first_start_us + 0)",),
    Op.LTE: ("(s.first_start_us + 0)",),
}

_OPERATORS = {
    Op.EQ: "=",
    Op.NEQ: "<>",
    Op.GT: ">",
    Op.GTE: ">=",
    Op.LT: "<",
    Op.LTE: "<=",
}


SCORE_AVERAGE = (
    "(SELECT avg(sc.value_num) FROM scores sc WHERE sc.project_id = s.project_id "
    "AND sc.session_id = s.session_id AND sc.name = ?)"
)
"""A session's average of the score named by its one parameter (NULL without one)."""

_ID_FIELDS = frozenset({Field.REQUEST_ID, Field.SESSION_ID})


def _score_cmp(cmp: Cmp, name: str, scope: Scope, dialect: Dialect, project_id: str) -> Compiled:
    """A score filter: the average of the numeric (or boolean) score ``name`` compared, or
    for a text value, a categorical score of that value held."""
    key, extra = ("session_id", "") if scope == "session" else ("target_id", " AND target = ?")
    column = "s.session_id" if scope == "session" else "r.id"
    fixed: list[Any] = [project_id, repair_text(name)] + ([] if scope == "session" else ["request"])
    texts = isinstance(cmp.value, str) or (
        isinstance(cmp.value, tuple) and all(isinstance(v, str) for v in cmp.value)
    )
    if texts and cmp.op in {Op.EQ, Op.NEQ, Op.IN, Op.CONTAINS}:
        sql, params = _comparison("sc.value_text", "text", cmp, dialect)
        return (
            f"{column} IN (SELECT sc.{key} FROM scores sc WHERE sc.project_id = ? "
            f"AND sc.name = ?{extra} AND {sql})",
            [*fixed, *params],
        )
    sql, params = _comparison("avg(sc.value_num)", "number", cmp, dialect)
    return (
        f"{column} IN (SELECT sc.{key} FROM scores sc WHERE sc.project_id = ? "
        f"AND sc.name = ?{extra} AND sc.value_num IS NOT NULL GROUP BY sc.{key} HAVING {sql})",
        [*fixed, *params],
    )


def _stored_text(field: Field | Property | Score, value: str) -> str:
    """``value`` as the stores hold it (NUL and lone surrogates repaired as at ingest,
    `agenttrace.core.text_repair`), so that a filter finds what was stored for it."""
    return repair_id(value) if field in _ID_FIELDS else repair_text(value)


def _field_name(field: Field | Property | Score) -> str:
    if isinstance(field, Score):
        return f"score {field.name!r}"
    return f"property {field.key!r}" if isinstance(field, Property) else str(field)


def _coerce(field: Field | Property | Score, kind: Kind, value: object) -> Any:
    name = _field_name(field)
    if kind == "time":
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            return to_us(value)
        msg = f"a filter on {name} needs a datetime (ISO-8601); got {value!r}"
        raise InvalidQueryError(msg)
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        msg = f"a filter on {name} needs a number; got {value!r}"
        raise InvalidQueryError(msg)
    if isinstance(value, str):
        return _stored_text(field, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    msg = f"a filter on {name} needs a string; got {value!r}"
    raise InvalidQueryError(msg)


def _comparison(expression: str, kind: Kind, cmp: Cmp, dialect: Dialect) -> Compiled:
    """``expression <op> ?`` with the value checked and converted."""
    if cmp.op is Op.IN:
        if not isinstance(cmp.value, tuple):
            msg = f"an 'in' filter on {_field_name(cmp.field)} needs a list of values"
            raise InvalidQueryError(msg)
        if not cmp.value:
            return "1 = 0", []
        values = [_coerce(cmp.field, kind, item) for item in cmp.value]
        return f"{expression} IN ({', '.join('?' * len(values))})", values
    if isinstance(cmp.value, tuple):
        msg = f"only an 'in' filter takes a list; {_field_name(cmp.field)} {cmp.op} got one"
        raise InvalidQueryError(msg)
    if cmp.op is Op.CONTAINS:
        if kind != "text":
            msg = f"'contains' works on text fields only, not on {_field_name(cmp.field)}"
            raise InvalidQueryError(msg)
        return dialect.contains(expression), [dialect.contains_pattern(repair_text(str(cmp.value)))]
    return f"{expression} {_OPERATORS[cmp.op]} ?", [_coerce(cmp.field, kind, cmp.value)]


def _request_cmp(cmp: Cmp, dialect: Dialect, project_id: str) -> Compiled:
    field = cmp.field
    if isinstance(field, Score):
        return _score_cmp(cmp, field.name, "request", dialect, project_id)
    if isinstance(field, Property):
        sql, params = _comparison("rp.value", "text", cmp, dialect)
        return (
            "r.id IN (SELECT rp.record_id FROM record_properties rp "
            f"WHERE rp.project_id = ? AND rp.key = ? AND {sql})",
            [project_id, repair_text(field.key), *params],
        )
    if field in _REQUEST_FIELDS:
        expression, kind = _REQUEST_FIELDS[field]
        return _comparison(expression, kind, cmp, dialect)
    expression, kind = _SESSION_FIELDS[field]
    sql, params = _comparison(expression, kind, cmp, dialect)
    return (
        f"r.session_id IN (SELECT s.session_id FROM sessions s WHERE s.project_id = ? AND {sql})",
        [project_id, *params],
    )


def _session_cmp(cmp: Cmp, dialect: Dialect, project_id: str) -> Compiled:
    field = cmp.field
    if isinstance(field, Score):
        return _score_cmp(cmp, field.name, "session", dialect, project_id)
    if isinstance(field, Property):
        sql, params = _comparison("sp.value", "text", cmp, dialect)
        return (
            "s.session_id IN (SELECT sp.session_id FROM session_properties sp "
            f"WHERE sp.project_id = ? AND sp.key = ? AND {sql})",
            [project_id, repair_text(field.key), *params],
        )
    if field in _SESSION_FIELDS:
        expression, kind = _SESSION_FIELDS[field]
        return _comparison(expression, kind, cmp, dialect)
    if field is Field.CREATED_AT and cmp.op in _SESSION_START_BOUNDS:
        parts = [_comparison(side, "time", cmp, dialect) for side in _SESSION_START_BOUNDS[cmp.op]]
        sql = " OR ".join(f"({part})" for part, _ in parts)
        return sql, [value for _, values in parts for value in values]
    if field is Field.USER_ID:
        sql, params = _comparison("u.user_id", "text", cmp, dialect)
        return (
            "s.session_id IN (SELECT u.session_id FROM session_users u "
            f"WHERE u.project_id = ? AND {sql})",
            [project_id, *params],
        )
    sql, params = _request_cmp(cmp, dialect, project_id)
    return (
        f"s.session_id IN (SELECT r.session_id FROM records r WHERE r.project_id = ? AND {sql})",
        [project_id, *params],
    )


def _flat_items(node: And | Or) -> list[Filter]:
    """The items of ``node`` with nested nodes of the same kind spliced in (``a OR (b OR
    c)`` is ``a OR b OR c``), found without recursion."""
    kind = type(node)
    items: list[Filter] = []
    pending: list[Filter] = list(reversed(node.items))
    while pending:
        item = pending.pop()
        if type(item) is kind:
            pending.extend(reversed(item.items))
        else:
            items.append(item)
    return items


def check_filter_size(node: Filter | None) -> None:
    """Raise `InvalidQueryError` for a filter over `MAX_FILTER_CONDITIONS` comparisons or
    nesting and/or alternately more than `MAX_FILTER_DEPTH` levels (a chain of one
    operator is one level). Checked without recursion."""
    conditions = 0
    stack: list[tuple[Filter, int]] = [(node, 1)] if node is not None else []
    while stack:
        item, depth = stack.pop()
        if isinstance(item, And | Or):
            if depth > MAX_FILTER_DEPTH:
                msg = (
                    f"the filter nests and/or more than {MAX_FILTER_DEPTH} levels deep; flatten it"
                )
                raise InvalidQueryError(msg)
            stack.extend((child, depth + 1) for child in _flat_items(item))
            continue
        conditions += 1
        if conditions > MAX_FILTER_CONDITIONS:
            msg = (
                f"the filter has more than {MAX_FILTER_CONDITIONS} conditions; split the "
                "query or use fewer conditions"
            )
            raise InvalidQueryError(msg)


def compile_filter(
    node: Filter | None, scope: Scope, dialect: Dialect, project_id: str
) -> Compiled:
    """A SQL condition (``?`` placeholders) and its parameters; ``1 = 1`` for None.

    Sub-selects are uncorrelated (``x IN (SELECT ... WHERE project_id = ?)``) so that the
    planner can drive the query from the indexed side when that side is selective. Chains
    of one operator are written flat, so that the SQL nests no deeper than the filter's
    and/or alternations (SQLite's parser allows few levels). Raises `InvalidQueryError`
    for a filter over the size limits (`check_filter_size`).
    """
    check_filter_size(node)
    return _compile(node, scope, dialect, project_id)


def _compile(node: Filter | None, scope: Scope, dialect: Dialect, project_id: str) -> Compiled:
    if node is None:
        return "1 = 1", []
    if isinstance(node, Cmp):
        if scope == "session":
            return _session_cmp(node, dialect, project_id)
        return _request_cmp(node, dialect, project_id)
    if isinstance(node, And | Or):
        items = _flat_items(node)
        if not items:
            return ("1 = 1", []) if isinstance(node, And) else ("1 = 0", [])
        joiner = " AND " if isinstance(node, And) else " OR "
        parts: list[str] = []
        params: list[Any] = []
        for item in items:
            sql, item_params = _compile(item, scope, dialect, project_id)
            parts.append(f"({sql})")
            params.extend(item_params)
        return joiner.join(parts), params
    msg = f"not a filter node: {node!r}"
    raise InvalidQueryError(msg)
