"""PostgreSQL unreachable while the collector runs, without disturbing the shared server.

The collector process reaches PostgreSQL through a `TcpProxy`; cutting it drops every
pooled connection and refuses new ones, as a database restart does. Meanwhile the
collector must answer 503 with ``Retry-After`` (so clients keep their records and retry),
stay up, reconnect by itself once the database is back, and lose nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from faultkit import AckLog, CollectorProcess, TcpProxy, Workload, read_database, wait_until
from psycopg.conninfo import conninfo_to_dict
from tests.support.postgres_server import with_search_path

from agenttrace._internal.shipping import Shipper

pytestmark = pytest.mark.postgres

WORKERS = 4
PER_PHASE = 500
TOTAL = 3 * WORKERS * PER_PHASE


def _through(proxy: TcpProxy, postgres_url: str) -> str:
    """``postgres_url`` (with its search_path) reaching the server through ``proxy``."""
    params = conninfo_to_dict(postgres_url)
    user = params.get("user") or "postgres"
    schema = str(params["options"]).removeprefix("-csearch_path=")
    url = f"postgresql://{user}@127.0.0.1:{proxy.port}/{params.get('dbname') or 'test'}"
    return with_search_path(url, schema)


def _emit(shipper: Shipper, workload: Workload, indexes: range) -> None:
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


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_postgres_outage_answers_503_with_retry_after_and_loses_nothing(
    postgres_url: str,
    collectors: Callable[[str], CollectorProcess],
    proxies: Callable[[int], TcpProxy],
    shippers: Callable[..., Shipper],
    workload: Workload,
) -> None:
    """While PostgreSQL is cut off the collector answers 503 + Retry-After and stays up;
    once it is back the collector reconnects and every record is stored exactly once."""
    params = conninfo_to_dict(postgres_url)
    database = proxies(int(params.get("port") or 5432))
    collector = collectors(_through(database, postgres_url))
    collector.start()
    acks = AckLog()
    shipper = shippers(
        collector.url, transport=acks, batch_size=250, request_timeout=20.0, retry_deadline=120.0
    )
    _emit(shipper, workload, range(PER_PHASE))
    assert shipper.flush(60)

    cut_at = time.monotonic()
    database.cut()
    _emit(shipper, workload, range(PER_PHASE, 2 * PER_PHASE))
    refused = wait_until(lambda: acks.with_status(503, since=cut_at), 90, "a 503 from ingest")
    assert refused[0].retry_after is not None
    assert int(refused[0].retry_after) >= 1
    health = httpx.get(f"{collector.url}/healthz", timeout=30)
    assert health.status_code == 503
    assert "retry-after" in health.headers
    assert "PostgreSQL" in health.json()["error"]
    assert collector.running
    stored_during = read_database(postgres_url).distinct_ids  # directly, not via the proxy

    restored_at = time.monotonic()
    database.restore()
    _emit(shipper, workload, range(2 * PER_PHASE, 3 * PER_PHASE))
    assert shipper.flush(120), shipper.stats
    delivered_at = time.monotonic()

    verdict = workload.verify(read_database(postgres_url))
    assert verdict.problems == []
    assert (verdict.stored_rows, verdict.rolled_up_requests) == (TOTAL, TOTAL)
    stats = shipper.stats
    assert (stats.sent, stats.duplicates, stats.dropped, stats.rejected) == (TOTAL, 0, 0, 0)
    assert stats.retries >= 1
    assert collector.running  # it stayed up, and never had to be restarted:
    assert collector.starts == 1
    statuses_during = sorted(
        {str(a.status or a.error) for a in acks.attempts() if cut_at <= a.ended < restored_at}
    )
    assert statuses_during == ["503"]  # no timeout, no 500: a clean "come back later"
    first_ack = min(a.ended for a in acks.with_status(200, since=restored_at))
    print(
        f"\npostgres outage: emitted={TOTAL} stored_before_restore={len(stored_during)} "
        f"answers_during_outage={statuses_during} retry_after={refused[0].retry_after}s "
        f"503s={len(acks.with_status(503))} retries={stats.retries} spooled={stats.spooled} "
        f"stored={verdict.stored_distinct} rows={verdict.stored_rows} "
        f"duplicates_in_db={verdict.duplicates} outage={restored_at - cut_at:.1f}s "
        f"first_ack_after_restore={first_ack - restored_at:.2f}s "
        f"all_delivered_after_restore={delivered_at - restored_at:.2f}s"
    )
