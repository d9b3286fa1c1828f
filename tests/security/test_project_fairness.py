"""One project's backlog does not hold up another project's ingest: a large batch is
stored in parts, and another project's batch waiting to write goes in after the part in
hand, not after the whole batch. Observed by the order of commits (each transaction's
``received_us``), not by time; a real collector over a real SQLite file, whose writer is
held still (as another collector process writing the file would) while the two batches
line up."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.records import Record
from agenttrace.server._fair_ingest import FairIngest, IngestQueues, chunks, record_units
from agenttrace.server.store.base import IngestCounts
from agenttrace.server.store.sqlite import SQLiteStore
from agenttrace.server.testing import RunningCollector, running_collector

from .conftest import MakeRecord, bearer, keys_of

fcntl = pytest.importorskip("fcntl", reason="the SQLite store's writer lock needs fcntl")

DEADLINE_S = 30.0
OTLP_EXPORT = (
    Path(__file__).resolve().parents[1] / "otlp" / "fixtures" / "supervisor-openinference.pb"
)
"""An OTLP export recorded from OpenInference's instrumentor: 30 spans, 9 of them calls."""


@contextmanager
def _writer_lock(database: Path) -> Iterator[None]:
    """Hold the SQLite store's cross-process writer lock, as a collector process in the
    middle of a write would."""
    with database.with_name(database.name + ".writer-lock").open("a+b") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def _wait_for(
    collector: RunningCollector, condition: Callable[[IngestQueues], bool], what: str
) -> None:
    """Poll the collector's ingest queues until ``condition`` holds (they offer nothing to
    wait on from this thread)."""
    ingest = getattr(collector.app.state, "ingest", None)
    assert ingest is not None, "the collector has no ingest queues to line batches up in"
    deadline = time.monotonic() + DEADLINE_S
    while not condition(ingest.queues()):
        assert time.monotonic() < deadline, f"{what} never happened: {ingest.queues()}"
        time.sleep(0.005)


def _post(url: str, key: str, records: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/records", json={"records": records}, headers=bearer(key), timeout=60
    )


Commits = dict[str, list[int]]
"""Per project, the ``received_us`` of its stored records (one value per transaction)."""


def _beside_a_large_batch(
    tmp_path: Path, record: MakeRecord, post_beta: Callable[[str, str], httpx.Response]
) -> tuple[tuple[httpx.Response, httpx.Response], Commits]:
    """Project alpha posts a large batch (600 records with 64 properties, about 300 ms of
    work); once it is writing (its writer held still), ``post_beta(url, beta's key)`` is
    posted and waits for its turn to write; then the writer is let go. Both answers, and
    the commits of each project."""
    properties = {f"key-{k}": f"value-{k}" for k in range(64)}
    large = [record(f"a-{i:03}", "s-a", properties=properties) for i in range(600)]
    with running_collector(data_dir=tmp_path, rate_limit=None) as collector:
        keys = keys_of(collector)
        alpha, beta = keys.create_key("alpha").secret, keys.create_key("beta").secret
        assert isinstance(collector.store, SQLiteStore)
        database = collector.store.path
        with ThreadPoolExecutor(2) as pool:
            with _writer_lock(database):
                posted_large = pool.submit(_post, collector.url, alpha, large)
                _wait_for(collector, lambda q: q.writing == {"alpha": 1}, "alpha writing")
                posted_beta = pool.submit(post_beta, collector.url, beta)
                _wait_for(collector, lambda q: q.waiting == {"beta": 1}, "beta waiting")
            answers = posted_large.result(DEADLINE_S), posted_beta.result(DEADLINE_S)
        with sqlite3.connect(database) as conn:
            rows = conn.execute("SELECT project_id, received_us FROM records").fetchall()
    commits: Commits = {}
    for project, received in rows:
        commits.setdefault(project, []).append(received)
    return answers, commits


def test_a_small_batch_commits_between_the_parts_of_a_large_one(
    tmp_path: Path, record: MakeRecord
) -> None:
    """While project alpha's large batch is written, project beta's one-record batch does
    not wait for all of it: it commits after alpha's first part and before the rest (well
    before, since a turn lasts 50 ms), and both batches are stored whole and answered in
    full."""
    answers, commits = _beside_a_large_batch(
        tmp_path, record, lambda url, key: _post(url, key, [record("b-1", "s-b")])
    )
    assert [answer.json()["accepted"] for answer in answers] == [600, 1]
    assert len(commits["alpha"]) == 600
    assert min(commits["alpha"]) < commits["beta"][0] < max(commits["alpha"])


def test_an_otlp_export_waits_for_a_part_not_for_a_large_batch(
    tmp_path: Path, record: MakeRecord
) -> None:
    """OTLP ingest takes its turn as ``/v1/records`` does: while project alpha's large
    batch is written, project beta's OTLP export waits in the turns to write and commits
    between alpha's parts, all its spans in one transaction."""
    pytest.importorskip("opentelemetry.proto", reason="OTLP ingest needs opentelemetry-proto")
    export = OTLP_EXPORT.read_bytes()

    def post_export(url: str, key: str) -> httpx.Response:
        headers = {**bearer(key), "Content-Type": "application/x-protobuf"}
        return httpx.post(f"{url}/v1/traces", content=export, headers=headers, timeout=60)

    answers, commits = _beside_a_large_batch(tmp_path, record, post_export)
    assert [answer.status_code for answer in answers] == [200, 200]
    assert len(commits["beta"]) == 9
    assert len(set(commits["beta"])) == 1, "an export is one transaction"
    assert min(commits["alpha"]) < commits["beta"][0] < max(commits["alpha"])


