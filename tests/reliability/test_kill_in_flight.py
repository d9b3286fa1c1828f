"""``kill -9`` of the collector while batches are in flight.

What the client saw acknowledged must already be in the database when the collector dies
(it answers only after the commit); what it did not see acknowledged is re-sent, and a
batch that was committed but whose answer was lost comes back as duplicates, not as new
rows. The first test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import pytest
from faultkit import AckLog, CollectorProcess, TcpProxy, Workload, read_database, wait_until

from agenttrace._internal.shipping import Shipper

WORKERS = 4
PER_WORKER = 5_000
TOTAL = WORKERS * PER_WORKER


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_kill_9_keeps_every_acknowledged_record_and_the_rest_is_resent(
    database_url: str,
    collectors: Callable[[str], CollectorProcess],
    shippers: Callable[..., Shipper],
    workload: Workload,
) -> None:
    """Killed with a batch in flight: every acknowledged record was committed, the
    unacknowledged ones are re-sent, and the final count is exact with no duplicate."""
    collector = collectors(database_url)
    collector.start()
    acks = AckLog()
    shipper = shippers(
        collector.url,
        transport=acks,
        queue_size=TOTAL,
        batch_size=1_000,
        retry_deadline=120.0,  # the in-flight batch is retried until the collector is back
    )

    def work(worker: int) -> None:
        for index in range(PER_WORKER):
            record = workload.record(worker, index)
            workload.note(record)
            shipper.emit(record)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acks.acknowledged()) >= 2_000, 120, "a few acknowledged batches")
    wait_until(acks.inflight_since, 60, "a batch in flight")
    killed_at = time.monotonic()
    collector.kill()
    acknowledged = acks.acknowledged()
    stored = read_database(database_url).distinct_ids
    assert acknowledged - stored == set(), "acknowledged records lost by kill -9"
    # The batch in flight at the kill usually has its connection cut; when its answer was
    # already on the way it is acknowledged instead (the commit came first). Either way,
    # once it has ended, everything acknowledged must be in the database.
    wait_until(
        lambda: (acks.inflight_since() or math.inf) > killed_at,
        30,
        "the batch in flight at the kill to end",
    )
    cut_off = acks.cut_off_at(killed_at)
    answered = [a for a in acks.with_status(200) if a.started <= killed_at <= a.ended]
    assert cut_off or answered, acks.attempts()[-3:]
    assert acks.acknowledged() - read_database(database_url).distinct_ids == set()
    for thread in threads:
        thread.join()
    collector.start()
    restarted_at = time.monotonic()
    assert shipper.flush(180), shipper.stats
    delivered_at = time.monotonic()

    verdict = workload.verify(read_database(database_url))
    assert verdict.problems == []
    assert (verdict.stored_rows, verdict.rolled_up_requests) == (TOTAL, TOTAL)
    stats = shipper.stats
    assert (stats.dropped, stats.rejected) == (0, 0)
    assert stats.sent + stats.duplicates == TOTAL
    assert acks.acknowledged() == workload.ids()
    committed_unanswered = stored - acknowledged
    first_ack = min(a.ended for a in acks.with_status(200, since=restarted_at))
    print(
        f"\nkill -9 ({database_url.split(':', maxsplit=1)[0]}): emitted={TOTAL} "
        f"acknowledged_at_kill={len(acknowledged)} stored_at_kill={len(stored)} "
        f"committed_but_unanswered={len(committed_unanswered)} "
        f"batches_cut_off={len(cut_off)} ({sum(a.records for a in cut_off)} records) "
        f"answered_across_the_kill={len(answered)} "
        f"collector_duplicates={stats.duplicates} final_stored={verdict.stored_distinct} "
        f"rows={verdict.stored_rows} duplicates_in_db={verdict.duplicates} "
        f"retries={stats.retries} spooled={stats.spooled} "
        f"first_ack_after_restart={first_ack - restarted_at:.2f}s "
        f"all_delivered_after_restart={delivered_at - restarted_at:.2f}s"
    )


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_committed_batch_whose_answer_is_lost_comes_back_as_duplicates(
    sqlite_url: str,
    collectors: Callable[[str], CollectorProcess],
    proxies: Callable[[int], TcpProxy],
    shippers: Callable[..., Shipper],
    workload: Workload,
) -> None:
    """The collector commits a batch and dies before the client hears back: the client
    re-sends it, the collector counts it as duplicates, and no row is stored twice."""
    collector = collectors(sqlite_url)
    collector.start()
    proxy = proxies(collector.port)
    acks = AckLog()
    shipper = shippers(proxy.url, transport=acks, batch_size=250, retry_deadline=120.0)
    records = [workload.record(0, i) for i in range(2_000)]
    for record in records[:1_000]:
        workload.note(record)
        shipper.emit(record)
    assert shipper.flush(60)
    proxy.slow(3_600.0)  # answers are held from now on: the next batch is committed, unanswered
    for record in records[1_000:]:
        workload.note(record)
        shipper.emit(record)
    wait_until(lambda: proxy.holding, 60, "a committed batch whose answer is held")
    collector.kill()
    proxy.cut()  # the held answer is lost with the connection
    acknowledged = acks.acknowledged()
    stored = read_database(sqlite_url).distinct_ids
    unanswered = stored - acknowledged
    assert acknowledged <= stored
    assert unanswered, "the held batch was not committed"
    proxy.slow(0.0)
    proxy.restore()
    collector.start()
    assert shipper.flush(120), shipper.stats

    verdict = workload.verify(read_database(sqlite_url))
    assert verdict.problems == []
    assert verdict.stored_rows == 2_000
    stats = shipper.stats
    lost = len(unanswered)
    assert (stats.sent, stats.duplicates, stats.dropped) == (2_000 - lost, lost, 0)
    print(
        f"\nlost answer: emitted=2000 acknowledged_at_kill={len(acknowledged)} "
        f"stored_at_kill={len(stored)} committed_but_unanswered={len(unanswered)} "
        f"collector_duplicates={stats.duplicates} final_stored={verdict.stored_distinct} "
        f"rows={verdict.stored_rows} duplicates_in_db={verdict.duplicates}"
    )
