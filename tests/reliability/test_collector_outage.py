"""The collector down in the middle of a run: nothing lost, nothing stored twice.

A run of 20,000 records from four threads; the collector process goes away for the middle
third and comes back. Then the same with the client process itself exiting while the
collector is down: its spool holds the rest, and a new process delivers it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from faultkit import AckLog, CollectorProcess, Workload, read_database, wait_until
from faultkit.children import EmitterProcess

from agenttrace._internal.shipping import Shipper, record_ids

WORKERS = 4
PER_WORKER = 5_000
TOTAL = WORKERS * PER_WORKER


def emit_from_threads(shipper: Shipper, workload: Workload, indexes: range) -> None:
    """``record(worker, i)`` for every i in ``indexes``, from `WORKERS` threads at once."""

    def work(worker: int) -> None:
        for index in indexes:
            record = workload.record(worker, index)
            workload.note(record)
            shipper.emit(record)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def session_request_counts(url: str) -> dict[str, int]:
    """``request_count`` of every session, through the collector's query API."""
    answer = httpx.get(f"{url}/v1/sessions", params={"limit": 1000}, timeout=30)
    answer.raise_for_status()
    return {row["session_id"]: row["request_count"] for row in answer.json()["sessions"]}


def spooled_ids(spool_dir: Path) -> list[str]:
    """The ids in every ready spool file (a list: a record spooled twice shows twice)."""
    return [i for path in sorted(spool_dir.glob("*.json")) for i in record_ids(path.read_bytes())]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_collector_down_mid_run_loses_and_duplicates_nothing(
    sqlite_url: str,
    collectors: Callable[[str], CollectorProcess],
    shippers: Callable[..., Shipper],
    workload: Workload,
) -> None:
    """20,000 records from 4 threads with the collector stopped for the middle third are
    all stored exactly once, and every session's rollup counts them exactly once."""
    collector = collectors(sqlite_url)
    collector.start()
    acks = AckLog()
    shipper = shippers(
        collector.url, transport=acks, queue_size=2_000, batch_size=500, retry_deadline=1.0
    )
    thirds = [range(1_667), range(1_667, 3_334), range(3_334, PER_WORKER)]

    emit_from_threads(shipper, workload, thirds[0])
    assert collector.stop() == 0  # graceful: in-flight requests are answered first
    down_at = time.monotonic()
    spooled_before = shipper.stats.spooled  # the first third overflowed the queue already
    emit_from_threads(shipper, workload, thirds[1])
    wait_until(
        lambda: shipper.stats.spooled > spooled_before, 60, "records spooled while it is down"
    )
    spooled_while_down = shipper.stats.spooled - spooled_before
    collector.start()
    up_at = time.monotonic()
    emit_from_threads(shipper, workload, thirds[2])
    assert shipper.flush(180), shipper.stats
    delivered_at = time.monotonic()

    stored = read_database(sqlite_url)
    verdict = workload.verify(stored)
    assert verdict.problems == []
    assert (verdict.expected, verdict.stored_rows, verdict.stored_distinct) == (TOTAL,) * 3
    assert verdict.rolled_up_requests == TOTAL
    assert sum(session_request_counts(collector.url).values()) == TOTAL
    stats = shipper.stats
    assert (stats.emitted, stats.dropped, stats.rejected) == (TOTAL, 0, 0)
    assert stats.sent + stats.duplicates == TOTAL
    assert spooled_while_down > 0
    assert stats.delivered_from_spool == stats.spooled
    assert acks.acknowledged() == workload.ids()
    first_ack = min(a.ended for a in acks.with_status(200, since=up_at))
    print(
        f"\noutage: emitted={TOTAL} acknowledged={len(acks.acknowledged())} "
        f"stored={verdict.stored_distinct} rows={verdict.stored_rows} "
        f"duplicates_in_db={verdict.duplicates} collector_duplicates={stats.duplicates} "
        f"spooled={stats.spooled} (while down: {spooled_while_down}) "
        f"delivered_from_spool={stats.delivered_from_spool} "
        f"retries={stats.retries} down_for={up_at - down_at:.1f}s "
        f"first_ack_after_restart={first_ack - up_at:.2f}s "
        f"all_delivered_after_restart={delivered_at - up_at:.2f}s"
    )


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_client_exits_while_collector_is_down_and_the_next_process_delivers(
    sqlite_url: str,
    collectors: Callable[[str], CollectorProcess],
    emitters: Callable[..., EmitterProcess],
    spool_dir: Path,
    workload: Workload,
) -> None:
    """A client process emits 10,000 records, the collector is killed, it emits 10,000 more
    and exits: its spool holds exactly those; a new process delivers them, once each."""
    collector = collectors(sqlite_url)
    collector.start()
    half = PER_WORKER // 2
    common = ["--spool-dir", str(spool_dir), "--run-id", workload.run_id]
    client = emitters(
        "--endpoint", collector.url, *common, "--workers", str(WORKERS),
        "--first", str(half), "--second", str(half),
    )  # fmt: skip
    first = client.event("first")
    assert first["flushed"], first
    assert first["stats"]["sent"] == WORKERS * half
    collector.kill()
    client.send("go")
    client.event("second")
    at_exit = client.event("exit")["stats"]
    assert client.wait() == 0, client.stderr()

    second_half = Workload(workload.run_id)
    for worker in range(WORKERS):
        workload.note_range(worker, range(half))
        second_half.note_range(worker, range(half, PER_WORKER))
    in_spool = spooled_ids(spool_dir)
    assert len(in_spool) == len(set(in_spool)) == WORKERS * half
    assert set(in_spool) == second_half.ids()
    assert read_database(sqlite_url).distinct_ids == workload.ids()  # the first half only
    left_in_spool = at_exit["spooled"] - at_exit["delivered_from_spool"]
    assert (left_in_spool, at_exit["dropped"]) == (WORKERS * half, 0)

    collector.start()
    restarted_at = time.monotonic()
    deliverer = emitters("--endpoint", collector.url, *common, "--deliver")
    delivered = deliverer.event("delivered")
    delivered_at = time.monotonic()
    assert delivered["flushed"], delivered
    assert deliverer.wait() == 0, deliverer.stderr()
    stats = delivered["stats"]
    assert (stats["sent"], stats["delivered_from_spool"]) == (WORKERS * half,) * 2
    assert (stats["duplicates"], stats["dropped"]) == (0, 0)
    assert sorted(p.name for p in spool_dir.iterdir() if not p.name.startswith(".")) == []

    for worker in range(WORKERS):
        workload.note_range(worker, range(half, PER_WORKER))
    verdict = workload.verify(read_database(sqlite_url))
    assert verdict.problems == []
    assert (verdict.stored_rows, verdict.rolled_up_requests) == (TOTAL, TOTAL)
    print(
        f"\nclient exit: emitted={TOTAL} acknowledged_before_kill={first['stats']['sent']} "
        f"left_in_spool_at_exit={left_in_spool} delivered_by_next_process={stats['sent']} "
        f"stored={verdict.stored_distinct} duplicates_in_db={verdict.duplicates} "
        f"next_process_start_to_delivered={delivered_at - restarted_at:.2f}s"
    )
