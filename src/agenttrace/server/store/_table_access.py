"""`TableAccess`: the connections and row helper of a store's side tables (API keys,
scores, alerts), which live in the collector's database beside the records."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from agenttrace.server.store.dialect import DbConnection, Dialect

__all__ = ["TableAccess"]


class TableAccess:
    """Write and read transactions of a SQL store, and its dialect."""

    def __init__(
        self,
        write: Callable[[], AbstractContextManager[DbConnection]],
        read: Callable[[], AbstractContextManager[DbConnection]],
        dialect: Dialect,
    ) -> None:
        self._write = write
        self._read = read
        self._dialect = dialect

    def _rows(self, conn: DbConnection, sql: str, params: list[object]) -> list[tuple[object, ...]]:
        return list(conn.execute(self._dialect.sql(sql), params).fetchall())