def _records(prefix: str, count: int, properties: int = 0) -> list[Record]:
    return [
        Record(
            id=f"{prefix}-{i:03}",
            session_id=f"s-{prefix}",
            properties={f"k{k}": "v" for k in range(properties)},
        )
        for i in range(count)
    ]


def test_chunks_keep_the_order_within_the_units() -> None:
    """Records go into consecutive chunks of at most the units given (a record costs three
    plus one per property plus its share of the body); a record above them is alone."""
    records = [*_records("a", 4, properties=2), *_records("b", 1, properties=20)]
    assert [record_units(record) for record in records] == [5, 5, 5, 5, 23]
    assert [len(chunk) for chunk in chunks(records, chunk_units=10)] == [2, 2, 1]
    shared = 5 * 1536  # the batch's bytes: one unit more per record
    assert [len(chunk) for chunk in chunks(records, chunk_units=12, body_bytes=shared)] == [2, 2, 1]
    assert [len(chunk) for chunk in chunks(records, chunk_units=11, body_bytes=shared)] == [1] * 5
    assert [r.id for chunk in chunks(records, chunk_units=10) for r in chunk] == [
        r.id for r in records
    ]


async def _until(ingest: FairIngest, condition: Callable[[IngestQueues], bool]) -> None:
    """Let the event loop run until ``condition`` holds for the queues."""
    for _ in range(100_000):
        if condition(ingest.queues()):
            return
        await asyncio.sleep(0.001)
    msg = f"the queues never got there: {ingest.queues()}"
    raise AssertionError(msg)


def _commit_order(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT id FROM records ORDER BY received_us, id").fetchall()
    return [row[0] for row in rows]


def test_turns_to_write_go_round_robin_over_projects(tmp_path: Path) -> None:
    """With alpha writing and a second alpha batch queued before beta's, beta writes
    next: turns rotate over projects, not over arrival."""
    store = SQLiteStore(tmp_path / "fair.db")
    ingest = FairIngest(store)

    async def scenario() -> None:
        with _writer_lock(store.path):
            first = asyncio.create_task(ingest.write("alpha", _records("a1", 1)))
            await _until(ingest, lambda q: q.writing == {"alpha": 1})
            second = asyncio.create_task(ingest.write("alpha", _records("a2", 1)))
            await _until(ingest, lambda q: q.waiting == {"alpha": 1})
            third = asyncio.create_task(ingest.write("beta", _records("b1", 1)))
            await _until(ingest, lambda q: q.waiting == {"alpha": 1, "beta": 1})
        await asyncio.gather(first, second, third)

    try:
        asyncio.run(scenario())
        assert _commit_order(store.path) == ["a1-000", "b1-000", "a2-000"]
    finally:
        store.close()


def test_a_batch_in_many_transactions_counts_as_one(tmp_path: Path) -> None:
    """Stored part by part, one transaction each, a batch with an id repeated across parts
    counts it once as a duplicate, and storing the batch again counts all duplicates."""
    store = SQLiteStore(tmp_path / "parts.db")
    ingest = FairIngest(store, part_units=10, transaction_units=10)
    batch = [*_records("a", 6, properties=2), *_records("a", 1, properties=2)]

    async def twice() -> list[IngestCounts]:
        return [await ingest.write("alpha", batch), await ingest.write("alpha", batch)]

    try:
        first, again = asyncio.run(twice())
        with sqlite3.connect(store.path) as conn:
            transactions = conn.execute("SELECT COUNT(DISTINCT received_us) FROM records")
            assert transactions.fetchone()[0] == 3
    finally:
        store.close()
    assert first == IngestCounts(accepted=6, duplicates=1)
    assert again == IngestCounts(accepted=0, duplicates=7)


def test_a_cancelled_wait_gives_its_turn_back(tmp_path: Path) -> None:
    """A write cancelled while it waits for its turn leaves the queues as they were: the
    turn is not lost and the next write goes ahead."""
    store = SQLiteStore(tmp_path / "cancel.db")
    ingest = FairIngest(store)

    async def scenario() -> None:
        with _writer_lock(store.path):
            first = asyncio.create_task(ingest.write("alpha", _records("a", 1)))
            await _until(ingest, lambda q: q.writing == {"alpha": 1})
            waiting = asyncio.create_task(ingest.write("beta", _records("b", 1)))
            await _until(ingest, lambda q: q.waiting == {"beta": 1})
            waiting.cancel()
            await _until(ingest, lambda q: q.waiting == {})
        await first
        await ingest.write("gamma", _records("c", 1))

    try:
        asyncio.run(scenario())
        assert ingest.queues() == IngestQueues(parsing={}, writing={}, waiting={})
        assert _commit_order(store.path) == ["a-000", "c-000"]
    finally:
        store.close()
