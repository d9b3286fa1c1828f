"""Several collectors (stores with their own pools) on one database at once: ingest into
shared sessions, and migrations when they start together against an empty database."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from agenttrace.core.human import INTERRUPT_ID_PROPERTY, OPEN_QUESTION, human_record_id
from agenttrace.records import Record
from agenttrace.server.otlp.paths import resolve_place
from agenttrace.server.store import SessionQuery, SQLiteStore, session_filter
from agenttrace.server.store import postgres as postgres_module
from agenttrace.server.store import sql as sql_module
from agenttrace.server.store.base import StoreUnavailableError
from agenttrace.server.store.metrics import BucketUnit, Dimension, MetricsQuery
from agenttrace.server.store.migrations import MIGRATIONS
from agenttrace.server.store.otlp_spans import SpanLink, ingest_spans
from agenttrace.server.store.postgres import PostgresStore
from agenttrace.server.store.postgres_dialect import MIGRATION_LOCK_KEY

pytestmark = pytest.mark.postgres

PROJECT = "default"
Sql = Callable[..., list[tuple[Any, ...]]]


def _run_together(workers: list[Callable[[], object]]) -> list[object]:
    """Run ``workers`` in threads released at once; re-raise the first failure."""
    barrier = threading.Barrier(len(workers))
    results: list[object] = [None] * len(workers)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = workers[index]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
    return results


def _ingest_together(stores: list[PostgresStore], batches: list[list[Record]]) -> list[object]:
    """Each batch ingested by its own thread (through the stores in turn), all at once."""
    turns = len(stores)
    workers: list[Callable[[], object]] = [
        lambda batch=batch, store=stores[i % turns]: store.ingest(PROJECT, batch)
        for i, batch in enumerate(batches)
    ]
    return _run_together(workers)


def _same_metrics(store: PostgresStore, reference: SQLiteStore, query: MetricsQuery) -> None:
    """``query`` on ``store`` (from the rollup) answers what ``reference`` answers scanning
    its records (sums of floats up to their order of addition)."""
    got = store.query_metrics(PROJECT, query).groups
    expected = reference.query_metrics(PROJECT, replace(query, use_rollup=False)).groups
    assert len(got) == len(expected) > 0
    assert sum(row.requests for row in got) == sum(row.requests for row in expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.cost_usd == pytest.approx(theirs.cost_usd)
        assert mine.mean_latency_ms == pytest.approx(theirs.mean_latency_ms)
        rest = {"cost_usd", "mean_latency_ms"}
        assert mine.model_dump(exclude=rest) == theirs.model_dump(exclude=rest)


def test_collectors_ingesting_into_the_same_sessions_keep_exact_rollups(
    open_pg: Callable[..., PostgresStore],
    rec: Callable[..., Record],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two stores, eight threads, overlapping batches over four shared sessions in shuffled
    orders: no deadlock (retries are switched off), every record stored once, and every
    session's totals and the metrics rollup's figures (sums, histograms rewritten per cell,
    session bitmaps) equal to one SQLite store ingesting the same records serially."""
    monkeypatch.setattr(postgres_module, "_INGEST_ATTEMPTS", 1)  # a deadlock would surface
    rng = random.Random(3)
    records = [
        rec(
            f"r-{i:03d}",
            f"shared-{i % 4}",
            start_ms=rng.randint(0, 10_000),
            latency_ms=rng.randint(1, 500),
            user_id=f"u{i % 3}",
            properties={"env": rng.choice(["prod", "dev"]), "shard": str(i % 5)},
            usage={"input_tokens": i, "output_tokens": 2 * i},
            cost_usd=0.25 * (i % 3),
            status="error" if i % 11 == 0 else "ok",
        )
        for i in range(400)
    ]
    batches = []
    for _ in range(8):
        batch = rng.sample(records, 150)  # overlapping: most records arrive several times
        batches.append(batch)
    missed = [r for r in records if not any(r in batch for batch in batches)]
    batches[0] = batches[0] + missed
    stores = [open_pg(pool_max=4), open_pg(pool_max=4)]
    counts = _ingest_together(stores, batches)
    assert sum(c.accepted for c in counts) == len(records)  # type: ignore[attr-defined]

    by_status = MetricsQuery(group_by=(Dimension.TIME, Dimension.STATUS), bucket=BucketUnit.HOUR)
    reference = SQLiteStore(tmp_path / "reference.db")
    try:
        reference.ingest(PROJECT, records)
        expected = reference.query_sessions(PROJECT, SessionQuery()).sessions
        _same_metrics(stores[0], reference, by_status)
    finally:
        reference.close()
    got = stores[1].query_sessions(PROJECT, SessionQuery()).sessions
    assert [row.session_id for row in got] == [row.session_id for row in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.cost_usd == pytest.approx(theirs.cost_usd)  # summed in another order
        assert mine.mean_latency_ms == pytest.approx(theirs.mean_latency_ms)
        mine_rest = mine.model_dump(exclude={"cost_usd", "mean_latency_ms"})
        assert mine_rest == theirs.model_dump(exclude={"cost_usd", "mean_latency_ms"})


def test_disjoint_batches_into_the_same_cells_keep_exact_metrics(
    open_pg: Callable[..., PostgresStore],
    rec: Callable[..., Record],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight threads ingesting batches with no record in common into the same hour, models
    and sessions (so nothing but the rollup's rows makes them wait for each other): each
    cell's histograms and session bitmaps, rewritten whole under a row lock, keep every
    batch; the metrics equal a scan of the same records ingested serially."""
    monkeypatch.setattr(postgres_module, "_INGEST_ATTEMPTS", 1)  # a deadlock would surface
    rng = random.Random(5)
    records = []
    for i in range(400):  # one minute, two models, twelve sessions, streamed calls
        session, start, latency = f"shared-{rng.randrange(12)}", rng.randint(0, 60_000), 5000
        first = float(rng.randint(1, 900))
        model = ("gpt-4o", "claude")[i % 2]
        records.append(
            rec(f"d-{i:03d}", session, start_ms=start, latency_ms=rng.randint(1, latency),
                model=model, time_to_first_token_ms=first)
        )  # fmt: skip
    batches = [records[i::8] for i in range(8)]
    stores = [open_pg(pool_max=4), open_pg(pool_max=4)]
    for _ in range(3):  # a lost update needs two writers between read and write: try again
        _ingest_together(stores, batches)
        batches = [[r.model_copy(update={"id": f"{r.id}+"}) for r in b] for b in batches]
        records += [r for b in batches for r in b]
    records = records[: -len(batches) * len(batches[0])]  # the last copies were not sent
    assert len(records) == 1200
    reference = SQLiteStore(tmp_path / "reference.db")
    try:
        reference.ingest(PROJECT, records)
        _same_metrics(stores[0], reference, MetricsQuery(group_by=(Dimension.MODEL,)))
    finally:
        reference.close()


def _human(
    rec: Callable[..., Record], session_id: str, interrupt_id: str, answered_s: float | None = None
) -> Record:
    """A question (asked at 0 s) to a human in ``session_id``, or with ``answered_s`` an
    answer (given then; ``OPEN_QUESTION``: a bare resume's, naming no interrupt)."""
    answered = answered_s is not None
    return rec(
        human_record_id(session_id, interrupt_id),
        session_id,
        start_ms=1000 * answered_s if answered_s is not None else 0,
        latency_ms=0 if answered else None,
        kind="human",
        status="ok" if answered else "interrupted",
        properties={INTERRUPT_ID_PROPERTY: interrupt_id},
    )


def test_crossing_human_batches_do_not_deadlock(
    open_pg: Callable[..., PostgresStore],
    rec: Callable[..., Record],
    sql: Sql,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two collectors, each sent a retried batch that re-sends the questions of one set of
    sessions and a bare resume's answer (`OPEN_QUESTION`) for each session of the other
    set, the two batches crossing: each batch's human rows are locked once per row, whatever
    the order they came in, so no deadlock (retries are switched off), and each question is
    answered exactly once. (Before: the re-sent questions were locked as one sorted set,
    then the questions the answers completed as another, and the two batches waited on
    each other.)"""
    monkeypatch.setattr(postgres_module, "_INGEST_ATTEMPTS", 1)  # a deadlock would surface
    stores = [open_pg(pool_max=2), open_pg(pool_max=2)]
    sessions = 12
    for attempt in range(8):  # a deadlock needs the two batches to overlap: try again
        left = [f"left-{attempt}-{i:02d}" for i in range(sessions)]
        right = [f"right-{attempt}-{i:02d}" for i in range(sessions)]
        stores[0].ingest(PROJECT, [_human(rec, s, "ask") for s in left + right])
        batches = [
            [_human(rec, s, "ask") for s in right]
            + [_human(rec, s, OPEN_QUESTION, answered_s=60) for s in left],
            [_human(rec, s, "ask") for s in left]
            + [_human(rec, s, OPEN_QUESTION, answered_s=90) for s in right],
        ]
        _ingest_together(stores, batches)
    rows = sql(
        "SELECT session_id, status, (end_us - start_us) / 1000000, "
        "count(*) OVER (PARTITION BY session_id) FROM records WHERE kind = 'human'"
    )
    assert len(rows) == 8 * 2 * sessions
    # each question answered by its session's answer, which is not kept apart
    assert {(sid.split("-")[0], *rest) for sid, *rest in rows} == {
        ("left", "ok", 60, 1),
        ("right", "ok", 90, 1),
    }
    waiting = SessionQuery(filter=session_filter(status="waiting"))
    assert stores[1].query_sessions(PROJECT, waiting).sessions == []


def _span_call(
    rec: Callable[..., Record], trace: str, record_id: str, model: str = "otlp-model"
) -> tuple[SpanLink, Record]:
    """An LLM call span of ``trace`` under its agent span, and its record (in the trace's
    own session until its ancestors place it, as the OTLP route sends it)."""
    record = rec(record_id, trace, start_ms=1000, latency_ms=20, model=model)
    return SpanLink(trace, "c1" * 8, "a1" * 8, record_id=record_id), record


def _agent_span(trace: str, session_id: str) -> SpanLink:
    """The agent span of ``trace``, naming its session."""
    return SpanLink(trace, "a1" * 8, None, segment="agent", session_id=session_id)


def test_otlp_moves_crossing_native_batches_do_not_deadlock(
    open_pg: Callable[..., PostgresStore],
    rec: Callable[..., Record],
    sql: Sql,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An OTLP export stores calls of new traces in sessions ``z-*`` and brings the agent
    spans that move calls stored earlier (in their traces' own sessions) into sessions
    ``a-*``, while a native batch adds records to the same ``a-*`` and ``z-*`` sessions:
    the two take their sessions' locks in one order (the export's own sessions, the ones
    its stored calls leave and the ones they join, all before any session row is written),
    so no deadlock (retries are switched off), and every session counts its records
    exactly once. (Before: the export wrote ``z-*`` when storing its calls and ``a-*``
    only when moving the stored ones, the native batch ``a-*`` then ``z-*``; 5 of 5 runs
    failed with 'deadlock detected', on either side.)"""
    monkeypatch.setattr(postgres_module, "_INGEST_ATTEMPTS", 1)  # a deadlock would surface
    stores = [open_pg(pool_max=2), open_pg(pool_max=2)]
    pairs, attempts = 12, 10
    for attempt in range(attempts):  # a deadlock needs the two batches to overlap: try again
        late = [f"{attempt:x}{i:x}".ljust(32, "f") for i in range(pairs)]  # agent comes later
        fresh = [f"{attempt:x}{i:x}".ljust(32, "e") for i in range(pairs)]  # a whole trace
        joined = [f"a-{attempt}-{i:02d}" for i in range(pairs)]
        own = [f"z-{attempt}-{i:02d}" for i in range(pairs)]
        # calls whose agent (naming a-*) is not stored yet: in their traces' own sessions
        stored = [_span_call(rec, trace, f"{trace}-stored") for trace in late]
        stored_records = {record.id: record for _, record in stored}
        stores[0].ingest_spans(PROJECT, [link for link, _ in stored], stored_records, resolve_place)
        # every session numbered already, and other models than the export's: the batches
        # below meet on the sessions' rows only
        stores[0].ingest(PROJECT, [rec(f"seed-{s}", s, model="seed") for s in joined + own])
        links, records = [], {}
        for i, trace in enumerate(late):
            links.append(_agent_span(trace, joined[i]))
        for i, trace in enumerate(fresh):
            link, record = _span_call(rec, trace, f"{trace}-new")
            links += [_agent_span(trace, own[i]), link]
            records[record.id] = record
        # the native batch reaches its sessions later in each attempt (more records to
        # store before them), so that some attempt meets the export between its writes
        native = [
            rec(f"native-{attempt}-{n:03d}", (joined + own)[n % (2 * pairs)], start_ms=2000,
                model="native-model")
            for n in range(2 * pairs * (1 + attempt))
        ]  # fmt: skip
        export = (PROJECT, links, records, resolve_place)
        _run_together(
            [
                lambda export=export: stores[0].ingest_spans(*export),
                lambda native=native: stores[1].ingest(PROJECT, native),
            ]
        )
    counts = dict(sql("SELECT session_id, request_count FROM sessions"))
    assert counts == {
        f"{side}-{attempt}-{i:02d}": 3 + attempt  # seeded, native, moved or new call
        for side in ("a", "z")
        for attempt in range(attempts)
        for i in range(pairs)
    }  # the traces' own sessions, left empty, are gone
    by_session = sql("SELECT session_id, count(*) FROM records GROUP BY 1")
    assert dict(by_session) == counts


def test_collectors_opening_an_empty_database_together_migrate_it_once(
    open_pg: Callable[..., PostgresStore], sql: Sql
) -> None:
    """Six stores opened at the same moment on an empty schema: all open, one applies
    every migration, the others find the schema current."""
    stores = _run_together([lambda: open_pg(pool_min=0) for _ in range(6)])
    applied = sorted(store.applied_migrations for store in stores)  # type: ignore[attr-defined]
    versions = [m.version for m in MIGRATIONS]
    assert applied == [[]] * 5 + [versions]
    assert [row[0] for row in sql("SELECT version FROM schema_version ORDER BY 1")] == versions


def test_opening_waits_for_the_migration_lock(
    open_pg: Callable[..., PostgresStore], postgres_url: str, sql: Sql
) -> None:
    """While another process holds the schema's migration lock, opening waits; it goes on
    (and migrates) once the lock is released."""
    opened: list[PostgresStore] = []
    with psycopg.connect(postgres_url) as holder:
        holder.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (MIGRATION_LOCK_KEY,)
        )
        thread = threading.Thread(target=lambda: opened.append(open_pg()))
        thread.start()
        deadline = time.monotonic() + 20
        waiting = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = %s::oid AND objid = hashtext(current_schema())::oid"
        )
        while (
            sql(waiting, (MIGRATION_LOCK_KEY,))[0][0] == 0
        ):  # the opener blocks in the server: poll its lock state
            assert time.monotonic() < deadline, "the store never asked for the migration lock"
            time.sleep(0.01)
        assert not opened
        assert sql("SELECT to_regclass('schema_version')")[0][0] is None
        holder.commit()  # releases the transaction-level lock
        thread.join(20)
    assert opened
    assert opened[0].applied_migrations == [m.version for m in MIGRATIONS]


def test_otlp_exports_moving_calls_of_crossing_models_do_not_deadlock(
    open_pg: Callable[..., PostgresStore], rec: Callable[..., Record]
) -> None:
    """Two exports of other traces and sessions, at once: one stores calls of model A and
    moves stored calls of model B into their agents' sessions, the other stores calls of B
    and moves calls of A. The rollup's session bitmaps (a row per hour and model, shared
    by every session) changed by both steps are written in one run, in key order, so the
    two cannot deadlock (OTLP ingest is not retried), and the metrics count each session
    once. (Before: each wrote its new calls' bitmaps, then its moved calls', and the two
    crossed: 3 of 3 runs failed with 'deadlock detected'.)"""
    stores = [open_pg(pool_max=2), open_pg(pool_max=2)]
    for attempt in range(8):  # a deadlock needs the two exports to overlap: try again
        exports = []
        for side, (new_model, moved_model) in enumerate((("m-a", "m-b"), ("m-b", "m-a"))):
            late = [f"{attempt:x}{side}{i:x}".ljust(32, "f") for i in range(8)]
            fresh = [f"{attempt:x}{side}{i:x}".ljust(32, "e") for i in range(8)]
            stored = [_span_call(rec, t, f"{t}-stored", moved_model) for t in late]
            stores[side].ingest_spans(
                PROJECT, [link for link, _ in stored], {r.id: r for _, r in stored}, resolve_place
            )
            links = [_agent_span(t, f"p-{attempt}-{side}-{i}") for i, t in enumerate(late)]
            records = {}
            for i, trace in enumerate(fresh):
                link, record = _span_call(rec, trace, f"{trace}-new", new_model)
                links += [_agent_span(trace, f"z-{attempt}-{side}-{i}"), link]
                records[record.id] = record
            exports.append((PROJECT, links, records, resolve_place))
        pairs = zip(exports, stores, strict=True)
        _run_together([lambda e=e, s=s: s.ingest_spans(*e) for e, s in pairs])
    by_model = MetricsQuery(group_by=(Dimension.MODEL,))
    groups = stores[0].query_metrics(PROJECT, by_model).groups
    # each model: 64 new calls in 64 sessions z-*, 64 moved calls in 64 sessions p-*
    assert [(row.requests, row.sessions) for row in groups] == [(128, 128), (128, 128)]
    assert stores[1].query_sessions(PROJECT, SessionQuery()).total == 256


def test_an_otlp_export_meeting_a_deadlock_is_retried(
    open_pg: Callable[..., PostgresStore],
    rec: Callable[..., Record],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An export whose transaction PostgreSQL aborts for a deadlock is stored again in a
    new one, as a native batch is (before: the error went up as it was, a 500 for the
    exporter); with no attempt left, the store answers 'unavailable' (retry later)."""
    store = open_pg(pool_max=2)
    aborted: list[int] = []

    def deadlocked_once(conn: Any, *args: Any, **kwargs: Any) -> Any:
        if not aborted:
            aborted.append(1)
            conn.execute("SELECT 1")  # the transaction has begun
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return ingest_spans(conn, *args, **kwargs)

    monkeypatch.setattr(sql_module, "ingest_spans", deadlocked_once)
    trace = "f" * 32
    link, record = _span_call(rec, trace, "retried-call")
    links = [_agent_span(trace, "retried"), link]
    counts = store.ingest_spans(PROJECT, links, {record.id: record}, resolve_place)
    assert (aborted, counts.accepted, counts.duplicates) == ([1], 1, 0)
    detail = store.get_session(PROJECT, "retried")
    assert detail is not None
    assert detail.session.request_count == 1
    aborted.clear()
    monkeypatch.setattr(postgres_module, "_INGEST_ATTEMPTS", 1)
    with pytest.raises(StoreUnavailableError, match="deadlock detected"):
        store.ingest_spans(PROJECT, links, {record.id: record}, resolve_place)
