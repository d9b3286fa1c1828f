"""The few places where SQL differs between backends, as small hooks.

The shared store code (`agenttrace.server.store.sql`) writes its SQL with ``?``
placeholders, portable ``CASE`` expressions instead of ``min``/``max``/``LEAST`` and
``INSERT ... ON CONFLICT`` (which SQLite >= 3.24 and PostgreSQL both understand); a
`Dialect` adapts placeholders, column types, substring matching, JSON and percentiles.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic_core import PydanticSerializationError, to_json

from agenttrace.core.text_repair import repair_text

__all__ = [
    "EPOCH",
    "SQLITE",
    "DbConnection",
    "DbCursor",
    "Dialect",
    "dump_body",
    "from_us",
    "percentile",
    "to_us",
]

# Times are stored as integer microseconds since the epoch (UTC) in both databases.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_us(value: datetime) -> int:
    """A UTC datetime as integer microseconds since the epoch."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // _MICROSECOND


def from_us(value: int) -> datetime:
    """Integer microseconds since the epoch as a UTC datetime."""
    return EPOCH + timedelta(microseconds=value)


class DbCursor(Protocol):
    """The part of a DB-API cursor the stores use."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        ...

    def fetchall(self) -> list[Any]:
        """Every remaining row, as tuples."""
        ...

    def fetchone(self) -> Any:
        """The next row as a tuple, or None."""
        ...

    def fetchmany(self, size: int = ..., /) -> list[Any]:
        """Up to ``size`` of the remaining rows (fewer at the end, none when done)."""
        ...

    def close(self) -> None:
        """Release the statement (its remaining rows are not read)."""
        ...


class DbConnection(Protocol):
    """The part of a DB-API connection the stores use (a sqlite3 connection or a psycopg
    cursor fits)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> DbCursor:
        """Run one statement."""
        ...

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]], /) -> DbCursor:
        """Run one statement once per parameter row."""
        ...


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Linear-interpolated percentile of ascending ``sorted_values`` (PostgreSQL's
    ``percentile_cont``); None for no values.

    >>> percentile([10.0, 20.0, 30.0, 40.0], 0.5)
    25.0
    """
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(sorted_values[low])
    weight = position - low  # as PostgreSQL computes it, so that both give the same bits
    return float(sorted_values[low] + weight * (sorted_values[high] - sorted_values[low]))


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinite floats replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def dump_body(value: Any) -> str:
    """A request or response body as stored: compact JSON that every reader can parse.

    NaN and infinite numbers (which JSON has not) become null; unpaired UTF-16 surrogates
    (which UTF-8 cannot encode, and a JSON ``\\ud800`` escape can bring) become U+FFFD, by
    the rule of `agenttrace.core.text_repair` (NUL is kept: JSON escapes it).
    """
    try:  # the fast path, in Rust; it refuses lone surrogates, which the slow path mends
        return to_json(value, inf_nan_mode="null", fallback=str).decode("utf-8")
    except (PydanticSerializationError, TypeError, ValueError):
        pass
    try:
        text = json.dumps(
            value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
        )
    except ValueError:  # a non-finite float
        text = json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False, default=str)
    return repair_text(text, nul=False)


class Dialect:
    """SQLite's flavour; a PostgreSQL dialect overrides the hooks that differ."""

    name = "sqlite"
    column_types: dict[str, str] = {  # noqa: RUF012 - read-only table
        "bigint": "INTEGER",
        "real": "REAL",
        "text": "TEXT",
        "blob": "BLOB",
        "serial_key": "INTEGER PRIMARY KEY",
    }

    table_options: dict[str, str] = {"clustered": " WITHOUT ROWID"}  # noqa: RUF012 - read-only table

    @property
    def schema_words(self) -> dict[str, str]:
        """What the migrations' ``{bigint}``, ``{real}``, ``{text}``, ``{blob}``,
        ``{serial_key}`` (an integer primary key numbered by the database) and
        ``{clustered}`` stand for."""
        return {**self.column_types, **self.table_options}

    explain_prefix = "EXPLAIN QUERY PLAN "

    def lock_rows(self, alias: str) -> str:
        """Appended to a SELECT whose rows of table ``alias`` the transaction then
        rewrites: SQLite needs nothing (one writer at a time). (PostgreSQL locks them
        until commit: ``FOR UPDATE OF alias``.)"""
        return ""

    def lock_migrations(self, conn: DbConnection) -> None:
        """Serialise migrations between processes opening one database at once, inside the
        migration transaction. SQLite: nothing to do, ``BEGIN IMMEDIATE`` already holds the
        write lock. (PostgreSQL: ``pg_advisory_xact_lock``.)"""

    def lock_traces(self, conn: DbConnection, keys: Sequence[str]) -> None:
        """Hold, until commit, a lock per trace (``keys``, sorted), so that two writers
        storing spans of one trace see each other's spans. SQLite: nothing to do, one writer
        at a time. (PostgreSQL: ``pg_advisory_xact_lock``.)"""

    def lock_sessions(self, conn: DbConnection, keys: Iterable[str]) -> None:
        """Hold, until commit, a lock per session (``keys``), so that two writers of one
        session's rows take turns instead of locking its rows in crossing orders. SQLite:
        nothing to do, one writer at a time. (PostgreSQL: ``pg_advisory_xact_lock``.)"""

    def plan_line(self, row: Sequence[Any]) -> str:
        """One row of the EXPLAIN answer as text (SQLite: id, parent, notused, detail)."""
        return str(row[-1])

    def sql(self, text: str) -> str:
        """``text`` with its ``?`` placeholders in this driver's style."""
        return text

    def contains(self, expression: str) -> str:
        """A condition: ``expression`` contains the next parameter, case-insensitively.

        The parameter is made by `contains_pattern`.
        """
        return f"lower({expression}) LIKE ? ESCAPE '\\'"

    def contains_pattern(self, needle: str) -> str:
        """The LIKE pattern for `contains`: the needle lowered and escaped, in ``%``."""
        escaped = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    def byte_length(self, expression: str) -> str:
        """An SQL expression: the size of the text ``expression`` in bytes (NULL for NULL)."""
        return f"length(CAST({expression} AS BLOB))"

    def dump_json(self, value: Any) -> str | None:
        """A request or response body as stored (None stays NULL)."""
        if value is None:
            return None
        return dump_body(value)

    def load_json(self, stored: Any) -> Any:
        """A body as read back."""
        if stored is None:
            return None
        if isinstance(stored, str | bytes):
            return json.loads(stored)
        return stored

    def percentile(self, sorted_values: Sequence[float], fraction: float) -> float | None:
        """The ``fraction`` percentile of ascending latencies (see `percentile`)."""
        return percentile(sorted_values, fraction)


SQLITE = Dialect()
