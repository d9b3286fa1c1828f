"""Nothing is lost when the collector is down, slow or hung: the disk spool and its claims."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agenttrace._internal.shipping import Spool, encode_batch

if TYPE_CHECKING:
    from conftest import FakeCollector, ShipKit


def test_collector_down_then_up_loses_and_duplicates_nothing(
    down_collector: FakeCollector, kit: ShipKit
) -> None:
    """Records emitted while the collector refuses connections all arrive once it is up."""
    shipper = kit.shipper(down_collector.url, retry_deadline=0.3)
    before = kit.records(120, session_id="before")
    for record in before:
        shipper.emit(record)
    kit.wait_until(lambda: shipper.stats.spooled > 0, what="a batch in the spool")
    during = kit.records(80, session_id="during")
    for record in during:
        shipper.emit(record)
    down_collector.up()
    wanted = {r.id for r in before + during}
    kit.wait_until(lambda: down_collector.stored_ids() == wanted, timeout=30, what="every id")
    assert down_collector.duplicated_ids() == set()
    assert shipper.flush(10.0)
    assert list(kit.spool_dir.glob("*.json")) == []
    stats = shipper.stats
    assert stats.sent == 200
    assert stats.delivered_from_spool == stats.spooled > 0


def test_hung_collector_overflow_is_spooled_without_blocking_the_caller(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """With the worker stuck in a request, 1000 emits still return; the excess is spooled."""
    fake_collector.hold()
    shipper = kit.shipper(fake_collector.url, queue_size=100, batch_size=20, request_timeout=30)
    shipper.emit(kit.records(1, session_id="first")[0])
    kit.wait_until(fake_collector.arrived.is_set, what="the worker inside a held request")
    records = kit.records(1_000)
    for record in records:
        shipper.emit(record)
    assert fake_collector.answered() == []  # every emit returned while the collector hung
    assert shipper.stats.spooled >= 1_000 - 200  # beyond the queue and the overflow bound
    fake_collector.release()
    wanted = {r.id for r in records}
    kit.wait_until(lambda: wanted <= fake_collector.stored_ids(), timeout=30, what="every id")
    assert shipper.flush(15.0)
    assert fake_collector.duplicated_ids() == set()
    assert len(fake_collector.stored_ids()) == 1_001


def test_shutdown_sends_the_overflow_this_process_spooled(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """Overflow spooled during a burst is delivered by shutdown when the collector answers,
    and shutdown says everything was delivered."""
    fake_collector.hold()
    shipper = kit.shipper(fake_collector.url, queue_size=100, batch_size=20, request_timeout=30)
    records = kit.records(600)
    for record in records:
        shipper.emit(record)
    kit.wait_until(lambda: shipper.stats.spooled > 0, what="overflow in the spool")
    fake_collector.release()
    assert shipper.shutdown(20.0)
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert kit.spooled_ids() == []


def test_overflow_during_backoff_is_spooled_by_the_worker(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """While the worker waits between retries, records over the queue bound go to disk."""
    fake_collector.fail_next(3, 503, {"Retry-After": "0.5"})
    shipper = kit.shipper(fake_collector.url, queue_size=100, batch_size=20)
    records = kit.records(150)  # queue 100 + overflow 50: below the caller's spill bound
    kit.emit_in_one_go(shipper, records)
    kit.wait_until(lambda: shipper.stats.spooled >= 40, what="overflow in the spool")
    assert shipper.flush(20.0)
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert fake_collector.duplicated_ids() == set()


def test_full_spool_drops_counts_and_warns_once(
    down_collector: FakeCollector, kit: ShipKit, caplog: pytest.LogCaptureFixture
) -> None:
    """When the spool is full records are dropped, counted, and one warning says so."""
    batch_bytes = len(encode_batch(kit.records(10)))
    shipper = kit.shipper(
        down_collector.url,
        batch_size=10,
        retry_deadline=0.1,
        spool_max_bytes=int(batch_bytes * 2.5),
    )
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        for record in kit.records(100):
            shipper.emit(record)
        assert not shipper.shutdown(5.0)
    stats = shipper.stats
    assert stats.spooled == 20
    assert stats.dropped == 80
    warnings = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(warnings) == 1
    assert "AGENTTRACE_SPOOL_MAX_BYTES" in warnings[0]


_EXIT_SCRIPT = """
import sys
from pathlib import Path
from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper
from agenttrace.records import Record

endpoint, spool, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
shipper = Shipper(Settings(endpoint=endpoint, spool_dir=spool, batch_size=50,
                           flush_interval=60.0, retry_deadline=30.0, shutdown_timeout=5.0))
for i in range(count):
    shipper.emit(Record(id=f"exit-{i}", session_id="exit"))
