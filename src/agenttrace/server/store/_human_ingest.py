"""Questions to a human (kind ``human``): one record sent in parts, merged by id.

The question (status ``interrupted``, no end time, the path that asked, what was asked)
and its answer (status ``ok``, the end time, the answer) arrive as two records with the
same id (`agenttrace.core.human`), from one process or two, in either order. The first
part inserts the row; a later part completes it: the earliest start, the first end, the
question's path, name and parent, each body from whichever part has it. Parts that repeat
change nothing, so a retried batch stays idempotent.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agenttrace.core.human import INTERRUPT_ID_PROPERTY, OPEN_QUESTION
from agenttrace.records import Record, Status
from agenttrace.server.store.dialect import DbConnection, Dialect

__all__ = ["merge_human", "upsert_human_rows"]

_ASKED = "excluded.status = 'interrupted'"
"""The incoming part is the question: its placement wins."""

_QUESTION_WINS = ("path", "parent_id", "name", "branch_id", "attempt", "properties_json")


def _completed_sql(columns: Sequence[str]) -> str:
    marks = "(" + ", ".join("?" * len(columns)) + ")"
    placed = ",\n    ".join(
        f"{name} = CASE WHEN {_ASKED} THEN excluded.{name} ELSE records.{name} END"
        for name in _QUESTION_WINS
    )
    return f"""INSERT INTO records ({", ".join(columns)}) VALUES {marks}
ON CONFLICT (project_id, id) DO UPDATE SET
    start_us = CASE WHEN excluded.start_us < records.start_us
        THEN excluded.start_us ELSE records.start_us END,
    end_us = COALESCE(records.end_us, excluded.end_us),
    status = CASE WHEN records.end_us IS NULL AND excluded.end_us IS NOT NULL
        THEN excluded.status ELSE records.status END,
    {placed},
    request_json = COALESCE(records.request_json, excluded.request_json),
    response_json = COALESCE(records.response_json, excluded.response_json)"""


def merge_human(first: Record, second: Record) -> Record:
    """Two parts of one question sent in one batch, as one (the rule of the upsert)."""
    question, answer = (second, first) if second.status is Status.INTERRUPTED else (first, second)
    ended = first.end_time if first.end_time is not None else second.end_time
    return question.model_copy(
        update={
            "start_time": min(first.start_time, second.start_time),
            "end_time": ended,
            "status": (first if first.end_time is not None else second).status
            if ended is not None
            else question.status,
            "request": first.request if first.request is not None else second.request,
            "response": first.response if first.response is not None else second.response,
            "error": question.error or answer.error,
        }
    )


def upsert_human_rows(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> set[str]:
    """Insert or complete the human records ``rows`` (of ``columns``, one row per id);
    return the ids that were new (their properties are stored with them). The caller
    holds the locks of the rows' sessions (`session_lock_keys`, as `ingest_records` takes
    them).

    The rows below are locked in several passes (the questions and answers by id, then
    the open questions answered, then the answers kept), which two writers could cross.
    A human record's id is derived from its session (`human_record_id`) and an answer
    naming no interrupt completes questions of its own session only: with every session
    of the batch locked first, in one order, writers sharing a session take turns and the
    others touch none of the same rows. No deadlock."""
    if not rows:
        return set()
    end_at, properties_at = columns.index("end_us"), columns.index("properties_json")
    questions: list[tuple[Any, ...]] = []
    answers: list[tuple[Any, ...]] = []
    for row in rows:
        to_open = row[end_at] is not None and _names_no_interrupt(row[properties_at], dialect)
        (answers if to_open else questions).append(row)
    # the questions first: an answer to the open ones answers those asked in this batch too
    new = _insert_or_complete(conn, dialect, project_id, questions, columns=columns)
    if answers:
        kept = _answer_open_questions(conn, dialect, project_id, columns, answers)
        new |= _insert_or_complete(conn, dialect, project_id, kept, columns=columns)
    return new


def _insert_or_complete(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    rows: Sequence[tuple[Any, ...]],
    *,
    columns: Sequence[str],
) -> set[str]:
    """Insert or complete ``rows``; return the ids that were new."""
    if not rows:
        return set()
    ids = sorted({row[1] for row in rows})
    marks = ", ".join("?" * len(ids))
    known = {
        found[0]
        for found in conn.execute(
            dialect.sql(f"SELECT id FROM records WHERE project_id = ? AND id IN ({marks})"),
            [project_id, *ids],
        ).fetchall()
    }
    ordered = sorted(rows, key=lambda row: str(row[1]))
    sql = dialect.sql(_completed_sql(columns))
    for row in ordered:
        conn.execute(sql, list(row))
    new = {row[1] for row in ordered} - known
    properties_at = columns.index("properties_json")
    pairs = [
        (project_id, row[1], key, value)
        for row in ordered
        if row[1] in new
        for key, value in dialect.load_json(row[properties_at]).items()
    ]
    conn.executemany(
        dialect.sql(
            "INSERT INTO record_properties (project_id, record_id, key, value) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (project_id, key, value, record_id) DO NOTHING"
        ),
        pairs,
    )
    return new


def _names_no_interrupt(properties_json: Any, dialect: Dialect) -> bool:
    properties = dialect.load_json(properties_json)
    return isinstance(properties, dict) and properties.get(INTERRUPT_ID_PROPERTY) == OPEN_QUESTION


def _answer_open_questions(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> list[tuple[Any, ...]]:
    """Complete the open questions each answer that names no interrupt (`OPEN_QUESTION`)
    answers: those of its session asked before it was given. Return the rows left to store
    (such an answer is stored on its own only when no question was open)."""
    at = {name: columns.index(name) for name in ("id", "session_id", "start_us", "end_us")}
    at["status"], at["properties"] = columns.index("status"), columns.index("properties_json")
    at["response"] = columns.index("response_json")
    kept = []
    for row in rows:
        if row[at["end_us"]] is None or not _names_no_interrupt(row[at["properties"]], dialect):
            kept.append(row)
            continue
        found = conn.execute(
            dialect.sql(
                "SELECT id FROM records WHERE project_id = ? AND session_id = ? AND kind = 'human' "
                "AND end_us IS NULL AND start_us <= ? ORDER BY id"
            ),
            [project_id, row[at["session_id"]], row[at["start_us"]]],
        ).fetchall()
        if not found:
            kept.append(row)
            continue
        conn.executemany(
            dialect.sql(
                "UPDATE records SET end_us = ?, status = ?, response_json = ? "
                "WHERE project_id = ? AND id = ? AND end_us IS NULL"
            ),
            [
                (row[at["end_us"]], row[at["status"]], row[at["response"]], project_id, question[0])
                for question in found
            ],
        )
    return kept
