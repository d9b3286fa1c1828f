"""Store contract, ingest side: idempotency, rollups in any order, projects, restarts.

Written once against the `Store` interface; runs for every backend in ``STORE_BACKENDS``.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.store import SessionQuery, Store, session_filter
from agenttrace.server.store.migrations import MIGRATIONS

PROJECT = "default"


def _records(dicts: list[dict[str, Any]]) -> list[Record]:
    return [Record.model_validate(d) for d in dicts]


def _session(store: Store, session_id: str, project: str = PROJECT) -> dict[str, Any]:
    detail = store.get_session(project, session_id)
    assert detail is not None, f"session {session_id} not found"
    return detail.session.model_dump(mode="json")


def test_ingest_counts_new_records_and_duplicates(store: Store, hand_built: Any) -> None:
    """A first batch is accepted; the same batch again is all duplicates."""
    first = store.ingest(PROJECT, hand_built.models())
    again = store.ingest(PROJECT, hand_built.models())
    assert (first.accepted, first.duplicates) == (5, 0)
    assert (again.accepted, again.duplicates) == (0, 5)


def test_duplicate_batch_leaves_metrics_unchanged(store: Store, hand_built: Any) -> None:
    """Re-sending a batch does not change any session metric (no double counting)."""
    store.ingest(PROJECT, hand_built.models())
    before = _session(store, hand_built.session_id)
    store.ingest(PROJECT, hand_built.models())
    assert _session(store, hand_built.session_id) == before
    assert before == hand_built.session


def test_repeated_id_within_one_batch_is_stored_once(store: Store, make_record: Any) -> None:
    """Two records with one id in a batch: the first is stored, the second is a duplicate."""
    first = make_record("dup", "s-dup", start_ms=0, end_ms=10, cost_usd=1.0)
    second = make_record("dup", "s-dup", start_ms=0, end_ms=99, cost_usd=5.0)
    counts = store.ingest(PROJECT, _records([first, second]))
    assert (counts.accepted, counts.duplicates) == (1, 1)
    session = _session(store, "s-dup")
    assert session["request_count"] == 1
    assert session["cost_usd"] == pytest.approx(1.0)


def test_batches_in_any_order_give_the_same_metrics(store: Store, hand_built: Any) -> None:
    """Records arriving late and out of order across batches roll up to the same session."""
    models = hand_built.models()
    store.ingest(PROJECT, [models[4], models[3]])
    store.ingest(PROJECT, [models[2]])
    store.ingest(PROJECT, [models[0], models[1], models[3]])  # r4 again: a duplicate
    assert _session(store, hand_built.session_id) == hand_built.session


def test_session_cost_is_null_until_a_request_has_a_cost(store: Store, make_record: Any) -> None:
    """cost_usd stays null without costs, and becomes their sum once one arrives."""
    store.ingest(PROJECT, _records([make_record("a", "s-cost", start_ms=0, end_ms=5)]))
    assert _session(store, "s-cost")["cost_usd"] is None
    store.ingest(PROJECT, _records([make_record("b", "s-cost", start_ms=1, cost_usd=0.5)]))
    assert _session(store, "s-cost")["cost_usd"] == pytest.approx(0.5)


def test_interrupted_cancelled_and_handoff_are_not_errors(store: Store, make_record: Any) -> None:
    """A session whose requests were interrupted, cancelled or handed off is ok."""
    batch = [
        make_record("i", "s-ok", start_ms=0, end_ms=1, status="interrupted"),
        make_record("c", "s-ok", start_ms=2, end_ms=3, status="cancelled"),
        make_record("h", "s-ok", start_ms=4, end_ms=5, status="handoff"),
    ]
    store.ingest(PROJECT, _records(batch))
    session = _session(store, "s-ok")
    assert (session["status"], session["error_count"]) == ("ok", 0)


def test_projects_do_not_see_each_other(store: Store, make_record: Any) -> None:
    """The same ids in two projects are two records; queries see only their project."""
    record = _records([make_record("same-id", "same-session", start_ms=0, cost_usd=1.0)])
    assert store.ingest("alpha", record).accepted == 1
    assert store.ingest("beta", record).accepted == 1
    assert store.query_sessions("alpha", SessionQuery()).total == 1
    assert store.query_sessions("gamma", SessionQuery()).total == 0
    assert store.get_session("gamma", "same-session") is None
    assert store.get_request("gamma", "same-id") is None
    assert store.get_request("beta", "same-id") is not None


def test_concurrent_ingest_of_one_batch_stores_it_once(store: Store, hand_built: Any) -> None:
    """Eight threads posting the same batch at once: stored once, metrics exact."""
    models = hand_built.models()
    results: list[tuple[int, int]] = []
    barrier = threading.Barrier(8)
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        counts = store.ingest(PROJECT, models)
        with lock:
            results.append((counts.accepted, counts.duplicates))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(accepted for accepted, _ in results) == 5
    assert sum(duplicates for _, duplicates in results) == 35
    assert _session(store, hand_built.session_id) == hand_built.session


def test_reopening_keeps_data_and_does_not_rerun_migrations(
    store_factory: Any, hand_built: Any
) -> None:
    """Close and reopen the same database: data is there, no migration applied again."""
    first = store_factory.open()
    assert first.schema_version() == MIGRATIONS[-1].version
    first.ingest(PROJECT, hand_built.models())
    first.close()
    second = store_factory.open()
    assert second.applied_migrations == []
    assert second.schema_version() == MIGRATIONS[-1].version
    assert _session(second, hand_built.session_id) == hand_built.session
    assert second.ingest(PROJECT, hand_built.models()).duplicates == 5


def test_first_open_applies_every_migration(store_factory: Any) -> None:
    """A new database gets every numbered migration, in order."""
    store = store_factory.open()
    assert store.applied_migrations == [m.version for m in MIGRATIONS]


def test_closed_store_says_so(store_factory: Any) -> None:
    """Using a closed store raises an error naming what to do; closing twice is fine."""
    from agenttrace.exceptions import UserError

    store = store_factory.open()
    store.close()
    store.close()
    with pytest.raises(UserError, match="closed"):
        store.query_sessions(PROJECT, SessionQuery(filter=session_filter(name="x")))
