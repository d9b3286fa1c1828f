"""The collector's storage: one `Store` interface, SQLite and PostgreSQL behind it.

`open_store` picks the backend from a database URL:

* ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or a plain file path;
* ``postgresql://user:password@host:5432/database`` (also ``postgres://``): a
  `agenttrace.server.store.postgres.PostgresStore`.
"""

from __future__ import annotations

from pathlib import Path

from agenttrace.exceptions import ConfigurationError
from agenttrace.server.store.base import (
    DEFAULT_PROJECT,
    MAX_PAGE_SIZE,
    IngestCounts,
    InvalidQueryError,
    PathQuery,
    PruneCounts,
    RequestQuery,
    SessionQuery,
    SessionSort,
    Store,
    StoreUnavailableError,
    request_filter,
    session_filter,
)
from agenttrace.server.store.rows import (
    PathList,
    PathRow,
    RequestPage,
    RequestRow,
    SessionDetail,
    SessionPage,
    SessionRow,
    TreeNode,
)
from agenttrace.server.store.sql import SqlStore
from agenttrace.server.store.sqlite import SQLiteStore

__all__ = [
    "DEFAULT_DATABASE_FILE",
    "DEFAULT_PROJECT",
    "MAX_PAGE_SIZE",
    "IngestCounts",
    "InvalidQueryError",
    "PathList",
    "PathQuery",
    "PathRow",
    "PruneCounts",
    "RequestPage",
    "RequestQuery",
    "RequestRow",
    "SQLiteStore",
    "SessionDetail",
    "SessionPage",
    "SessionQuery",
    "SessionRow",
    "SessionSort",
    "SqlStore",
    "Store",
    "StoreUnavailableError",
    "TreeNode",
    "database_url_for",
    "open_store",
    "request_filter",
    "session_filter",
]

DEFAULT_DATABASE_FILE = "agenttrace.db"
_SQLITE_PREFIX = "sqlite:///"


def database_url_for(data_dir: Path) -> str:
    """The default database URL: ``agenttrace.db`` in ``data_dir``."""
    return _SQLITE_PREFIX + str((data_dir / DEFAULT_DATABASE_FILE).resolve())


def open_store(database_url: str) -> Store:
    """Open (creating and migrating when needed) the store ``database_url`` names."""
    url = database_url.strip()
    if url.startswith(_SQLITE_PREFIX):
        path = url[len(_SQLITE_PREFIX) :]
        if not path:
            msg = f"{database_url!r} names no file; use sqlite:///path/to/agenttrace.db"
            raise ConfigurationError(msg)
        return SQLiteStore(path)
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from agenttrace.server.store.postgres import PostgresStore  # psycopg only when asked

        return PostgresStore(url)
    if "://" in url or not url:
        msg = (
            f"unsupported database URL {database_url!r}; use sqlite:///path/to/agenttrace.db "
            "or a file path"
        )
        raise ConfigurationError(msg)
    return SQLiteStore(url)
