"""Which answers are retried, how long the shipper waits, and when it gives up."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest

from agenttrace._internal.shipping import encode_batch
from agenttrace._internal.shipping._payload import split_body
from agenttrace._internal.shipping._retry import parse_retry_after

if TYPE_CHECKING:
    from conftest import FakeCollector, ShipKit


def test_server_errors_are_retried_until_stored(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """Two 500s then a 200: the batch is retried and stored once; retries are counted."""
    fake_collector.fail_next(2, 500)
    shipper = kit.shipper(fake_collector.url)
    records = kit.records(10)
    for record in records:
        shipper.emit(record)
    assert shipper.flush(15.0)
    assert [a.status for a in fake_collector.answered()] == [500, 500, 200]
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert shipper.stats.retries == 2


@pytest.mark.parametrize("status", [408, 502, 503, 504])
def test_transient_statuses_are_retried(
    status: int, fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """408 and other 5xx answers are retried like 500."""
    fake_collector.fail_next(1, status)
    shipper = kit.shipper(fake_collector.url)
    shipper.emit(kit.records(1)[0])
    assert shipper.flush(15.0)
    assert [a.status for a in fake_collector.answered()] == [status, 200]


def test_retry_after_seconds_is_honoured(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """After a 429 with Retry-After: 1 the next attempt comes at least a second later."""
    fake_collector.fail_next(1, 429, {"Retry-After": "1"})
    shipper = kit.shipper(fake_collector.url)
    shipper.emit(kit.records(1)[0])
    assert shipper.flush(15.0)
    first, second = fake_collector.answered()
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0


def test_retry_after_date_is_honoured(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """A 503 whose Retry-After is an HTTP-date two to three seconds ahead delays the next
    attempt (three seconds after the start of the current second, so that the first
    request's own latency cannot bring the date within a second of it)."""
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    fake_collector.fail_next(1, 503, {"Retry-After": format_datetime(when, usegmt=True)})
    shipper = kit.shipper(fake_collector.url)
    shipper.emit(kit.records(1)[0])
    assert shipper.flush(15.0)
    first, second = fake_collector.answered()
    assert (first.status, second.status) == (503, 200)
    assert second.at - first.at >= 1.0  # the date has one-second resolution


def test_client_errors_are_not_retried(
    fake_collector: FakeCollector, caplog: pytest.LogCaptureFixture, kit: ShipKit
) -> None:
    """A 400 is final: one attempt, the records count as rejected, the message is logged."""
    fake_collector.fail_next(1, 400, error="body is not a JSON object; send {records: [...]}")
    shipper = kit.shipper(fake_collector.url)
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        for record in kit.records(5):
            shipper.emit(record)
        assert not shipper.flush(15.0)
    assert [a.status for a in fake_collector.answered()] == [400]
    assert (shipper.stats.rejected, shipper.stats.retries, shipper.stats.spooled) == (5, 0, 0)
    assert any("send {records: [...]}" in r.getMessage() for r in caplog.records)


def test_too_large_batches_are_split(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """A 413 makes the shipper send the batch again in two halves."""
    fake_collector.fail_next(1, 413)
    shipper = kit.shipper(fake_collector.url)
    records = kit.records(10)
    for record in records:
        shipper.emit(record)
    assert shipper.flush(15.0)
    assert [(a.status, len(a.ids)) for a in fake_collector.answered()] == [
        (413, 10),
        (200, 5),
        (200, 5),
    ]
    assert fake_collector.stored_ids() == {r.id for r in records}


def test_exhausted_retry_budget_spools_the_batch(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """A batch still failing at the retry deadline goes to the spool, where it is safe:
    flush says True."""
    fake_collector.fail_next(1_000, 503)
    # The deadline leaves room for the first attempt plus the largest first back-off (its
    # jitter is up to 0.25 s) on a loaded machine, so at least one retry always happens.
    shipper = kit.shipper(fake_collector.url, retry_deadline=1.0)
    records = kit.records(10)
    for record in records:
        shipper.emit(record)
    assert shipper.flush(15.0)
    assert sorted(kit.spooled_ids()) == sorted(r.id for r in records)
    assert shipper.stats.spooled == 10
    assert shipper.stats.retries >= 1


def test_shutdown_cuts_a_backoff_short(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """A shutdown during a 30 s Retry-After wait spools the batch instead of waiting (and
    says True: nothing is lost)."""
    fake_collector.fail_next(1, 429, {"Retry-After": "30"})
    shipper = kit.shipper(fake_collector.url, retry_deadline=60.0)
    record = kit.records(1)[0]
    shipper.emit(record)
    kit.wait_until(lambda: len(fake_collector.answered()) == 1, what="the 429")
    started = time.monotonic()
    assert shipper.shutdown(10.0)
    assert time.monotonic() - started < 5.0  # not the 30 s the server asked for
    assert kit.spooled_ids() == [record.id]


def test_parse_retry_after() -> None:
    """Retry-After is read as seconds or as an HTTP-date, clamped, None when unreadable."""
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    earlier = format_datetime(now - timedelta(seconds=7), usegmt=True)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(later, now=now) == 7.0
    assert parse_retry_after(earlier, now=now) == 0.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("86400") == 300.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


def test_split_body_halves_a_batch(kit: ShipKit) -> None:
    """split_body cuts a batch body into two valid bodies holding all its records."""
    records = kit.records(5)
    first, second = split_body(encode_batch(records))
    halves = [json.loads(first)["records"], json.loads(second)["records"]]
    assert [len(h) for h in halves] == [2, 3]
    assert [r["id"] for h in halves for r in h] == [r.id for r in records]
    with pytest.raises(ValueError, match="fewer than two"):
        split_body(encode_batch(records[:1]))
