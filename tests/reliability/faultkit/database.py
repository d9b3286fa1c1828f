"""What the collector's database really holds, read with the database's own driver.

Reading the tables directly (not through the collector) is what makes the checks honest:
it works while the collector is dead (to prove that what it acknowledged was committed),
and it sees the ``sessions`` rollup rows that ingest maintains incrementally next to the
records they should sum up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

__all__ = ["PROJECT", "SessionTotals", "StoredData", "read_database"]

PROJECT = "default"
_SQLITE_PREFIX = "sqlite:///"

_ROLLUPS = """
SELECT session_id, request_count, error_count, prompt_tokens, completion_tokens,
       total_tokens, coalesce(cost_usd, 0), first_start_us, last_end_us
FROM sessions WHERE project_id = ? ORDER BY session_id
"""
_SUMS = """
SELECT session_id, count(*), sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END),
       coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
       coalesce(sum(total_tokens), 0), coalesce(sum(cost_usd), 0), min(start_us),
       max(coalesce(end_us, start_us))
FROM records WHERE project_id = ? GROUP BY session_id ORDER BY session_id
"""


@dataclass(frozen=True, slots=True)
class SessionTotals:
    """One session's figures, as the rollup keeps them (or as expected)."""

    requests: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: float
    first_start_us: int
    last_end_us: int

    @property
    def duration_us(self) -> int:
        """First start to last end."""
        return self.last_end_us - self.first_start_us

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> SessionTotals:
        """From ``(requests, errors, prompt, completion, total, cost, first, last)``."""
        requests, errors, prompt, completion, total, cost, first, last = row
        return cls(
            requests=int(requests),
            errors=int(errors),
            prompt_tokens=int(prompt),
            completion_tokens=int(completion),
            total_tokens=int(total),
            cost_usd=float(cost),
            first_start_us=int(first),
            last_end_us=int(last),
        )


@dataclass(frozen=True, slots=True)
class StoredData:
    """The project's records and session rows at one moment."""

    ids: list[str]
    """Every stored record id (a list: a duplicate would show twice)."""
    rollups: dict[str, SessionTotals]
    """The ``sessions`` table: what ingest rolled up, batch by batch."""
    sums: dict[str, SessionTotals]
    """The same figures summed from the ``records`` table."""

    @property
    def distinct_ids(self) -> set[str]:
        """The ids, once each."""
        return set(self.ids)

    @property
    def duplicates(self) -> int:
        """Rows beyond one per id."""
        return len(self.ids) - len(self.distinct_ids)

    @property
    def rolled_up_requests(self) -> int:
        """The sum of ``request_count`` over the session rows."""
        return sum(totals.requests for totals in self.rollups.values())


@contextmanager
def _cursor(database_url: str) -> Iterator[tuple[Any, str]]:
    """A DB-API cursor on ``database_url`` and its placeholder, in one read snapshot."""
    if database_url.startswith(_SQLITE_PREFIX):
        path = database_url[len(_SQLITE_PREFIX) :]
        lite = sqlite3.connect(path, timeout=30, isolation_level=None)
        with closing(lite), closing(lite.cursor()) as lite_cursor:
            lite_cursor.execute("BEGIN")
            yield lite_cursor, "?"
            lite_cursor.execute("COMMIT")
        return
    with psycopg.connect(database_url, connect_timeout=10) as pg:
        pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        pg.read_only = True
        with pg.cursor() as pg_cursor:
            yield pg_cursor, "%s"


def read_database(database_url: str) -> StoredData:
    """Read the ids, the session rollups and the per-session sums of the default project."""
    with _cursor(database_url) as (cur, mark):
        cur.execute(f"SELECT id FROM records WHERE project_id = {mark}", (PROJECT,))
        ids = [str(row[0]) for row in cur.fetchall()]
        cur.execute(_ROLLUPS.replace("?", mark), (PROJECT,))
        rollups = {str(row[0]): SessionTotals.from_row(row[1:]) for row in cur.fetchall()}
        cur.execute(_SUMS.replace("?", mark), (PROJECT,))
        sums = {str(row[0]): SessionTotals.from_row(row[1:]) for row in cur.fetchall()}
    return StoredData(ids=ids, rollups=rollups, sums=sums)
