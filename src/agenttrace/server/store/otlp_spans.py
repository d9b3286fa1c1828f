"""Spans whose records are placed by their ancestors: the ``otlp_spans`` table (migration 5).

OpenTelemetry exporters send a span when it ends, so children usually arrive before their
parents, and one trace may come in several batches from several processes. Every span's
structural facts (`SpanLink`: its parent, the path segment it adds, the LangGraph node and
namespace it carries, its own session id, its record) are kept per project; a record's
path, session and parent record are computed by a `Resolver` (the OTLP adapter's rule) from
the chain of its ancestors present. `ingest_spans`, in one transaction:

1. stores the new links (a span already stored is a duplicate and changes nothing);
2. loads the stored descendants of the new spans (those that waited for them, below) and
   the stored ancestors of both;
3. notes in ``otlp_waiting`` (migration 11) each new span or stored descendant whose chain
   of ancestors still stops at a missing span, under that span's id, and forgets the
   waits the new spans end: a stored span's descendants are found there, by the ancestor
   they wait for, with no index of every span by its parent (which cost each export a
   random page of its own, and a look-up per span);
4. stores the new spans' records, placed by the resolver;
5. re-places the stored records below a new span (their path, session or parent record may
   change now that an ancestor is known) and rebuilds the rollups of every session a
   record left or joined.

A record whose ancestors never arrive keeps the place its present ancestors give it.
"""

# ruff: noqa: S608 - SQL is assembled from fixed fragments; values are always bound

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from agenttrace.core.human import INTERRUPT_ID_PROPERTY
from agenttrace.core.text_repair import repair_id
from agenttrace.records import Record
from agenttrace.server.store._ingest import (
    UPSERT_SESSION_CONFLICT,
    UPSERT_SESSION_PROPERTY_CONFLICT,
    ingest_records,
    session_lock_keys,
)
from agenttrace.server.store._metrics_rollup import recount_sessions, remember_moved
from agenttrace.server.store._rollup_cells import BitChanges
from agenttrace.server.store.base import IngestCounts
from agenttrace.server.store.dialect import DbConnection, Dialect

__all__ = ["Placement", "Resolver", "SpanLink", "ingest_spans", "rebuild_sessions"]

_CHUNK = 400
_MAX_DEPTH = 1000
"""Levels of ancestors or descendants looked up (a cycle of bad parent ids ends here)."""


@dataclass(slots=True)
class SpanLink:
    """What a span says about the structure of its trace (not changed once made; not frozen,
    which would make each of an export's links cost twice as much to build)."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    segment: str | None = None
    """The path segment the span adds of itself (a tool, an agent, a workflow step)."""
    graph_node: str | None = None
    """Its LangGraph ``langgraph_node`` (None for hidden runs), with ``graph_namespace``."""
    graph_namespace: str | None = None
    session_id: str | None = None
    record_id: str | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a span's record belongs."""

    path: str
    session_id: str
    parent_id: str | None


Resolver = Callable[[SpanLink, Mapping[str, SpanLink]], Placement]
"""The place of a span given the spans of its trace known so far (by span id)."""

_COLUMNS = (
    "project_id, span_id, trace_id, parent_span_id, segment, graph_node, graph_namespace, "
    "session_id, record_id, received_us"
)
_LINK_COLUMNS = (
    "s.span_id, s.trace_id, s.parent_span_id, s.segment, s.graph_node, s.graph_namespace, "
    "s.session_id, s.record_id"
)
_PLACE_FIELDS = ("session_path", "session_id", "parent_id")


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _insert_links(
    conn: DbConnection, dialect: Dialect, project_id: str, links: Sequence[SpanLink], now_us: int
) -> set[tuple[str, str]]:
    """Insert the links; return the (trace id, span id) of those that were new."""
    row_marks = "(" + _marks(10) + ")"
    new: set[tuple[str, str]] = set()
    for start in range(0, len(links), _CHUNK):
        chunk = links[start : start + _CHUNK]
        sql = (
            f"INSERT INTO otlp_spans ({_COLUMNS}) VALUES "
            + ", ".join([row_marks] * len(chunk))
            + " ON CONFLICT (project_id, trace_id, span_id) DO NOTHING RETURNING trace_id, span_id"
        )
        params = list(
            chain.from_iterable(
                (
                    project_id,
                    link.span_id,
                    link.trace_id,
                    link.parent_span_id,
                    link.segment,
                    link.graph_node,
                    link.graph_namespace,
                    link.session_id,
                    link.record_id,
                    now_us,
                )
                for link in chunk
            )
        )
        new.update((row[0], row[1]) for row in conn.execute(dialect.sql(sql), params).fetchall())
    return new


