"""The hourly metrics rollup (migrations 8 and 12) on SQLite and PostgreSQL: whatever a
query reads from it answers exactly what the records answer, at the partial hours of a
range too, after a prune, after records move between sessions, with session numbers in
several blocks, and when the rollup is filled from the records by the migrations.

Every record carries the property ``all=yes``: filtering on it gives the same requests but
makes a query scan the records (the rollup keeps no property), which is what the rollup's
answers are compared with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.store import SqlStore, Store
from agenttrace.server.store._metrics_rollup import HOUR_US, plan, recount_sessions
from agenttrace.server.store._rollup_cells import BLOCK
from agenttrace.server.store._time_buckets import Bucketing, time_zone
from agenttrace.server.store.filters import and_
from agenttrace.server.store.metrics import (
    BucketUnit,
    Dimension,
    MetricsQuery,
    MetricsResult,
    metrics_filter,
)
from agenttrace.server.store.migrations import MIGRATIONS

PROJECT = "default"
T0 = datetime(2025, 3, 29, 20, tzinfo=UTC)  # Lisbon moves to summer time on the 30th
MODELS = ("gpt-4o", "gpt-4o-mini", None, "")


def _records() -> list[Record]:
    """Ninety requests over 30 hours: four models (none and an empty name among them),
    two providers, errors, tools without a model, calls that never ended, streamed calls,
    and sessions that span several hours."""
    out = []
    for i in range(90):
        start = T0 + timedelta(minutes=20 * i + (i % 7))
        ended = i % 11 != 5
        out.append(
            Record(
                id=f"r{i:03d}",
                kind="tool" if i % 9 == 0 else "llm",
                session_id=f"s{i // 8}",
                model=MODELS[i % 4],
                provider="openai" if i % 3 else None,
                status="error" if i % 6 == 1 else "ok",
                start_time=start,
                end_time=start + timedelta(milliseconds=100 + 37 * i) if ended else None,
                time_to_first_token_ms=15.0 + i if i % 2 else None,
                usage={"input_tokens": 10 * i, "output_tokens": i, "cache_read_tokens": i % 5,
                       "reasoning_tokens": i % 3},
                cost_usd=0.001 * i if i % 4 else None,
                properties={"all": "yes"},
            )
        )  # fmt: skip
    return out


@pytest.fixture
def loaded(store: Store) -> Store:
    """The store holding `_records` (and a record of another project)."""
    store.ingest(PROJECT, _records())
    other = _records()[0].model_copy(update={"id": "other"})
    store.ingest("other-project", [other])
    return store


def _scanned(query: MetricsQuery) -> MetricsQuery:
    """The same query, made to scan the records by a filter every record meets."""
    extra = metrics_filter(properties=[("all", "yes")])
    items = (query.filter, extra) if query.filter is not None else (extra,)
    return MetricsQuery(
        filter=and_(*items),
        group_by=query.group_by,
        bucket=query.bucket,
        tz=query.tz,
        since=query.since,
        until=query.until,
    )


def _same(rollup: MetricsResult, scan: MetricsResult) -> None:
    assert len(rollup.groups) == len(scan.groups)
    for got, want in zip(rollup.groups, scan.groups, strict=True):
        for name, value in want.model_dump().items():
            if isinstance(value, float):
                assert getattr(got, name) == pytest.approx(value, rel=1e-9), name
            else:
                assert getattr(got, name) == value, (name, got.key, got.bucket_start)


TIME_MODEL = (Dimension.TIME, Dimension.MODEL)
QUERIES: dict[str, dict[str, Any]] = {
    "day x model, Lisbon": {"group_by": TIME_MODEL, "bucket": "day", "tz": "Europe/Lisbon"},
    "hour x status x kind": {
        "group_by": (Dimension.TIME, Dimension.STATUS, Dimension.KIND),
        "bucket": "hour",
    },
    "provider, everything": {"group_by": (Dimension.PROVIDER,)},
    "nothing": {"group_by": ()},
    "model, a range cutting hours": {
        "group_by": (Dimension.MODEL,),
        "since": T0 + timedelta(minutes=95),
        "until": T0 + timedelta(hours=20, minutes=7),
    },
    "day x provider, New York, a range and a model": {
        "group_by": (Dimension.TIME, Dimension.PROVIDER),
        "bucket": "day",
        "tz": "America/New_York",
        "since": T0 + timedelta(minutes=1),
        "until": T0 + timedelta(hours=29, minutes=59),
        "model": "gpt-4o",
    },
    "empty model name": {"group_by": (Dimension.STATUS,), "model": ""},
}


def _query(spec: dict[str, Any]) -> MetricsQuery:
    spec = dict(spec)
    since, until, model = spec.pop("since", None), spec.pop("until", None), spec.pop("model", None)
    return MetricsQuery(
        filter=metrics_filter(since=since, until=until, model=model),
        since=since,
        until=until,
        **{key: BucketUnit(value) if key == "bucket" else value for key, value in spec.items()},
    )


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_the_rollup_answers_what_the_records_answer(loaded: Store, name: str) -> None:
    """Sums, histograms, percentiles and distinct sessions match a scan of the records,
    for whole and partial hours, local days across a DST change, none and '' models."""
    query = _query(QUERIES[name])
    bucketing = Bucketing(query.bucket, time_zone(query.tz))
    low = int(T0.timestamp()) * 1_000_000
    assert plan(query, bucketing, low, low + 30 * HOUR_US) is not None  # read from the rollup
    _same(loaded.query_metrics(PROJECT, query), loaded.query_metrics(PROJECT, _scanned(query)))


def test_what_cannot_come_from_the_rollup_is_not_planned() -> None:
    """Minute buckets, half-hour zones, property groups and other filters scan."""
    low, high = 0, 86400 * 1_000_000 * 365
    utc, kolkata = time_zone("UTC"), time_zone("Asia/Kolkata")
    by_time = (Dimension.TIME,)
    assert plan(MetricsQuery(group_by=by_time), Bucketing(BucketUnit.HOUR, utc), low, high)
    assert not plan(MetricsQuery(group_by=by_time), Bucketing(BucketUnit.MINUTE, utc), low, high)
    assert not plan(MetricsQuery(group_by=by_time), Bucketing(BucketUnit.DAY, kolkata), low, high)
    assert not plan(MetricsQuery(group_by=(Dimension.USER,)), None, low, high)
    assert not plan(MetricsQuery(filter=metrics_filter(user_id="u")), None, low, high)
    short = metrics_filter(since=T0, until=T0 + timedelta(minutes=30))
    assert not plan(MetricsQuery(filter=short), None, low, high)  # under an hour: scan


def test_the_rollup_follows_a_prune(store_factory: Any) -> None:
    """Pruning sessions takes their records out of the rollup's sums and sessions."""
    store = store_factory.open()
    store.ingest(PROJECT, _records())
    store.prune(T0 + timedelta(hours=12))
    query = _query(QUERIES["day x model, Lisbon"])
    rollup = store.query_metrics(PROJECT, query)
    assert 0 < sum(row.requests for row in rollup.groups) < 90
    scan = store.query_metrics(PROJECT, _scanned(query))
    assert [g.requests for g in rollup.groups] == [g.requests for g in scan.groups]
    assert [g.sessions for g in rollup.groups] == [g.sessions for g in scan.groups]
    assert [g.cost_usd for g in rollup.groups] == pytest.approx([g.cost_usd for g in scan.groups])


