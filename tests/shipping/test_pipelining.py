"""While a batch is posted, the next full batch is encoded on the encoder thread; posts stay
one at a time and in order, and a shutdown that gives up keeps the batch encoded ahead."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from agenttrace._internal.shipping import Shipper, _encoder
from agenttrace._internal.shipping._payload import EncodedBatch, encode_records
from agenttrace.records import Record

if TYPE_CHECKING:
    from conftest import FakeCollector, ShipKit


class EncodeLog:
    """Which thread encoded which batch (by its first record's id), and when."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[tuple[str, str, float]] = []

    def __call__(self, records: Sequence[Record]) -> EncodedBatch:
        with self.lock:
            self.entries.append((threading.current_thread().name, records[0].id, time.monotonic()))
        return encode_records(records)

    def on_encoder_thread(self) -> list[tuple[str, float]]:
        with self.lock:
            return [(i, at) for name, i, at in self.entries if name == "agenttrace-encoder"]


@pytest.fixture
def encode_log(monkeypatch: pytest.MonkeyPatch) -> EncodeLog:
    log = EncodeLog()
    monkeypatch.setattr(_encoder, "encode_records", log)
    return log


def emit_while_held(
    fake_collector: FakeCollector, kit: ShipKit, count: int, **overrides: Any
) -> tuple[Shipper, list[Record]]:
    """A shipper of batches of 20 (and ``overrides``) that emitted ``count`` records, once
    the collector holds its first post."""
    fake_collector.hold()
    shipper = kit.shipper(fake_collector.url, batch_size=20, **overrides)
    records = kit.records(count)
    kit.emit_in_one_go(shipper, records)
    kit.wait_until(fake_collector.arrived.is_set, what="the first post, held")
    return shipper, records


def test_next_batch_is_encoded_while_the_previous_one_is_posted(
    fake_collector: FakeCollector, kit: ShipKit, encode_log: EncodeLog
) -> None:
    """With the first post held by the collector, the second batch is encoded meanwhile;
    after release every record is stored once and the batches arrive in emission order."""
    shipper, records = emit_while_held(fake_collector, kit, 100, flush_interval=60.0)
    kit.wait_until(lambda: len(encode_log.on_encoder_thread()) == 1, what="an encoding ahead")
    assert encode_log.on_encoder_thread()[0][0] == records[20].id
    assert not fake_collector.answered()  # encoded during the post, not after it
    fake_collector.release()
    assert shipper.flush(10.0)
    posted = [record_id for attempt in fake_collector.answered() for record_id in attempt.ids]
    assert posted == [r.id for r in records]
    assert fake_collector.duplicated_ids() == set()
    ahead = [i for i, _ in encode_log.on_encoder_thread()]
    assert ahead == [records[n].id for n in (20, 40, 60, 80)]


def test_no_encoding_ahead_of_a_partial_batch(
    fake_collector: FakeCollector, kit: ShipKit, encode_log: EncodeLog
) -> None:
    """Fewer records than a batch wait for the worker's own loop (flush, interval): the
    encoder thread only takes full batches."""
    shipper = kit.shipper(fake_collector.url, batch_size=20, flush_interval=60.0)
    records = kit.records(30)
    for record in records:
        shipper.emit(record)
    assert shipper.flush(10.0)
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert encode_log.on_encoder_thread() == []


def test_shutdown_that_gives_up_keeps_the_batch_encoded_ahead(
    fake_collector: FakeCollector, kit: ShipKit, encode_log: EncodeLog
) -> None:
    """A hung post, a batch encoded ahead and a queued batch: a shutdown past its budget
    spools all three (shutdown says True: nothing lost), and the next process delivers each
    record exactly once."""
    shipper, records = emit_while_held(fake_collector, kit, 60, request_timeout=30.0)
    kit.wait_until(lambda: len(encode_log.on_encoder_thread()) == 1, what="an encoding ahead")
    assert shipper.shutdown(0.5)
    wanted = {r.id for r in records}
    spooled = kit.spooled_ids()
    assert sorted(spooled) == sorted(wanted)
    assert shipper.stats.dropped == 0
    fake_collector.release()
    kit.shipper(fake_collector.url)  # the next process drains the spool at start-up
    kit.wait_until(lambda: fake_collector.stored_ids() == wanted, timeout=30, what="every id")
    assert max(fake_collector.stored.values()) == 1


def test_a_retried_post_keeps_order_and_loses_nothing(
    fake_collector: FakeCollector, kit: ShipKit, encode_log: EncodeLog
) -> None:
    """Server errors in the middle of a run of full batches: the post is retried, the batch
    encoded ahead waits for it, and the collector stores every record once, batch after
    batch in emission order."""
    shipper, records = emit_while_held(fake_collector, kit, 200, flush_interval=60.0)
    fake_collector.fail_next(3, 500)
    fake_collector.release()
    assert shipper.flush(20.0)
    stored_in_order = [i for a in fake_collector.answered() if a.status == 200 for i in a.ids]
    assert stored_in_order == [r.id for r in records]
    assert max(fake_collector.stored.values()) == 1
    assert shipper.stats.retries >= 3
    assert len(encode_log.on_encoder_thread()) >= 5


def test_a_failing_collector_spools_the_batch_encoded_ahead(
    fake_collector: FakeCollector, kit: ShipKit, encode_log: EncodeLog
) -> None:
    """When a post runs out of retries, the batch already encoded ahead goes to the spool
    after the failed one (nothing dropped, so flush says True), and both are delivered, once
    each, when the collector answers again."""
    shipper, records = emit_while_held(
        fake_collector, kit, 100, flush_interval=60.0, retry_deadline=0.3
    )
    kit.wait_until(lambda: len(encode_log.on_encoder_thread()) == 1, what="an encoding ahead")
    fake_collector.fail_next(1_000, 503)
    fake_collector.release()
    assert shipper.flush(15.0)
    # the failed batch, then the one encoded ahead
    kit.wait_until(lambda: shipper.stats.spooled >= 40, what="two batches spooled")
    assert shipper.stats.dropped == 0
    fake_collector.heal()
    assert shipper.flush(30.0)
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert max(fake_collector.stored.values()) == 1