def _load(
    conn: DbConnection, dialect: Dialect, project_id: str, wanted: Sequence[tuple[str, str]]
) -> list[SpanLink]:
    """The stored spans whose (trace id, span id) is one of ``wanted``, each looked up in
    the table's key. ``CROSS JOIN`` keeps SQLite to that order."""
    found: list[SpanLink] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        sql = (
            f"WITH wanted (trace_id, id) AS (VALUES {', '.join(['(?, ?)'] * len(chunk))}) "
            f"SELECT {_LINK_COLUMNS} FROM wanted CROSS JOIN otlp_spans s "
            "WHERE s.project_id = ? AND s.trace_id = wanted.trace_id AND s.span_id = wanted.id"
        )
        params = [*chain.from_iterable(chunk), project_id]
        rows = conn.execute(dialect.sql(sql), params).fetchall()
        found.extend(SpanLink(row[1], row[0], *row[2:]) for row in rows)
    return found


def _waiting(
    conn: DbConnection, dialect: Dialect, project_id: str, new: Sequence[SpanLink]
) -> list[tuple[str, str, str]]:
    """The (trace id, missing span id, span id) rows of ``otlp_waiting`` whose missing span
    is one of ``new``: the stored spans below it. Read by trace (an export's traces are a
    few, and few of their spans ever wait)."""
    new_ids = {(link.trace_id, link.span_id) for link in new}
    traces = sorted({trace_id for trace_id, _ in new_ids})
    rows: list[tuple[str, str, str]] = []
    for chunk in _chunks(traces):
        sql = (
            f"WITH wanted (trace_id) AS (VALUES {', '.join(['(?)'] * len(chunk))}) "
            "SELECT w.trace_id, w.missing_span_id, w.span_id FROM wanted "
            "CROSS JOIN otlp_waiting w WHERE w.project_id = ? AND w.trace_id = wanted.trace_id"
        )
        found = conn.execute(dialect.sql(sql), [*chunk, project_id]).fetchall()
        rows.extend((row[0], row[1], row[2]) for row in found if (row[0], row[1]) in new_ids)
    return rows


def _waiting_rows(
    project_id: str, links: Iterable[SpanLink], traces: Mapping[str, Mapping[str, SpanLink]]
) -> list[tuple[str, str, str, str]]:
    """An ``otlp_waiting`` row for each of ``links`` whose chain of ancestors in ``traces``
    stops at a missing span (not when the parent ids make a cycle, nor past `_MAX_DEPTH`
    levels); each span's answer is remembered, so that siblings walk up once."""
    found: dict[tuple[str, str], str | None] = {}
    rows: set[tuple[str, str, str, str]] = set()
    for link in links:
        trace_id = link.trace_id
        spans = traces[trace_id]
        walked: list[tuple[str, str]] = []
        seen: set[str] = set()
        current = link
        missing: str | None = None
        while True:
            key = (trace_id, current.span_id)
            if key in found:
                missing = found[key]
                break
            walked.append(key)
            seen.add(current.span_id)
            parent_id = current.parent_span_id
            if not parent_id or parent_id in seen or len(walked) >= _MAX_DEPTH:
                break
            parent = spans.get(parent_id)
            if parent is None:
                missing = parent_id
                break
            current = parent
        for key in walked:
            found[key] = missing
        if missing is not None:
            rows.add((project_id, trace_id, missing, link.span_id))
    return sorted(rows)


