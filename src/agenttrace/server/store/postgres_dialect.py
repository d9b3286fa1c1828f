"""PostgreSQL's flavour of the shared store SQL (`agenttrace.server.store.dialect`).

What differs from SQLite:

* placeholders: the shared ``?`` become psycopg's ``%s`` (and a literal ``%`` is doubled);
* column types: ``BIGINT``, ``DOUBLE PRECISION`` and ``TEXT COLLATE "C"``. The "C"
  collation compares and sorts text by code point, exactly like SQLite's default
  ``BINARY`` collation, whatever the database's locale; its ``lower()`` folds ASCII only,
  as SQLite's does, so case-insensitive search matches the same rows on both stores;
* percentiles can be computed in the database with ``percentile_cont``, which is the
  definition the shared `agenttrace.server.store.dialect.percentile` reproduces bit for bit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from agenttrace.server.store.dialect import DbConnection, Dialect

__all__ = [
    "LATENCY_MS",
    "MIGRATION_LOCK_KEY",
    "POSTGRESQL",
    "PostgresDialect",
    "PostgresQuery",
    "to_psycopg",
]

MIGRATION_LOCK_KEY = 0x61677472
"""First key of the migration advisory lock ("agtr"); the second is the schema's hash."""

TRACE_LOCK_KEY = 0x6F746C70
"""First key of the per-trace advisory locks ("otlp"); the second is the trace's hash."""

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[?%]")


class PostgresQuery(str):
    """SQL already converted to psycopg's placeholder style (always run with parameters,
    even none, so that its doubled ``%%`` are read back as ``%``)."""

    __slots__ = ()


def _convert(match: re.Match[str]) -> str:
    found = match.group(0)
    if found == "?":
        return "%s"
    if found == "%":
        return "%%"
    return found.replace("%", "%%")  # a quoted literal or identifier: keep its ``?``


def _convert_text(text: str) -> PostgresQuery:
    if "'" not in text and '"' not in text:  # nothing quoted: plain replacements (fast)
        return PostgresQuery(text.replace("%", "%%").replace("?", "%s"))
    return PostgresQuery(_TOKENS.sub(_convert, text))


_short = lru_cache(maxsize=1024)(_convert_text)
_long = lru_cache(maxsize=16)(_convert_text)  # many-row INSERTs: a few sizes, 100 kB each
_SHORT = 8192


def to_psycopg(text: str) -> PostgresQuery:
    """``text`` with ``?`` placeholders (outside quotes) as ``%s`` and every ``%`` doubled.

    >>> to_psycopg("SELECT '?%' WHERE a = ? AND b LIKE ?")
    "SELECT '?%%' WHERE a = %s AND b LIKE %s"
    """
    return _short(text) if len(text) <= _SHORT else _long(text)


class PostgresDialect(Dialect):
    """The hooks where PostgreSQL differs from SQLite."""

    name = "postgresql"
    column_types: dict[str, str] = {  # noqa: RUF012 - read-only table
        "bigint": "BIGINT",
        "real": "DOUBLE PRECISION",
        "text": 'TEXT COLLATE "C"',
    }

    table_options: dict[str, str] = {"clustered": ""}  # noqa: RUF012 - read-only table

    explain_prefix = "EXPLAIN "

    def sql(self, text: str) -> str:
        """``text`` in psycopg's placeholder style (see `to_psycopg`)."""
        return to_psycopg(text)

    def plan_line(self, row: Sequence[Any]) -> str:
        """One line of ``EXPLAIN``'s text plan."""
        return str(row[0])

    def lock_migrations(self, conn: DbConnection) -> None:
        """Wait for, then hold until commit, the migration lock of the current schema, so
        that collectors starting together against an empty database migrate it once."""
        conn.execute(
            self.sql("SELECT pg_advisory_xact_lock(?, hashtext(coalesce(current_schema(), '')))"),
            (MIGRATION_LOCK_KEY,),
        )

    def lock_traces(self, conn: DbConnection, keys: Sequence[str]) -> None:
        """Wait for, then hold until commit, one advisory lock per trace, taken in sorted
        order (no deadlock between writers): a span's parent and children stored by two
        collectors at once are then seen by the later of the two."""
        for key in sorted(set(keys)):
            conn.execute(
                self.sql("SELECT pg_advisory_xact_lock(?, hashtext(?))"), (TRACE_LOCK_KEY, key)
            )

    def contains(self, expression: str) -> str:
        """Case-insensitive substring test; the escape character is written so that it
        reads as one backslash whatever ``standard_conforming_strings`` says."""
        return f"lower({expression}) LIKE ? ESCAPE E'\\\\'"

    def byte_length(self, expression: str) -> str:
        """The stored size in bytes, read from the value's header (a large body is not
        decompressed or fetched to measure it)."""
        return f"octet_length({expression})"


LATENCY_MS = "(r.end_us - r.start_us)::double precision / 1000.0::double precision"
"""A record's latency in ms, computed exactly as Python's ``(end_us - start_us) / 1000.0``."""

POSTGRESQL = PostgresDialect()