_CELL_TABLES = ("metrics_hourly_digests", "metrics_hourly_session_bits", "metrics_session_numbers")


@pytest.mark.parametrize("name", ["hour x status x kind", "day x model, Lisbon"])
def test_the_migrations_fill_the_rollup_from_the_records(loaded: Store, name: str) -> None:
    """Emptied, filled again by migration 8's statements (rows per histogram bucket and
    per session, as a database of 0.3.0 holds them), then made compact by migration 12,
    the rollup answers the same."""
    assert isinstance(loaded, SqlStore)
    query = _query(QUERIES[name])
    before = loaded.query_metrics(PROJECT, query)
    old, new = [next(m for m in MIGRATIONS if m.version == v) for v in (8, 12)]
    words = loaded.dialect.schema_words
    with loaded._write() as conn:  # the migrations' own steps, as a migration runs them
        for table in ("metrics_hourly", "metrics_hourly_sessions", *_CELL_TABLES):
            conn.execute(f"DELETE FROM {table}")
        for table in _CELL_TABLES:
            conn.execute(f"DROP TABLE {table}")
        for statement in old.statements:
            if "metrics_hourly_latency" in statement or "metrics_hourly_ttft" in statement:
                conn.execute(statement.format(**words))  # the tables 12 dropped, filled
            elif statement.startswith("INSERT"):
                conn.execute(statement.format(**words))
        for statement in new.statements:
            conn.execute(statement.format(**words))
        assert new.then is not None
        new.then(conn, loaded.dialect)
    _same(loaded.query_metrics(PROJECT, query), before)


