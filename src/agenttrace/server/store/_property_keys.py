"""The custom property keys of a project and their most common values
(``GET /v1/properties``; the CLI names them when a ``--property`` matches nothing).

Both queries read ``session_properties`` through its ``(project_id, key, value,
session_id)`` index, and both answers are bounded: ``limit`` keys, ``values`` values each.
"""

from __future__ import annotations

from typing import Any

from agenttrace.server.store.dialect import DbConnection, Dialect
from agenttrace.server.store.query_rows import PropertyKey, PropertyValue

__all__ = ["property_keys"]

_KEYS = (
    "SELECT key, count(DISTINCT session_id), count(DISTINCT value) FROM session_properties "
    "WHERE project_id = ? GROUP BY key ORDER BY 2 DESC, key LIMIT ?"
)
_TOP_VALUES = (
    "SELECT key, value, sessions FROM ("
    "SELECT key, value, count(*) AS sessions, "
    "row_number() OVER (PARTITION BY key ORDER BY count(*) DESC, value) AS place "
    "FROM session_properties WHERE project_id = ? AND key IN ({marks}) GROUP BY key, value"
    ") ranked WHERE place <= ? ORDER BY key, place"
)


def _rows(conn: DbConnection, dialect: Dialect, sql: str, params: list[Any]) -> list[Any]:
    return conn.execute(dialect.sql(sql), params).fetchall()


def property_keys(
    conn: DbConnection, dialect: Dialect, project_id: str, *, limit: int, values: int
) -> list[PropertyKey]:
    """Up to ``limit`` keys, the most used first (ties by key), each with up to ``values``
    of its values, the most used first (ties by value)."""
    keys = _rows(conn, dialect, _KEYS, [project_id, limit])
    top: dict[str, list[PropertyValue]] = {}
    if keys and values > 0:
        names = [str(row[0]) for row in keys]
        sql = _TOP_VALUES.format(marks=", ".join("?" * len(names)))
        for key, value, sessions in _rows(conn, dialect, sql, [project_id, *names, values]):
            top.setdefault(key, []).append(PropertyValue(value=value, session_count=sessions))
    return [
        PropertyKey(key=key, session_count=sessions, value_count=distinct, values=top.get(key, []))
        for key, sessions, distinct in keys
    ]
