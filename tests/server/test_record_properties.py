"""Record properties as migration 4 keeps them: one row per property, stored by its pair
(project, key, value, record) only; found through that key, carried over from a database
that migration 3 left, and deleted with their records by ``prune``.

Written once against the `Store` interface; runs for every backend in ``STORE_BACKENDS``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.support.older_schema import database_at_version

from agenttrace.records import Record
from agenttrace.server.store import RequestQuery, SqlStore, Store, _metrics_rollup, request_filter
from agenttrace.server.store._compile import compile_filter
from agenttrace.server.store._ingest import ingest_records
from agenttrace.server.store.metrics import MetricsQuery
from agenttrace.server.store.migrations import MIGRATIONS

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _records(prefix: str, count: int, start: datetime = T0) -> list[Record]:
    """``count`` records in sessions of four from ``start``, with a team that repeats and a
    unique ticket."""
    return [
        Record(
            id=f"{prefix}-{i:03d}",
            session_id=f"{prefix}-session-{i // 4}",
            properties={"team": ("red", "blue", "green")[i % 3], "ticket": f"{prefix}-t{i}"},
            start_time=start + timedelta(seconds=i),
            end_time=start + timedelta(seconds=i, milliseconds=300),
        )
        for i in range(count)
    ]


def _ids_with(store: Store, key: str, value: str) -> list[str]:
    page = store.query_requests(
        "p", RequestQuery(filter=request_filter(properties=[(key, value)]), limit=500)
    )
    return sorted(row.id for row in page.requests)


def test_migration_4_carries_over_the_properties_of_an_older_database(
    store_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records stored under schema version 3 are found by property after the upgrade, as
    are records stored after it."""
    assert MIGRATIONS[3].version == 4
    before = _records("old", 12)
    with (
        database_at_version(store_factory.database_url, 3) as (conn, dialect),
        monkeypatch.context() as older,
    ):
        # a collector of that time kept no metrics rollup (migration 8 fills it)
        older.setattr(_metrics_rollup, "add_rows_to_rollup", lambda *_: None)
        ingest_records(conn, dialect, "p", before, 1)
        old_rows = conn.execute("SELECT count(*) FROM record_properties").fetchall()
    assert old_rows[0][0] == 24

    store = store_factory.open()
    assert store.applied_migrations == [m.version for m in MIGRATIONS[3:]]
    assert store.schema_version() == MIGRATIONS[-1].version
    assert store.ingest("p", _records("new", 6)).accepted == 6

    assert _ids_with(store, "team", "red") == [
        *(f"new-{i:03d}" for i in (0, 3)),
        *(f"old-{i:03d}" for i in (0, 3, 6, 9)),
    ]
    assert _ids_with(store, "ticket", "old-t7") == ["old-007"]
    assert _ids_with(store, "ticket", "new-t5") == ["new-005"]
    assert _ids_with(store, "team", "purple") == []
    assert store.ingest("p", before).duplicates == 12
    # every row moved once, and the old table is gone
    assert isinstance(store, SqlStore)
    with store._read() as conn:
        count = conn.execute("SELECT count(*) FROM record_properties").fetchall()[0][0]
        leftover = conn.execute(
            store.dialect.sql(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_name = ? AND table_schema = current_schema()"
                if store.backend == "postgresql"
                else "SELECT count(*) FROM sqlite_master WHERE name = ?"
            ),
            ("record_properties_v3",),
        ).fetchall()[0][0]
    assert (count, leftover) == (24 + 12, 0)
    (everything,) = store.query_metrics("p", MetricsQuery()).groups  # the rollup has them all
    assert everything.requests == 18


def test_prune_deletes_every_property_row_of_the_records_it_deletes(store: Store) -> None:
    """Records with two properties each, in old and new sessions: after the prune only the
    new records' rows are left, and the old records can be stored again."""
    old = _records("old", 8)
    new = _records("new", 4, start=T0 + timedelta(days=60))
    store.ingest("p", old + new)
    counts = store.prune(T0 + timedelta(days=30), batch_sessions=1)
    assert (counts.sessions, counts.records) == (2, 8)
    assert isinstance(store, SqlStore)
    with store._read() as conn:
        left = conn.execute("SELECT record_id, key FROM record_properties").fetchall()
    assert sorted(tuple(row) for row in left) == sorted(
        (f"new-{i:03d}", key) for i in range(4) for key in ("team", "ticket")
    )
    assert _ids_with(store, "team", "red") == ["new-000", "new-003"]
    assert store.ingest("p", old).accepted == 8
    assert _ids_with(store, "ticket", "old-t7") == ["old-007"]


def test_filtering_requests_by_property_reads_the_pair_key(store: Store, query_plan: Any) -> None:
    """A request filter on a property finds its records through the primary key of
    record_properties (project, key, value, record), not by reading the table."""
    store.ingest("p", _records("r", 300))
    assert isinstance(store, SqlStore)
    condition, params = compile_filter(
        request_filter(properties=[("ticket", "r-t42")]), "request", store.dialect, "p"
    )
    sql = f"SELECT r.id FROM records r WHERE r.project_id = ? AND ({condition})"
    plan = query_plan(store, sql, ["p", *params])
    if store.backend == "postgresql":
        assert "Index Only Scan using record_properties_by_pair" in plan, plan
    else:
        assert "SEARCH rp USING PRIMARY KEY (project_id=? AND key=? AND value=?)" in plan, plan
    assert _ids_with(store, "ticket", "r-t42") == ["r-042"]
