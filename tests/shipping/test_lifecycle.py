"""Shutdown that never hangs, and shipping from forked processes."""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import FakeCollector, ShipKit

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def test_shutdown_is_bounded_when_the_collector_hangs(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """A collector that never answers cannot hold shutdown past its timeout; the batch in
    flight and the queued records are all in the spool (nothing lost: shutdown says True),
    and later reach the collector."""
    fake_collector.hold()
    shipper = kit.shipper(fake_collector.url, request_timeout=30.0, batch_size=20)
    records = kit.records(70)
    for record in records:
        shipper.emit(record)
    kit.wait_until(fake_collector.arrived.is_set, what="the worker inside a held request")
    started = time.monotonic()
    assert shipper.shutdown(1.0)
    assert time.monotonic() - started < 5.0  # bounded by the 1 s budget, not the 30 s timeout
    wanted = {r.id for r in records}
    assert set(kit.spooled_ids()) == wanted
    fake_collector.release()
    kit.shipper(fake_collector.url)  # the next process: drains the spool at start-up
    kit.wait_until(lambda: fake_collector.stored_ids() == wanted, timeout=30, what="every id")
    assert max(fake_collector.stored.values()) == 1


def test_shutdown_with_collector_down_spools_quickly(
    down_collector: FakeCollector, kit: ShipKit
) -> None:
    """With connections refused, shutdown spools the queue within budget and says True:
    the records are safe in the spool."""
    shipper = kit.shipper(down_collector.url, flush_interval=60.0, retry_deadline=30.0)
    records = kit.records(120)
    for record in records:
        shipper.emit(record)
    started = time.monotonic()
    assert shipper.shutdown(2.0)
    assert time.monotonic() - started < 5.0
    assert sorted(kit.spooled_ids()) == sorted(r.id for r in records)
    assert shipper.stats.spooled == 120


@needs_fork
def test_forked_child_ships_its_own_records_once(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """After fork the child sends only what it emitted; the parent's queue is sent once, by
    the parent."""
    shipper = kit.shipper(fake_collector.url, flush_interval=60.0, batch_size=1_000)
    parent_records = kit.records(30, session_id="parent")
    for record in parent_records:
        shipper.emit(record)  # queued: the batch is not full and the interval is long
    child_records = kit.records(20, session_id="child")
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, never return into pytest
        code = 3
        try:
            for record in child_records:
                shipper.emit(record)
            delivered = shipper.flush(15.0)
            code = 0 if delivered and shipper.shutdown(5.0) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert fake_collector.stored_ids() == {r.id for r in child_records}
    assert shipper.flush(15.0)
    assert fake_collector.stored_ids() == {r.id for r in parent_records + child_records}
    assert fake_collector.duplicated_ids() == set()


@needs_fork
def test_multiprocessing_child_delivers_without_flushing(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """A multiprocessing (fork) child that just emits and returns still delivers its record,
    although it leaves through os._exit (no atexit)."""
    shipper = kit.shipper(fake_collector.url, flush_interval=60.0, batch_size=1_000)
    record = kit.records(1, session_id="mp")[0]
    process = multiprocessing.get_context("fork").Process(target=shipper.emit, args=(record,))
    process.start()
    process.join(30)
    assert process.exitcode == 0
    assert fake_collector.stored_ids() == {record.id}
