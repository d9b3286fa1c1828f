"""A client process killed (-9) while it re-sends its spool: the next process finishes.

A sender claims a spool file (renames it with its pid) before posting it, and deletes it
once the collector answered. Killed in between, it leaves a claim behind whose batch may or
may not have been stored; the next process must take the claim back, re-send it, and the
collector must count what it already had as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from faultkit import CollectorProcess, TcpProxy, Workload, read_database, wait_until
from faultkit.children import EmitterProcess

from agenttrace._internal.shipping import Spool, encode_batch

FILES = 8
PER_FILE = 500


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_client_killed_while_draining_the_spool_the_next_process_finishes(
    sqlite_url: str,
    collectors: Callable[[str], CollectorProcess],
    proxies: Callable[[int], TcpProxy],
    emitters: Callable[..., EmitterProcess],
    spool_dir: Path,
) -> None:
    """Killed with a spool file claimed and its batch committed but unanswered, a client
    leaves a claim; a new process re-sends it (duplicates) and delivers the rest, once."""
    workload = Workload()
    spool = Spool(spool_dir, 100 * 2**20)
    for number in range(FILES):
        records = [workload.record(number, index) for index in range(PER_FILE)]
        for record in records:
            workload.note(record)
        assert spool.write(encode_batch(records), len(records)) is None
    collector = collectors(sqlite_url)
    collector.start()
    proxy = proxies(collector.port)
    proxy.slow(3_600.0)  # the first file is stored, and its answer held
    common = ["--spool-dir", str(spool_dir), "--run-id", workload.run_id, "--deliver"]
    first = emitters("--endpoint", proxy.url, *common)
    wait_until(lambda: proxy.holding, 90, "the first spool file stored, its answer held")
    first.process.kill()
    assert first.wait() != 0
    proxy.cut()
    claims = [p.name for p in spool_dir.iterdir() if ".claim-" in p.name]
    assert len(claims) == 1, sorted(p.name for p in spool_dir.iterdir())
    committed = read_database(sqlite_url).distinct_ids
    assert len(committed) == PER_FILE

    proxy.slow(0.0)
    proxy.restore()
    second = emitters("--endpoint", proxy.url, *common)
    delivered = second.event("delivered")
    assert second.wait() == 0, second.stderr()
    stats = delivered["stats"]
    assert delivered["flushed"], delivered
    assert (stats["sent"], stats["duplicates"]) == (FILES * PER_FILE - PER_FILE, PER_FILE)
    assert stats["delivered_from_spool"] == FILES * PER_FILE
    assert sorted(p.name for p in spool_dir.iterdir()) == []
    verdict = workload.verify(read_database(sqlite_url))
    assert verdict.problems == []
    assert (verdict.stored_rows, verdict.rolled_up_requests) == (FILES * PER_FILE,) * 2
