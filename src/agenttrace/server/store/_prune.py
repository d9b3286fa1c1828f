"""Retention: delete sessions that ended before a cutoff, in bounded batches.

Each batch is its own short write transaction (at most `DEFAULT_BATCH_SESSIONS` sessions,
their records, record properties, session properties and users), so ingest waits at most
for one batch, never for the whole prune. A session is old when its last request ended
before the cutoff (``sessions.last_end_us``, indexed by migration 3). The property rows of
the records deleted (``DELETE ... RETURNING``) are found by their primary key, from those
records' own properties, and the records are taken out of the metrics rollup. A record
arriving for a session while it is pruned starts the
session anew with what arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from agenttrace.server.store._metrics_rollup import (
    ITEM_FIELDS,
    forget_sessions,
    remove_from_rollup,
)
from agenttrace.server.store.base import PruneCounts
from agenttrace.server.store.dialect import DbConnection, Dialect

__all__ = ["DEFAULT_BATCH_SESSIONS", "prune_sessions"]

DEFAULT_BATCH_SESSIONS = 500

_SELECT_OLD = (
    "SELECT project_id, session_id, request_count FROM sessions "
    "WHERE last_end_us < ? ORDER BY last_end_us LIMIT ?"
)
_DELETE_RECORDS = (
    "DELETE FROM records WHERE project_id = ? AND session_id = ? "  # noqa: S608 - fixed names
    f"RETURNING id, properties_json, {ITEM_FIELDS}"
)
_DELETE_PROPERTY = (
    "DELETE FROM record_properties WHERE project_id = ? AND key = ? AND value = ? AND record_id = ?"
)
_DELETES = (
    "DELETE FROM session_properties WHERE project_id = ? AND session_id = ?",
    "DELETE FROM session_users WHERE project_id = ? AND session_id = ?",
    "DELETE FROM scores WHERE project_id = ? AND session_id = ?",
    "DELETE FROM sessions WHERE project_id = ? AND session_id = ?",
)


def _delete_records(
    conn: DbConnection, dialect: Dialect, keys: list[tuple[str, str]]
) -> list[tuple[str, str, str, str]]:
    """Delete the records of the sessions ``keys`` (project, session); return the
    ``record_properties`` keys of exactly the records deleted, from their own properties,
    so that every property row is found by the table's primary key."""
    rows: list[tuple[str, str, str, str]] = []
    delete = dialect.sql(_DELETE_RECORDS)
    for project, session in keys:
        deleted = conn.execute(delete, (project, session)).fetchall()
        for record_id, stored, *_ in deleted:
            properties: dict[str, str] = dialect.load_json(stored) or {}
            rows.extend((project, key, value, record_id) for key, value in properties.items())
        remove_from_rollup(conn, dialect, project, [tuple(row[2:]) for row in deleted])
    forget_sessions(conn, dialect, keys)
    return rows


def prune_sessions(
    write: Callable[[], AbstractContextManager[DbConnection]],
    dialect: Dialect,
    before_us: int,
    *,
    batch_sessions: int = DEFAULT_BATCH_SESSIONS,
) -> PruneCounts:
    """Delete every session (of every project) whose last request ended before
    ``before_us`` (microseconds since the epoch), ``batch_sessions`` per transaction."""
    if batch_sessions < 1:
        msg = f"batch_sessions must be at least 1; got {batch_sessions}"
        raise ValueError(msg)
    sessions = records = batches = 0
    while True:
        with write() as conn:
            old = conn.execute(dialect.sql(_SELECT_OLD), (before_us, batch_sessions)).fetchall()
            if not old:
                break
            keys = [(str(project), str(session)) for project, session, _ in old]
            property_keys = _delete_records(conn, dialect, keys)
            conn.executemany(dialect.sql(_DELETE_PROPERTY), property_keys)
            for statement in _DELETES:
                conn.executemany(dialect.sql(statement), keys)
        sessions += len(old)
        records += sum(int(count) for _, _, count in old)
        batches += 1
        if len(old) < batch_sessions:
            break
    return PruneCounts(sessions=sessions, records=records, batches=batches)