# no flush, no shutdown: interpreter exit must take care of it
"""


def _run_exit_script(endpoint: str, spool_dir: Path, count: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_SCRIPT, endpoint, str(spool_dir), str(count)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_exit_with_collector_down_spools_then_next_process_delivers(
    down_collector: FakeCollector, kit: ShipKit
) -> None:
    """A process exiting while the collector is down spools its records; the next delivers."""
    _run_exit_script(down_collector.url, kit.spool_dir, 230)
    wanted = {f"exit-{i}" for i in range(230)}
    spooled = kit.spooled_ids()
    assert sorted(spooled) == sorted(wanted)
    down_collector.up()
    shipper = kit.shipper(down_collector.url)  # emits nothing: the start-up drains the spool
    kit.wait_until(lambda: down_collector.stored_ids() == wanted, timeout=30, what="every id")
    assert down_collector.duplicated_ids() == set()
    kit.wait_until(lambda: kit.spooled_ids() == [], what="an empty spool")
    kit.wait_until(lambda: shipper.stats.delivered_from_spool == 230, what="the stats")


def test_exit_with_collector_up_delivers_queued_records(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """Records still queued at interpreter exit are posted by the atexit shutdown."""
    _run_exit_script(fake_collector.url, kit.spool_dir, 120)
    assert fake_collector.stored_ids() == {f"exit-{i}" for i in range(120)}
    assert kit.spooled_ids() == []


_DRAIN_SCRIPT = """
import sys
from pathlib import Path
from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper

endpoint, spool = sys.argv[1], Path(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
shipper = Shipper(Settings(endpoint=endpoint, spool_dir=spool, flush_interval=0.05))
ok = shipper.flush(60.0)
shipper.shutdown(5.0)
print(shipper.stats.delivered_from_spool, flush=True)
sys.exit(0 if ok else 1)
"""


@pytest.mark.slow
def test_two_processes_sharing_a_spool_send_each_file_once(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """Two processes draining one spool at the same time never post the same file twice."""
    spool = Spool(kit.spool_dir, 10**8)
    batches = [kit.records(25, session_id=f"file-{n}") for n in range(40)]
    for batch in batches:
        assert spool.write(encode_batch(batch), len(batch)) is None
    fake_collector.delay = 0.02
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _DRAIN_SCRIPT, fake_collector.url, str(kit.spool_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:  # both imported and waiting: start them together
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    delivered = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        delivered.append(int(out.split()[-1]))
    assert fake_collector.stored_ids() == {r.id for batch in batches for r in batch}
    assert fake_collector.duplicated_ids() == set()
    assert sum(delivered) == 1_000
    assert min(delivered) > 0, f"one process sent nothing: {delivered}"


def test_a_claimed_file_is_invisible_to_other_senders(kit: ShipKit) -> None:
    """Once claimed (renamed) a spool file cannot be claimed again until released."""
    first, second = Spool(kit.spool_dir, 10**6), Spool(kit.spool_dir, 10**6)
    assert first.write(encode_batch(kit.records(3)), 3) is None
    claimed = first.claim_next()
    assert claimed is not None
    assert claimed.count == 3
    assert second.claim_next() is None
    first.release(claimed)
    again = second.claim_next()
    assert again is not None
    second.complete(again)
    assert first.claim_next() is None
    assert list(kit.spool_dir.iterdir()) == []


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_recover_takes_back_what_dead_processes_left(kit: ShipKit) -> None:
    """Claims of dead or stale owners become ready again; a live owner's claim stays; a dead
    writer's half-written file is removed."""
    kit.spool_dir.mkdir(parents=True)
    body = encode_batch(kit.records(2))
    dead, alive = _dead_pid(), os.getppid()
    stem = "{:020d}-{}-0000000{}-n2"
    (kit.spool_dir / f"{stem.format(1, dead, 1)}.claim-{dead}").write_bytes(body)
    (kit.spool_dir / f"{stem.format(2, alive, 2)}.claim-{alive}").write_bytes(body)
    stale = kit.spool_dir / f"{stem.format(3, alive, 3)}.claim-{alive}"
    stale.write_bytes(body)
    old = time.time() - 3_600
    os.utime(stale, (old, old))
    (kit.spool_dir / f".{stem.format(4, dead, 4)}.tmp").write_bytes(body[:10])
    assert Spool(kit.spool_dir, 10**6, stale_after=600).recover() == 2
    assert sorted(p.name for p in kit.spool_dir.iterdir()) == [
        f"{stem.format(1, dead, 1)}.json",
        f"{stem.format(2, alive, 2)}.claim-{alive}",
        f"{stem.format(3, alive, 3)}.json",
    ]


def test_spool_refuses_writes_beyond_its_bound(kit: ShipKit) -> None:
    """A write that would exceed max_bytes is refused with the reason; nothing is written."""
    body = encode_batch(kit.records(5))
    spool = Spool(kit.spool_dir, len(body) + 10)
    assert spool.write(body, 5) is None
    refused = spool.write(body, 5)
    assert refused is not None
    assert refused.startswith("full")
    assert len(spool.ready_names()) == 1
    assert spool.used_bytes() == len(body)
