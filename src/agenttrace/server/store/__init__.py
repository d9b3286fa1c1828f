"""The collector's storage: one `Store` interface, SQLite and PostgreSQL behind it.

`open_store` picks the backend from a database URL:

* ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or a file path (one
  with a ``/`` or a ``.db`` suffix: a bare word is refused, not taken for a new file);
* ``postgresql://user:password@host:5432/database`` (also ``postgres://``): a
  `agenttrace.server.store.postgres.PostgresStore`.
"""

from __future__ import annotations

from pathlib import Path

from agenttrace.server.store import _database_url
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
    path_filter,
    request_filter,
    session_filter,
)
from agenttrace.server.store.query_rows import (
    PathList,
    PathRow,
    PropertyKey,
    PropertyList,
    PropertyValue,
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
    "PropertyKey",
    "PropertyList",
    "PropertyValue",
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
    "path_filter",
    "request_filter",
    "session_filter",
]

DEFAULT_DATABASE_FILE = "agenttrace.db"


def database_url_for(data_dir: Path) -> str:
    """The default database URL: ``agenttrace.db`` in ``data_dir``."""
    return _database_url.SQLITE_PREFIX + str((data_dir / DEFAULT_DATABASE_FILE).resolve())


def open_store(database_url: str) -> Store:
    """Open (creating and migrating when needed) the store ``database_url`` names
    (`agenttrace.server.store._database_url`: a SQLite URL or file path, or a PostgreSQL
    URL; `ConfigurationError` naming both for anything else)."""
    path = _database_url.sqlite_file(database_url)
    if path is not None:
        return SQLiteStore(path)
    from agenttrace.server.store.postgres import PostgresStore  # psycopg only when asked

    return PostgresStore(database_url.strip())