def _known_spans(
    conn: DbConnection, dialect: Dialect, project_id: str, new: Sequence[SpanLink]
) -> tuple[dict[str, dict[str, SpanLink]], list[SpanLink], list[tuple[str, str]]]:
    """The spans of the new spans' traces that matter (the new ones, their stored ancestors
    and stored descendants), by trace and span id; the stored descendants; the (trace id,
    span id) of the new spans they waited for. A parent is looked for in its child's trace
    (OpenTelemetry keeps a trace's spans together); a stored descendant of a new span is
    one that waited for it (`otlp_waiting`)."""
    traces: dict[str, dict[str, SpanLink]] = {}
    for link in new:
        traces.setdefault(link.trace_id, {})[link.span_id] = link
    rows = _waiting(conn, dialect, project_id, new)
    waited = sorted({(trace_id, span_id) for trace_id, _, span_id in rows})
    descendants: list[SpanLink] = []
    if waited:
        descendants = _load(conn, dialect, project_id, waited)
        for link in descendants:
            traces[link.trace_id][link.span_id] = link

    def missing_parents(links: Iterable[SpanLink]) -> list[tuple[str, str]]:
        return sorted(
            {
                (link.trace_id, link.parent_span_id)
                for link in links
                if link.parent_span_id and link.parent_span_id not in traces[link.trace_id]
            }
        )

    wanted = missing_parents(chain(new, descendants))
    for _ in range(_MAX_DEPTH):
        if not wanted:
            break
        found = [
            link for link in _load(conn, dialect, project_id, wanted)
            if link.span_id not in traces[link.trace_id]
        ]  # fmt: skip
        for link in found:
            traces[link.trace_id][link.span_id] = link
        wanted = missing_parents(found)
    return traces, descendants, sorted({(trace_id, missing) for trace_id, missing, _ in rows})


def _update_waiting(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    *,
    links: Iterable[SpanLink],
    traces: Mapping[str, Mapping[str, SpanLink]],
    waited_for: Sequence[tuple[str, str]],
) -> None:
    """The spans waiting for ``waited_for`` ((trace id, span id) of new spans) wait no
    more; each of ``links`` (the new spans and their stored descendants) whose chain still
    stops at a missing span waits for that one."""
    conn.executemany(
        dialect.sql(
            "DELETE FROM otlp_waiting WHERE project_id = ? AND trace_id = ? AND missing_span_id = ?"
        ),
        [(project_id, *key) for key in waited_for],
    )
    rows = _waiting_rows(project_id, links, traces)
    conn.executemany(
        dialect.sql(
            "INSERT INTO otlp_waiting (project_id, trace_id, missing_span_id, span_id) "
            "VALUES (?, ?, ?, ?) "
            "ON CONFLICT (project_id, trace_id, missing_span_id, span_id) DO NOTHING"
        ),
        rows,
    )


