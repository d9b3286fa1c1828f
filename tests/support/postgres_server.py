"""Throw-away PostgreSQL schemas for tests, so that tests are isolated and run in parallel.

>>> with temporary_schema(require_server()) as url:   # doctest: +SKIP
...     store = PostgresStore(url)                     # tables land in the fresh schema

`find_server` looks for the test server: ``AGENTTRACE_TEST_POSTGRES_URL`` when set, else
users ``postgres`` then ``root`` on 127.0.0.1:5432, database ``test`` (trust
authentication). `require_server` skips the calling test when there is none, or fails it
when ``CI`` is true (CI must not silently skip the PostgreSQL tests).
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from agenttrace.exceptions import ConfigurationError
from agenttrace.server.store.postgres import postgres_conninfo

__all__ = [
    "DEFAULT_SERVERS",
    "ENABLE_HINT",
    "find_server",
    "require_server",
    "temporary_schema",
    "with_search_path",
]

ENV_VARIABLE = "AGENTTRACE_TEST_POSTGRES_URL"
DEFAULT_SERVERS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)
ENABLE_HINT = (
    "run PostgreSQL on 127.0.0.1:5432 with a database named test that user postgres or root "
    f"can reach without a password, or set {ENV_VARIABLE}=postgresql://user:password@host:port"
    "/database"
)


@functools.cache
def find_server() -> tuple[str | None, str]:
    """A reachable server URL (None if none) and, when none, what was tried and why not."""
    configured = os.environ.get(ENV_VARIABLE, "").strip()
    candidates = (configured,) if configured else DEFAULT_SERVERS
    failures = []
    for url in candidates:
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            text = str(exc).strip()
            reason = text.splitlines()[0].rpartition(" failed: ")[2] if text else "no answer"
            failures.append(f"{_display(url)}: {reason}")
            continue
        return url, ""
    return None, "; ".join(failures)


def _display(url: str) -> str:
    """``url`` without its password (it ends up in test reports)."""
    try:
        return postgres_conninfo(url)[1]
    except ConfigurationError:
        return "an invalid URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_server() -> str:
    """The test server's URL; without one, skip the test (fail it when ``CI`` is true)."""
    import pytest

    url, why = find_server()
    if url is None:
        message = f"no PostgreSQL for the tests ({why}); to run them, {ENABLE_HINT}"
        if _in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return url


def with_search_path(url: str, schema: str) -> str:
    """``url`` with ``options=-csearch_path=<schema>`` (added to any options it has)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    option = f"-csearch_path={schema}"
    query["options"] = f"{query['options']} {option}" if query.get("options") else option
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


@contextmanager
def temporary_schema(server_url: str, prefix: str = "agenttrace_test") -> Iterator[str]:
    """Create an empty schema, yield a URL whose ``search_path`` is it, drop it on exit.

    Close every connection to it (stores, pools) before the block ends.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield with_search_path(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
