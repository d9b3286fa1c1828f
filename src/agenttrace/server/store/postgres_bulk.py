"""Many-row INSERTs as few statements: ``COPY``, or one array per column.

The shared ingest writes rows with ``executemany`` of a one-row INSERT, or with one INSERT
of many ``VALUES`` rows when it needs ``RETURNING``. Both are right on PostgreSQL but slow
through psycopg: a statement with thousands of placeholders is parsed client-side on every
call, and ``executemany`` runs the statement once per row. `BulkInserts` runs them as:

* a plain INSERT: ``COPY table (columns) FROM STDIN`` (rows formatted by psycopg's C code);
* one with ``ON CONFLICT`` / ``RETURNING`` and many rows: ``COPY`` into a temporary
  staging table (created in the transaction when missing, emptied at commit), then
  ``INSERT INTO table (columns) SELECT columns FROM staging ORDER BY <conflict key> ...``;
* the same with few rows: ``INSERT INTO table (columns) SELECT * FROM unnest(%b::type[],
  ...) ...``, one binary array per column, typed from the catalog.

Rows are locked in conflict-key order (the shared code sorts them; the staging path sorts
again), so concurrent writers do not deadlock. The staging table is created inside the
transaction that uses it, so a connection pooler in transaction mode is fine. An ``ON
CONFLICT ... DO UPDATE`` whose rows repeat a key (which one statement may not update twice)
and statements of any other shape run as they are.
"""

# ruff: noqa: S608 - the SQL is the shared code's own statement, reshaped; values stay bound

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg

__all__ = ["STAGE_MIN_ROWS", "BulkInsert", "BulkInserts", "parse_insert"]

_INSERT = re.compile(
    r"\s*INSERT INTO (?P<table>\w+) \((?P<columns>[\w\s,]+)\)\s+VALUES\s+"
    r"(?P<rows>\((?:%s,\s*)*%s\)(?:,\s*\((?:%s,\s*)*%s\))*)(?P<rest>.*)",
    re.DOTALL,
)
_CONFLICT = re.compile(
    r"\s*ON CONFLICT \((?P<key>[\w\s,]+)\) DO (?P<action>UPDATE|NOTHING)\b", re.IGNORECASE
)

_FLOAT_TYPES = {"double precision", "real", "numeric"}
STAGE_MIN_ROWS = 100
"""From this many rows, an INSERT with ON CONFLICT / RETURNING goes through a staging table."""

Clean = Callable[[Sequence[Any]], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class BulkInsert:
    """An INSERT of ``rows`` rows of ``columns`` into ``table``, then ``rest`` (ON CONFLICT,
    RETURNING)."""

    table: str
    columns: tuple[str, ...]
    rows: int
    rest: str
    conflict_key: tuple[int, ...]
    """Positions of the ON CONFLICT columns (empty without a conflict target)."""
    updates: bool
    """Whether a conflict updates the row (then rows must not repeat a key)."""


@lru_cache(maxsize=64)  # a few shapes: the shared statements and the chunk sizes in use
def parse_insert(sql: str) -> BulkInsert | None:
    """The shape of ``sql`` (psycopg placeholders) if it is a plain VALUES INSERT."""
    found = _INSERT.fullmatch(sql)
    if found is None:
        return None
    columns = tuple(name.strip() for name in found["columns"].split(","))
    rows = found["rows"].count("(")
    if found["rows"].count("%s") != rows * len(columns):
        return None
    key: tuple[int, ...] = ()
    updates = False
    conflict = _CONFLICT.match(found["rest"])
    if conflict is not None:
        names = [name.strip() for name in conflict["key"].split(",")]
        if not set(names) <= set(columns):
            return None
        key = tuple(columns.index(name) for name in names)
        updates = conflict["action"].upper() == "UPDATE"
    elif found["rest"].strip().upper().startswith("ON CONFLICT"):
        return None  # a conflict clause of another form: leave it alone
    return BulkInsert(found["table"], columns, rows, found["rest"], key, updates)


def _through_staging(
    conn: psycopg.Connection[Any], shape: BulkInsert, rows: Sequence[Sequence[Any]], clean: Clean
) -> psycopg.Cursor[Any]:
    columns = ", ".join(shape.columns)
    stage = f"agenttrace_stage_{shape.table}"
    conn.execute(  # with identities: a column the database numbers is not copied, nor NULL
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {shape.table} INCLUDING IDENTITY) "
        "ON COMMIT DELETE ROWS"
    )
    conn.execute(f"TRUNCATE {stage}")
    with conn.cursor().copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(clean(row))
    order = ""
    if shape.conflict_key:
        order = " ORDER BY " + ", ".join(shape.columns[i] for i in shape.conflict_key)
    return conn.execute(
        f"INSERT INTO {shape.table} ({columns}) SELECT {columns} FROM {stage}{order}{shape.rest}"
    )


class BulkInserts:
    """Runs many-row INSERTs into the tables of ``column_types`` ({(table, column): SQL
    type}, the store's own schema) as one statement."""

    def __init__(self, column_types: Mapping[tuple[str, str], str]) -> None:
        self.column_types = dict(column_types)
        self.tables = frozenset(table for table, _ in column_types)

    def _usable(self, shape: BulkInsert | None, rows: Sequence[Sequence[Any]]) -> bool:
        if shape is None or shape.table not in self.tables or len(rows) < 2:
            return False
        if shape.updates:
            keys = {tuple(row[i] for i in shape.conflict_key) for row in rows}
            return len(keys) == len(rows)
        return True

    def run(
        self,
        conn: psycopg.Connection[Any],
        sql: str,
        rows: Sequence[Sequence[Any]],
        clean: Clean,
    ) -> psycopg.Cursor[Any] | None:
        """Insert ``rows`` as ``sql`` would, in one statement; None when ``sql`` is not of
        a shape this handles (run it as it is then)."""
        shape = parse_insert(sql)
        if shape is None or not self._usable(shape, rows):
            return None
        columns = ", ".join(shape.columns)
        if not shape.rest.strip():
            cursor = conn.cursor()
            with cursor.copy(f"COPY {shape.table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(clean(row))
            return cursor
        if len(rows) >= STAGE_MIN_ROWS:
            return _through_staging(conn, shape, rows, clean)
        types = [self.column_types.get((shape.table, column)) for column in shape.columns]
        arrays: list[list[Any]] = []
        for index, sql_type in enumerate(types):
            values = [row[index] for row in rows]
            if sql_type is None:
                return None
            if sql_type in _FLOAT_TYPES:  # psycopg dumps lists of one Python type only
                values = [None if v is None else float(v) for v in values]
            elif sql_type == "text":
                values = list(clean(values))
            arrays.append(values)
        unnest = ", ".join(f"%b::{sql_type}[]" for sql_type in types)
        return conn.execute(
            f"INSERT INTO {shape.table} ({columns}) SELECT * FROM unnest({unnest}){shape.rest}",
            arrays,
        )

    def run_values(
        self, conn: psycopg.Connection[Any], sql: str, parameters: Sequence[Any], clean: Clean
    ) -> psycopg.Cursor[Any] | None:
        """Like `run`, for one INSERT with many VALUES rows and flat ``parameters``."""
        shape = parse_insert(sql)
        if shape is None or shape.rows < 2:
            return None
        width = len(shape.columns)
        rows = [parameters[i : i + width] for i in range(0, len(parameters), width)]
        return self.run(conn, sql, rows, clean)