def ingest_spans(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    *,
    links: Sequence[SpanLink],
    records: Mapping[str, Record],
    resolve: Resolver,
    now_us: int,
) -> IngestCounts:
    """Store ``links`` and the records of the new ones (``records`` by record id, placed by
    ``resolve``: their path, session and parent are set on them), re-place the stored
    records below them; in ``conn``'s transaction."""
    dialect.lock_traces(conn, sorted({f"{project_id}/{link.trace_id}" for link in links}))
    new_keys = _insert_links(conn, dialect, project_id, links, now_us)
    new = [link for link in links if (link.trace_id, link.span_id) in new_keys]
    traces, descendants, waited_for = _known_spans(conn, dialect, project_id, new)
    _update_waiting(
        conn,
        dialect,
        project_id,
        links=chain(new, descendants),
        traces=traces,
        waited_for=waited_for,
    )
    placed: list[Record] = []
    placed_ids: set[str] = set()
    for link in new:
        record = records.get(link.record_id) if link.record_id else None
        if record is not None:
            place = resolve(link, traces[link.trace_id])
            # a record claimed by a second span of the batch is placed as a copy
            placed.append(_placed(record, place, copy=record.id in placed_ids))
            placed_ids.add(record.id)
    # Every session written below is locked first, in the order all ingest takes them
    # (`Dialect.lock_sessions`; nothing on SQLite): the sessions of the new records (as
    # `ingest_records` stores them) and those the stored records below them leave and
    # join. Else this batch, writing its own sessions and then those of the moved records,
    # could cross a batch writing the same sessions in sorted order: a deadlock.
    with_records = {link.record_id: link for link in descendants if link.record_id}
    stored = _stored_places(conn, dialect, project_id, sorted(with_records))
    places = {
        record_id: resolve(link, traces[link.trace_id]) for record_id, link in with_records.items()
    }
    sessions = {repair_id(record.session_id) for record in placed}
    sessions.update(row[1] for row in stored.values())
    sessions.update(place.session_id for place in places.values())
    dialect.lock_sessions(conn, session_lock_keys(project_id, sessions))
    # The session bitmaps (a row per cell, shared by sessions) changed by the new records
    # and by the moved ones are written together at the end, in key order: written in two
    # runs, they could cross another export's two runs.
    bits = BitChanges()
    counts = ingest_records(
        conn, dialect, project_id, placed, now_us, sessions_locked=True, bits=bits
    )
    if len(stored) < len(with_records):  # a record a stored span waited for, stored just now
        missing = sorted(record_id for record_id in with_records if record_id not in stored)
        stored.update(_stored_places(conn, dialect, project_id, missing))
    wanted = sum(1 for link in links if link.record_id in records)
    _replace_descendants(
        conn, dialect, project_id, stored=stored, places=places, bits=bits, now_us=now_us
    )
    bits.write(conn, dialect)
    return IngestCounts(accepted=counts.accepted, duplicates=wanted - counts.accepted)


def _placed(record: Record, place: Placement, *, copy: bool) -> Record:
    """``record`` at its resolved place (the resolver's values are valid: no
    re-validation): ``record`` itself, changed, unless ``copy``."""
    if copy:
        record = record.model_copy()
    # as pydantic's own assignment does without validation, minus its checks per field
    record.__dict__.update(
        session_path=place.path, session_id=place.session_id, parent_id=place.parent_id
    )
    record.__pydantic_fields_set__.update(_PLACE_FIELDS)
    return record


