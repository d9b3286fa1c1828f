"""A test database migrated only up to an older schema version, to test an upgrade."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from agenttrace.server.store.dialect import DbConnection, Dialect
from agenttrace.server.store.migrations import MIGRATIONS, apply_migrations
from agenttrace.server.store.postgres_dialect import PostgresDialect

__all__ = ["database_at_version"]


@contextmanager
def database_at_version(database_url: str, version: int) -> Iterator[tuple[DbConnection, Dialect]]:
    """A plain connection to the (empty) test database, migrated up to ``version`` only;
    committed when the block ends."""
    migrations = MIGRATIONS[:version]
    assert migrations[-1].version == version
    if database_url.startswith("sqlite:///"):
        lite = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            apply_migrations(lite, Dialect(), 0, migrations)
            yield lite, Dialect()
            lite.commit()
        finally:
            lite.close()
        return
    with psycopg.connect(database_url) as pg:  # commits when the block ends without error
        cursor = pg.cursor()
        apply_migrations(cursor, PostgresDialect(), 0, migrations)
        yield cursor, PostgresDialect()
