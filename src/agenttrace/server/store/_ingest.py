"""Ingest, shared by every SQL backend: insert new records, roll them into their sessions.

Only records that were really inserted (``ON CONFLICT DO NOTHING ... RETURNING id``) are
rolled up, so a retried batch never counts twice; the rollups are commutative (sums,
earliest/latest by time), so records may arrive in any order and in any number of batches.

Text neither store can hold alike (NUL, which PostgreSQL refuses, and lone surrogates,
which neither can encode) is repaired first, by the rule of
`agenttrace.core.text_repair`, so that both stores keep exactly the same text.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any

from agenttrace.core.human import INTERRUPT_ID_PROPERTY
from agenttrace.core.text_repair import repair_record
from agenttrace.records import Record, RecordKind, Status
from agenttrace.server.store._human_ingest import merge_human, upsert_human_rows
from agenttrace.server.store._rollup_cells import BitChanges
from agenttrace.server.store.base import IngestCounts
from agenttrace.server.store.dialect import DbConnection, Dialect, to_us
from agenttrace.server.store.migrations import RECORD_COLUMNS

__all__ = [
    "RECORD_COLUMNS",
    "UPSERT_SESSION_CONFLICT",
    "UPSERT_SESSION_PROPERTY_CONFLICT",
    "ingest_records",
    "session_lock_keys",
]

_ID, _START, _END = (RECORD_COLUMNS.index(name) for name in ("id", "start_us", "end_us"))
# Rows per INSERT statement: 30 columns x 500 rows stays under SQLite's 32766 variables.
_CHUNK = 500


def _record_values(
    project_id: str, record: Record, dialect: Dialect, received_us: int
) -> tuple[Any, ...]:
    """The row of ``record``, in `RECORD_COLUMNS` order."""
    usage = record.usage
    error = record.error
    dump_json = dialect.dump_json
    return (
        project_id,
        record.id,
        str(record.kind),
        record.session_id,
        record.session_name,
        record.session_path,
        record.parent_id,
        record.name,
        record.model,
        record.provider,
        record.user_id,
        to_us(record.start_time),
        to_us(record.end_time) if record.end_time is not None else None,
        record.time_to_first_token_ms,
        str(record.status),
        error.type if error else None,
        error.message if error else None,
        usage.input_tokens if usage else None,
        usage.output_tokens if usage else None,
        usage.total_tokens if usage else None,
        usage.cache_read_tokens if usage else None,
        usage.cache_write_tokens if usage else None,
        usage.reasoning_tokens if usage else None,
        record.cost_usd,
        record.attempt,
        record.branch_id,
        dump_json(record.properties),
        dump_json(record.request),
        dump_json(record.response),
        received_us,
    )


@dataclass(slots=True)
class _Rollup:
    """What a batch adds to one session."""

    first_start_us: int
    last_end_us: int
    latest_start_us: int
    name: str | None = None
    name_start_us: int | None = None
    request_count: int = 0
    error_count: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None
    latency_sum_ms: float = 0.0
    latency_count: int = 0
    properties: dict[tuple[str, str], int] = field(default_factory=dict)
    users: set[str] = field(default_factory=set)

    def add(self, record: Record, start: int, end: int | None, *, new: bool = True) -> None:
        """Count ``record``, which ran from ``start`` to ``end`` (µs; None: not ended).

        A question to a human (kind ``human``) is counted once, when ``new``, and never in
        the latency (a human's wait is not one); each later part of it (its answer) adds
        only its times, which roll up idempotently."""
        self.first_start_us = min(self.first_start_us, start)
        self.last_end_us = max(self.last_end_us, start if end is None else end)
        self.latest_start_us = max(self.latest_start_us, start)
        if record.session_name and (self.name_start_us is None or start < self.name_start_us):
            self.name, self.name_start_us = record.session_name, start
        if not new:
            return
        self.request_count += 1
        self.error_count += record.status is Status.ERROR
        usage = record.usage
        if usage is not None:
            self.prompt_tokens += usage.input_tokens or 0
            self.completion_tokens += usage.output_tokens or 0
            self.total_tokens += usage.total_tokens or 0
        if record.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + record.cost_usd
        if end is not None and record.kind is not RecordKind.HUMAN:
            self.latency_sum_ms += (end - start) / 1000.0
            self.latency_count += 1
        for pair in record.properties.items():
            if pair[0] == INTERRUPT_ID_PROPERTY:  # a request's own, not the session's
                continue
            seen = self.properties.get(pair)
            self.properties[pair] = start if seen is None else min(seen, start)
        if record.user_id:
            self.users.add(record.user_id)


def _earlier(column: str, table: str) -> str:
    return (
        f"CASE WHEN excluded.{column} < {table}.{column} "
        f"THEN excluded.{column} ELSE {table}.{column} END"
    )


def _later(column: str, table: str) -> str:
    return (
        f"CASE WHEN excluded.{column} > {table}.{column} "
        f"THEN excluded.{column} ELSE {table}.{column} END"
    )


def _plus(column: str) -> str:
    return f"sessions.{column} + excluded.{column}"


_NAME_WINS = (
    "excluded.name IS NOT NULL AND (sessions.name IS NULL "
    "OR excluded.name_start_us < sessions.name_start_us)"
)

UPSERT_SESSION_CONFLICT = f"""
ON CONFLICT (project_id, session_id) DO UPDATE SET
    name = CASE WHEN {_NAME_WINS} THEN excluded.name ELSE sessions.name END,
    name_start_us = CASE WHEN {_NAME_WINS}
        THEN excluded.name_start_us ELSE sessions.name_start_us END,
    first_start_us = {_earlier("first_start_us", "sessions")},
    last_end_us = {_later("last_end_us", "sessions")},
    latest_start_us = {_later("latest_start_us", "sessions")},
    request_count = {_plus("request_count")},
    error_count = {_plus("error_count")},
    prompt_tokens = {_plus("prompt_tokens")},
    completion_tokens = {_plus("completion_tokens")},
    total_tokens = {_plus("total_tokens")},
    cost_usd = CASE WHEN sessions.cost_usd IS NULL THEN excluded.cost_usd
        WHEN excluded.cost_usd IS NULL THEN sessions.cost_usd
        ELSE sessions.cost_usd + excluded.cost_usd END,
    latency_sum_ms = {_plus("latency_sum_ms")},
    latency_count = {_plus("latency_count")},
    updated_us = excluded.updated_us
"""
"""How a session's rollup takes more records (sums, earliest and latest by time)."""

_UPSERT_SESSION = (
    """
INSERT INTO sessions (project_id, session_id, name, name_start_us, first_start_us,
    last_end_us, latest_start_us, request_count, error_count, prompt_tokens,
    completion_tokens, total_tokens, cost_usd, latency_sum_ms, latency_count, updated_us)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
    + UPSERT_SESSION_CONFLICT
)

UPSERT_SESSION_PROPERTY_CONFLICT = f"""
ON CONFLICT (project_id, session_id, key, value) DO UPDATE SET
    first_start_us = {_earlier("first_start_us", "session_properties")}
"""
_UPSERT_SESSION_PROPERTY = (
    """
INSERT INTO session_properties (project_id, session_id, key, value, first_start_us)
VALUES (?, ?, ?, ?, ?)"""
    + UPSERT_SESSION_PROPERTY_CONFLICT
)

_INSERT_SESSION_USER = """
INSERT INTO session_users (project_id, session_id, user_id) VALUES (?, ?, ?)
ON CONFLICT (project_id, session_id, user_id) DO NOTHING
"""

_INSERT_RECORD_PROPERTY = (
    "INSERT INTO record_properties (project_id, record_id, key, value) VALUES (?, ?, ?, ?)"
)


def _insert_new(conn: DbConnection, dialect: Dialect, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert ``rows`` (of `RECORD_COLUMNS`, ids unique among them); return the ids that
    were new."""
    inserted: set[str] = set()
    row_marks = "(" + ", ".join("?" * len(RECORD_COLUMNS)) + ")"
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        sql = (
            f"INSERT INTO records ({', '.join(RECORD_COLUMNS)}) VALUES "
            + ", ".join([row_marks] * len(chunk))
            + " ON CONFLICT (project_id, id) DO NOTHING RETURNING id"
        )
        params = list(chain.from_iterable(chunk))
        inserted.update(row[0] for row in conn.execute(dialect.sql(sql), params).fetchall())
    return inserted


def session_lock_keys(project_id: str, session_ids: Iterable[str]) -> set[str]:
    """The keys of `Dialect.lock_sessions` for the project's ``session_ids`` (as stored)."""
    return {f"{project_id}\x00{session_id}" for session_id in session_ids}


def ingest_records(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    records: Sequence[Record],
    now_us: int,
    *,
    sessions_locked: bool = False,
    bits: BitChanges | None = None,
) -> IngestCounts:
    """Insert the new records of ``records`` and update their sessions, in ``conn``'s
    transaction (the caller commits).

    Every session of the batch is locked first (`Dialect.lock_sessions`, in one global
    order; nothing on SQLite) unless ``sessions_locked`` says the caller holds those locks
    already (OTLP ingest, which locks the sessions it moves records between too): writers
    that share a session take turns before writing any of its rows (the session's, its
    properties' and users', its human records', its sets in the rollup), so they cannot
    wait on each other's session rows in a cycle even when one of them writes its sessions
    out of sorted order (OTLP ingest writes the sessions its records join after its own).
    The rollup's session bitmaps are written in key order now, or their changes gathered
    in ``bits`` (for the caller to write with its own, in one run)."""
    unique: dict[str, Record] = {}
    humans: dict[str, Record] = {}
    for given in records:
        # the collector's routes repaired bodies too; this looks at the other text only
        record = repair_record(given, bodies=False)
        if record.kind is RecordKind.HUMAN:
            seen = humans.get(record.id)
            humans[record.id] = record if seen is None else merge_human(seen, record)
        else:
            unique.setdefault(record.id, record)
    if not sessions_locked:
        sessions = {r.session_id for r in chain(unique.values(), humans.values())}
        dialect.lock_sessions(conn, session_lock_keys(project_id, sessions))
    # Rows are written in sorted key order (records by id, then sessions, their properties
    # and users by key) so that concurrent writers (PostgreSQL) never wait on each other in
    # a cycle: no deadlocks.
    ordered = sorted(unique.values(), key=attrgetter("id"))
    rows = [_record_values(project_id, record, dialect, now_us) for record in ordered]
    inserted_ids = _insert_new(conn, dialect, rows)
    row_of = {row[_ID]: row for row in rows if row[_ID] in inserted_ids}
    new = [(record, row_of[record.id]) for record in unique.values() if record.id in row_of]

    conn.executemany(
        dialect.sql(_INSERT_RECORD_PROPERTY),
        [
            (project_id, r.id, key, value)
            for r, _ in new
            if r.properties
            for key, value in r.properties.items()
        ],
    )
    from agenttrace.server.store._metrics_rollup import add_rows_to_rollup  # it imports this

    add_rows_to_rollup(conn, dialect, project_id, [row for _, row in new], bits)
    human_rows = [_record_values(project_id, r, dialect, now_us) for r in humans.values()]
    new_humans = upsert_human_rows(conn, dialect, project_id, RECORD_COLUMNS, human_rows)
    new.extend((r, row) for r, row in zip(humans.values(), human_rows, strict=True))
    rollups: dict[str, _Rollup] = {}
    for record, row in new:
        start = row[_START]
        rollup = rollups.get(record.session_id)
        if rollup is None:
            rollup = rollups[record.session_id] = _Rollup(start, start, start)
        is_new = record.kind is not RecordKind.HUMAN or record.id in new_humans
        rollup.add(record, start, row[_END], new=is_new)
    conn.executemany(
        dialect.sql(_UPSERT_SESSION),
        [
            (
                project_id,
                session_id,
                r.name,
                r.name_start_us,
                r.first_start_us,
                r.last_end_us,
                r.latest_start_us,
                r.request_count,
                r.error_count,
                r.prompt_tokens,
                r.completion_tokens,
                r.total_tokens,
                r.cost_usd,
                r.latency_sum_ms,
                r.latency_count,
                now_us,
            )
            for session_id, r in sorted(rollups.items())
        ],
    )
    conn.executemany(
        dialect.sql(_UPSERT_SESSION_PROPERTY),
        [
            (project_id, session_id, key, value, first_start)
            for session_id, r in sorted(rollups.items())
            for (key, value), first_start in sorted(r.properties.items())
        ],
    )
    conn.executemany(
        dialect.sql(_INSERT_SESSION_USER),
        [
            (project_id, session_id, user)
            for session_id, r in sorted(rollups.items())
            for user in sorted(r.users)
        ],
    )
    return IngestCounts(accepted=len(new), duplicates=len(records) - len(new))