def test_sessions_across_the_partial_and_whole_hours_count_once(store: Store) -> None:
    """A session with requests in a cut hour and in whole hours is one session."""
    start = T0 + timedelta(minutes=30)
    records = [
        Record(id=f"x{i}", session_id="one", start_time=start + timedelta(minutes=40 * i))
        for i in range(4)
    ]
    store.ingest(PROJECT, records)
    since = T0 + timedelta(minutes=10)
    query = MetricsQuery(filter=metrics_filter(since=since), since=since)
    (row,) = store.query_metrics(PROJECT, query).groups
    assert (row.requests, row.sessions) == (4, 1)


def _all_same(store: Store) -> None:
    for spec in QUERIES.values():
        query = _query(spec)
        _same(store.query_metrics(PROJECT, query), store.query_metrics(PROJECT, _scanned(query)))


def test_the_rollup_follows_records_moving_between_sessions(loaded: Store) -> None:
    """Records re-placed into another session (as OTLP ingest does when a span's parent
    names the session later) count in their new session's cells, no longer in the old."""
    assert isinstance(loaded, SqlStore)
    move = loaded.dialect.sql(
        "UPDATE records SET session_id = ? WHERE project_id = ? AND id >= ? AND id <= ?"
    )
    with loaded._write() as conn:  # as `otlp_spans` moves records
        conn.execute(move, ("s0", PROJECT, "r026", "r029"))  # part of s3 joins s0
        conn.execute(move, ("fresh", PROJECT, "r040", "r047"))  # all of s5, to a new one
        recount_sessions(conn, loaded.dialect, PROJECT, ["fresh", "s0", "s3", "s5"])
        numbered = conn.execute(
            loaded.dialect.sql(
                "SELECT session_id FROM metrics_session_numbers WHERE project_id = ?"
            ),
            (PROJECT,),
        ).fetchall()
    assert {row[0] for row in numbered} >= {"fresh", "s0", "s3"}
    assert "s5" not in {row[0] for row in numbered}  # left with no record: its number goes
    _all_same(loaded)


def test_sessions_in_far_blocks_of_numbers_count_once(store: Store) -> None:
    """A session numbered blocks away from the others (as in a project with more than
    `BLOCK` sessions before it) is counted once, in whole and in partial hours."""
    assert isinstance(store, SqlStore)
    with store._write() as conn:
        conn.execute(
            store.dialect.sql(
                "INSERT INTO metrics_session_numbers (number, project_id, session_id) "
                "VALUES (?, ?, ?), (?, ?, ?)"
            ),
            (3 * BLOCK + 5, PROJECT, "s1", 2 * BLOCK - 1, PROJECT, "s2"),
        )
    store.ingest(PROJECT, _records())
    _all_same(store)