def _stored_places(
    conn: DbConnection, dialect: Dialect, project_id: str, record_ids: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """The stored records of ``record_ids`` (sorted): by id, their path, session, parent
    record, start µs, model, provider, kind and status."""
    stored: dict[str, tuple[Any, ...]] = {}
    for chunk in _chunks(record_ids):
        sql = (
            "SELECT id, path, session_id, parent_id, start_us, model, provider, kind, status "
            f"FROM records WHERE project_id = ? AND id IN ({_marks(len(chunk))})"
        )
        for row in conn.execute(dialect.sql(sql), [project_id, *chunk]).fetchall():
            stored[row[0]] = tuple(row[1:])
    return stored


def _replace_descendants(
    conn: DbConnection,
    dialect: Dialect,
    project_id: str,
    *,
    stored: Mapping[str, tuple[Any, ...]],
    places: Mapping[str, Placement],
    bits: BitChanges,
    now_us: int,
) -> None:
    """Re-place the stored records below new spans (``stored`` as `_stored_places` gives
    them, at ``places``); rebuild the sessions they moved between (their bitmaps' changes
    gathered in ``bits``)."""
    if not stored:
        return
    left: set[str] = set()
    joined: dict[str, list[str]] = {}
    moved: list[tuple[str, int, str | None, str | None, str, str]] = []
    updates: list[tuple[Any, ...]] = []
    for record_id, (path, session_id, parent_id, *key) in sorted(stored.items()):
        place = places[record_id]
        if (place.path, place.session_id, place.parent_id) == (path, session_id, parent_id):
            continue
        updates.append((place.path, place.session_id, place.parent_id, project_id, record_id))
        if place.session_id != session_id:
            left.add(session_id)
            joined.setdefault(place.session_id, []).append(record_id)
            moved.append((place.session_id, *key))
    conn.executemany(
        dialect.sql(
            "UPDATE records SET path = ?, session_id = ?, parent_id = ? "
            "WHERE project_id = ? AND id = ?"
        ),
        updates,
    )
    # The rollup's sets: a session that lost records is counted again from its records;
    # one that only gained records gains their keys (a long session is not read whole).
    recount_sessions(conn, dialect, project_id, sorted(left), bits)
    remember_moved(conn, dialect, project_id, [item for item in moved if item[0] not in left], bits)
    if left:
        rebuild_sessions(conn, dialect, project_id, sorted(left - set(joined)), now_us)
    for session_id, record_ids in sorted(joined.items()):
        if session_id in left:
            rebuild_sessions(conn, dialect, project_id, [session_id], now_us)
        else:
            add_to_session(conn, dialect, project_id, record_ids, now_us)


_ROLLUP_INTO = (
    "INSERT INTO sessions (project_id, session_id, name, name_start_us, first_start_us, "
    "last_end_us, latest_start_us, request_count, error_count, prompt_tokens, "
    "completion_tokens, total_tokens, cost_usd, latency_sum_ms, latency_count, updated_us) "
)
_ROLLUP_COLUMNS = (
    "SELECT r.project_id, r.session_id, "
    "(SELECT n.session_name FROM {named} AND n.session_name IS NOT NULL "
    "ORDER BY n.start_us LIMIT 1), "
    "(SELECT min(n.start_us) FROM {named} AND n.session_name IS NOT NULL), "
    "min(r.start_us), max(coalesce(r.end_us, r.start_us)), max(r.start_us), count(*), "
    "sum(CASE WHEN r.status = 'error' THEN 1 ELSE 0 END), "
    "coalesce(sum(r.input_tokens), 0), coalesce(sum(r.output_tokens), 0), "
    "coalesce(sum(r.total_tokens), 0), sum(r.cost_usd), "
    # a question to a human counts as a request, its wait not as a latency (as at ingest)
    "coalesce(sum(CASE WHEN r.end_us IS NOT NULL AND r.kind <> 'human' "
    "THEN (r.end_us - r.start_us) / 1000.0 END), 0), "
    "count(CASE WHEN r.kind <> 'human' THEN r.end_us END), ? "
)
_REBUILD = (
    _ROLLUP_INTO
    + _ROLLUP_COLUMNS.format(
        named="records n WHERE n.project_id = r.project_id AND n.session_id = r.session_id"
    )
    + "FROM records r WHERE r.project_id = ? AND r.session_id = ? "
    "GROUP BY r.project_id, r.session_id"
)


def _moved_values(count: int) -> str:
    return f"WITH moved (id) AS (VALUES {', '.join(['(?)'] * count)}) "


def _moved_users(count: int) -> str:
    """The users of ``count`` records given by id (``moved``), looked up by id as in
    `_moved_rollup` (for DISTINCT, SQLite would rather walk the project's records)."""
    return (
        _moved_values(count) + "INSERT INTO session_users (project_id, session_id, user_id) "
        "SELECT DISTINCT r.project_id, r.session_id, r.user_id FROM moved CROSS JOIN records r "
        "WHERE r.project_id = ? AND r.id = moved.id AND r.user_id IS NOT NULL "
        "AND r.user_id <> '' ON CONFLICT (project_id, session_id, user_id) DO NOTHING"
    )


def _moved_rollup(count: int) -> str:
    """The rollup of ``count`` records given by id (``moved``), all of one session. The
    records are looked up by id first (``CROSS JOIN`` keeps SQLite to that order: without
    statistics it would rather walk the whole project's records in session order)."""
    return (
        _moved_values(count)
        + _ROLLUP_INTO
        + _ROLLUP_COLUMNS.format(
            named="moved m CROSS JOIN records n WHERE n.project_id = r.project_id AND n.id = m.id"
        )
        + "FROM moved CROSS JOIN records r WHERE r.project_id = ? AND r.id = moved.id "
        "GROUP BY r.project_id, r.session_id " + UPSERT_SESSION_CONFLICT
    )


_UPSERT_PROPERTY = (
    "INSERT INTO session_properties (project_id, session_id, key, value, first_start_us) "
    "VALUES (?, ?, ?, ?, ?) "
)


def _roll_properties(
    conn: DbConnection, dialect: Dialect, project_id: str, where: str, params: Sequence[Any]
) -> None:
    """Upsert the session properties of the records matching ``where``, read from their
    own ``properties_json`` (``record_properties`` is keyed by pair, not by record)."""
    rows = conn.execute(
        dialect.sql(
            f"SELECT session_id, start_us, properties_json FROM records WHERE project_id = ? "
            f"AND {where}"
        ),
        [project_id, *params],
    ).fetchall()
    first: dict[tuple[str, str, str], int] = {}
    for session_id, start_us, stored in rows:
        properties = dialect.load_json(stored) or {}
        for key, value in properties.items():
            if key == INTERRUPT_ID_PROPERTY:  # a request's own, not the session's
                continue
            seen = first.get((session_id, key, value))
            first[session_id, key, value] = start_us if seen is None else min(seen, start_us)
    conn.executemany(
        dialect.sql(_UPSERT_PROPERTY + UPSERT_SESSION_PROPERTY_CONFLICT),
        [(project_id, *pair, start) for pair, start in sorted(first.items())],
    )


_ROLLUP_USERS = (
    "INSERT INTO session_users (project_id, session_id, user_id) "
    "SELECT DISTINCT project_id, session_id, user_id FROM records "
    "WHERE project_id = ? AND user_id IS NOT NULL AND user_id <> '' AND "
)
_REBUILD_USERS = _ROLLUP_USERS + "session_id = ?"


def add_to_session(
    conn: DbConnection, dialect: Dialect, project_id: str, record_ids: Sequence[str], now_us: int
) -> None:
    """Roll records just moved into one session into its rollup, properties and users, as
    ingest does (sums, earliest and latest): no need to read the session's other records."""
    for chunk in _chunks(sorted(record_ids)):
        marks = _marks(len(chunk))
        conn.execute(dialect.sql(_moved_rollup(len(chunk))), [*chunk, now_us, project_id])
        _roll_properties(conn, dialect, project_id, f"id IN ({marks})", chunk)
        conn.execute(dialect.sql(_moved_users(len(chunk))), [*chunk, project_id])


def rebuild_sessions(
    conn: DbConnection, dialect: Dialect, project_id: str, session_ids: Sequence[str], now_us: int
) -> None:
    """Recompute the rollups, properties and users of ``session_ids`` from their records
    (a session left without records disappears)."""
    for session_id in session_ids:
        for table in ("session_properties", "session_users", "sessions"):
            conn.execute(
                dialect.sql(f"DELETE FROM {table} WHERE project_id = ? AND session_id = ?"),
                (project_id, session_id),
            )
        conn.execute(dialect.sql(_REBUILD), (now_us, project_id, session_id))
        _roll_properties(conn, dialect, project_id, "session_id = ?", [session_id])
        conn.execute(dialect.sql(_REBUILD_USERS), (project_id, session_id))
