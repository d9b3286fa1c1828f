"""flush() with the collector down, failing or hung: it returns once every record is stored
or safe in the spool, says so in one line, and the spool is delivered later, once each.

Each test sets a retry deadline of 60 s and a pytest timeout well below it: a flush that
waited for the retries to run out would be stopped by the timeout, so the bound is
structural, not a measured duration.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from agenttrace._internal.shipping import Shipper
    from conftest import FakeCollector, ShipKit

LONG_RETRY_DEADLINE = 60.0


def spool_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings the shipper logged."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def assert_one_spool_line(
    caplog: pytest.LogCaptureFixture, kit: ShipKit, collector: FakeCollector, count: int
) -> None:
    """Exactly one warning, naming the collector, the number kept and the spool directory."""
    (line,) = spool_lines(caplog)
    assert collector.url in line
    assert f"{count} record(s) are safe in the spool at {kit.spool_dir}" in line
    assert "will be sent when it answers" in line


def assert_delivered_once(shipper: Shipper, collector: FakeCollector, wanted: set[str]) -> None:
    """A flush once the collector answers delivers the spool: every id stored exactly once."""
    assert shipper.flush(30.0)
    assert collector.stored_ids() == wanted
    assert max(collector.stored.values()) == 1
    assert list(shipper.spool.directory.glob("*.json")) == []


@pytest.mark.timeout(20)
def test_flush_with_connections_refused_returns_once_all_is_spooled(
    down_collector: FakeCollector, kit: ShipKit, caplog: pytest.LogCaptureFixture
) -> None:
    """Connections refused: flush() (no timeout) spools the three queued batches without
    waiting for the retry deadline, says True in one line, and the spool is delivered once
    the collector listens."""
    shipper = kit.shipper(
        down_collector.url, retry_deadline=LONG_RETRY_DEADLINE, flush_interval=60.0
    )
    records = kit.records(120)  # batches of 50
    for record in records:
        shipper.emit(record)
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        assert shipper.flush()
    assert sorted(kit.spooled_ids()) == sorted(r.id for r in records)
    assert (shipper.stats.spooled, shipper.stats.dropped) == (120, 0)
    assert_one_spool_line(caplog, kit, down_collector, 120)
    down_collector.up()
    assert_delivered_once(shipper, down_collector, {r.id for r in records})
    assert down_collector.duplicated_ids() == set()


@pytest.mark.timeout(20)
def test_flush_cuts_a_background_backoff_short(
    down_collector: FakeCollector, kit: ShipKit, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch already being retried in the background (connections refused) when flush()
    is called goes to the spool at once instead of being retried until the deadline."""
    shipper = kit.shipper(down_collector.url, retry_deadline=LONG_RETRY_DEADLINE)
    records = kit.records(10)
    for record in records:
        shipper.emit(record)
    kit.wait_until(lambda: shipper.stats.retries >= 1, what="the worker retrying")
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        assert shipper.flush()
    assert sorted(kit.spooled_ids()) == sorted(r.id for r in records)
    assert_one_spool_line(caplog, kit, down_collector, 10)
    down_collector.up()
    assert_delivered_once(shipper, down_collector, {r.id for r in records})


@pytest.mark.timeout(20)
def test_flush_during_a_long_retry_wait_tries_again_at_once(
    fake_collector: FakeCollector, kit: ShipKit, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch waiting out a 30 s Retry-After when flush() is called is posted again at once
    (the collector may answer by now) instead of being spooled on the strength of an answer
    older than the flush: it is stored when flush returns, and nothing is spooled."""
    fake_collector.fail_next(1, 429, {"Retry-After": "30"})
    shipper = kit.shipper(fake_collector.url, retry_deadline=LONG_RETRY_DEADLINE)
    records = kit.records(10)
    for record in records:
        shipper.emit(record)
    kit.wait_until(lambda: shipper.stats.retries == 1, what="the worker waiting out the 429")
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        assert shipper.flush()
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert (shipper.stats.spooled, spool_lines(caplog)) == (0, [])


@pytest.mark.timeout(30)
def test_flush_spools_a_batch_the_collector_keeps_failing(
    fake_collector: FakeCollector, kit: ShipKit, caplog: pytest.LogCaptureFixture
) -> None:
    """A collector answering 503 to every attempt: flush() retries for its short patience,
    not the 60 s retry deadline, then spools and says True; healed, it gets every record."""
    fake_collector.fail_next(10_000, 503)
    shipper = kit.shipper(
        fake_collector.url, retry_deadline=LONG_RETRY_DEADLINE, flush_interval=60.0
    )
    records = kit.records(30)
    for record in records:
        shipper.emit(record)
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        assert shipper.flush()
    assert sorted(kit.spooled_ids()) == sorted(r.id for r in records)
    assert shipper.stats.retries >= 1  # transient errors are still retried for a while
    assert_one_spool_line(caplog, kit, fake_collector, 30)
    fake_collector.heal()
    assert_delivered_once(shipper, fake_collector, {r.id for r in records})


@pytest.mark.timeout(30)
def test_flush_against_a_hung_collector_is_bounded_by_the_request_timeout(
    fake_collector: FakeCollector, kit: ShipKit, caplog: pytest.LogCaptureFixture
) -> None:
    """A collector that accepts the connection and never answers: the flush gives up after
    one request timeout (not the retry deadline), the batch in flight and the queued one
    are spooled, and after the collector recovers each record is stored once."""
    fake_collector.hold()
    shipper = kit.shipper(
        fake_collector.url,
        retry_deadline=LONG_RETRY_DEADLINE,
        request_timeout=1.0,
        flush_interval=60.0,
        batch_size=20,
    )
    records = kit.records(30)
    for record in records:
        shipper.emit(record)
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        assert shipper.flush()
    assert len(fake_collector.answered()) == 0
    assert sorted(kit.spooled_ids()) == sorted(r.id for r in records)
    assert_one_spool_line(caplog, kit, fake_collector, 30)
    fake_collector.release()  # the held request may now store its batch: no matter
    assert_delivered_once(shipper, fake_collector, {r.id for r in records})


@pytest.mark.timeout(20)
def test_a_flush_reported_spool_is_not_reported_again_at_shutdown(
    down_collector: FakeCollector, kit: ShipKit, caplog: pytest.LogCaptureFixture
) -> None:
    """The Quick start with the collector down: flush() then exit (shutdown) print one
    line in all, and shutdown says True (the records are safe in the spool)."""
    shipper = kit.shipper(
        down_collector.url, retry_deadline=LONG_RETRY_DEADLINE, flush_interval=60.0
    )
    records = kit.records(3)
    for record in records:
        shipper.emit(record)
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        assert shipper.flush()
        assert shipper.shutdown(5.0)
    assert_one_spool_line(caplog, kit, down_collector, 3)
    assert sorted(kit.spooled_ids()) == sorted(r.id for r in records)


@pytest.mark.timeout(20)
def test_flush_still_says_false_when_the_spool_cannot_take_the_records(
    down_collector: FakeCollector, kit: ShipKit
) -> None:
    """Spooled is not lost, but dropped is: a full spool makes the flush return False."""
    shipper = kit.shipper(
        down_collector.url,
        retry_deadline=LONG_RETRY_DEADLINE,
        flush_interval=60.0,
        spool_max_bytes=10,
    )
    for record in kit.records(5):
        shipper.emit(record)
    assert not shipper.flush()
    assert (shipper.stats.dropped, shipper.stats.spooled) == (5, 0)
