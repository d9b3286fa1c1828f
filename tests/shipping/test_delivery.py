"""Records reach the collector: batching, flush, shutdown, body shape, rejections."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import agenttrace
from agenttrace._internal import shipping
from agenttrace._internal.shipping import Shipper, encode_batch, record_ids
from agenttrace.exceptions import ConfigurationError
from agenttrace.records import ErrorInfo, Record, Status, Usage

if TYPE_CHECKING:
    from conftest import FakeCollector, ShipKit


def test_flush_delivers_every_record_once(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """flush() returns True once the collector stored every record, each exactly once."""
    shipper = kit.shipper(fake_collector.url, api_key="sk-test")
    records = kit.records(175)
    for record in records:
        shipper.emit(record)
    assert shipper.flush(10.0)
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert fake_collector.duplicated_ids() == set()
    assert {a.authorization for a in fake_collector.answered()} == {"Bearer sk-test"}
    assert max(len(a.ids) for a in fake_collector.answered()) <= 50
    stats = shipper.stats
    assert (stats.emitted, stats.sent, stats.queued, stats.dropped) == (175, 175, 0, 0)


def test_partial_batch_goes_out_after_flush_interval(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """Fewer records than a batch are sent by the interval timer, without any flush."""
    shipper = kit.shipper(fake_collector.url, flush_interval=0.1)
    records = kit.records(3)
    for record in records:
        shipper.emit(record)
    kit.wait_until(lambda: fake_collector.stored_ids() == {r.id for r in records}, what="3 ids")


def test_no_authorization_header_without_api_key(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """Without an API key no Authorization header is sent."""
    shipper = kit.shipper(fake_collector.url)
    shipper.emit(kit.records(1)[0])
    assert shipper.flush(10.0)
    assert [a.authorization for a in fake_collector.answered()] == [None]


def test_body_is_each_record_dumped_as_json(tmp_path: Path, kit: ShipKit) -> None:
    """The batch body is {"records": [record.model_dump(mode="json", exclude_none=True),
    ...]}: fields that are None are left out, and each record reads back equal."""
    records = kit.records(3)
    records[0].usage = None
    body = json.loads(encode_batch(records))
    assert body == {"records": [r.model_dump(mode="json", exclude_none=True) for r in records]}
    assert "usage" not in body["records"][0]
    assert [Record.model_validate(item) for item in body["records"]] == records


def test_nulls_inside_bodies_and_usage_are_kept_apart_from_left_out_fields() -> None:
    """Only the record's own None fields are left out: a null in the user's request or
    response is data and is sent; a record with every optional field set reads back equal."""
    full = Record(
        session_id="s",
        session_name="n",
        parent_id="p",
        model="m",
        provider="openai",
        user_id="u",
        end_time=datetime.now(UTC) + timedelta(seconds=1),
        time_to_first_token_ms=1.5,
        status=Status.ERROR,
        error=ErrorInfo(type="ValueError", message="bad"),
        usage=Usage(input_tokens=1, output_tokens=2, cache_read_tokens=0),
        cost_usd=0.0,
        branch_id="b",
        request={"tool_choice": None, "messages": [None, {"content": None}]},
        response=[None],
    )
    bare = Record(session_id="s")
    sent_full, sent_bare = json.loads(encode_batch([full, bare]))["records"]
    assert sent_full["request"] == {"tool_choice": None, "messages": [None, {"content": None}]}
    assert sent_full["response"] == [None]
    assert sent_full["usage"] == {
        "input_tokens": 1,
        "output_tokens": 2,
        "total_tokens": 3,
        "cache_read_tokens": 0,
    }
    assert "end_time" not in sent_bare
    assert "request" not in sent_bare
    assert [Record.model_validate(sent_full), Record.model_validate(sent_bare)] == [full, bare]


def test_unserialisable_body_is_sent_as_its_repr() -> None:
    """A body object JSON cannot express is sent as its repr instead of failing the batch."""

    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque thing>"

    record = Record(session_id="s", request={"tool": Opaque()})
    (sent,) = json.loads(encode_batch([record]))["records"]
    assert sent["request"] == {"tool": "<Opaque thing>"}


def test_flush_before_shutdown_then_shutdown_is_clean(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """Everything flushed is at the collector before shutdown; shutdown then returns True."""
    shipper = kit.shipper(fake_collector.url, flush_interval=60.0)
    records = kit.records(20)
    for record in records:
        shipper.emit(record)
    assert shipper.flush(10.0)
    assert fake_collector.stored_ids() == {r.id for r in records}
    assert shipper.shutdown(5.0)


def test_shutdown_delivers_what_is_queued(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """Records still queued at shutdown are posted before it returns."""
    shipper = kit.shipper(fake_collector.url, flush_interval=60.0)
    records = kit.records(30)
    for record in records:
        shipper.emit(record)
    assert shipper.shutdown(5.0)
    assert fake_collector.stored_ids() == {r.id for r in records}


def test_emit_after_shutdown_is_dropped_and_counted(
    fake_collector: FakeCollector, caplog: pytest.LogCaptureFixture, kit: ShipKit
) -> None:
    """A record emitted after shutdown is not sent, counts as dropped and warns once."""
    shipper = kit.shipper(fake_collector.url)
    assert shipper.shutdown(5.0)
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        for record in kit.records(3):
            shipper.emit(record)
    assert shipper.stats.dropped == 3
    assert fake_collector.answered() == []
    assert len([r for r in caplog.records if "after shutdown" in r.getMessage()]) == 1


def test_shutdown_twice_is_safe(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """A second shutdown (and a flush after it) returns the first one's result."""
    shipper = kit.shipper(fake_collector.url)
    shipper.emit(kit.records(1)[0])
    assert shipper.shutdown(5.0)
    assert shipper.shutdown(5.0)
    assert shipper.flush(1.0)
    assert len(fake_collector.stored_ids()) == 1


def test_many_threads_emitting_lose_nothing(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """Records emitted from 8 threads at once all arrive, once each."""
    shipper = kit.shipper(fake_collector.url, queue_size=10_000)
    per_thread = [kit.records(500, session_id=f"t{n}") for n in range(8)]
    start = threading.Barrier(8)

    def produce(records: list[Record]) -> None:
        start.wait()
        for record in records:
            shipper.emit(record)

    threads = [threading.Thread(target=produce, args=(chunk,)) for chunk in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert shipper.flush(20.0)
    assert fake_collector.stored_ids() == {r.id for chunk in per_thread for r in chunk}
    assert fake_collector.duplicated_ids() == set()


def test_flush_returns_while_another_thread_keeps_emitting(
    fake_collector: FakeCollector, kit: ShipKit
) -> None:
    """flush() waits for the records emitted before it, not for the endless stream after."""
    shipper = kit.shipper(fake_collector.url)
    stop = threading.Event()

    def produce() -> None:
        while not stop.wait(0.001):  # bursts of 20: a busy program, not a hot loop
            for _ in range(20):
                shipper.emit(Record(session_id="stream"))

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        before = kit.records(120)
        for record in before:
            shipper.emit(record)
        assert shipper.flush(20.0)
        assert {r.id for r in before} <= fake_collector.stored_ids()
    finally:
        stop.set()
        producer.join()


def test_rejected_records_are_logged_once_and_not_retried(
    fake_collector: FakeCollector, caplog: pytest.LogCaptureFixture, kit: ShipKit
) -> None:
    """Records the collector rejects are counted, logged with its message, never re-sent."""
    records = kit.records(10)
    fake_collector.reject[records[3].id] = "session_path has 70 segments; at most 64"
    shipper = kit.shipper(fake_collector.url)
    with caplog.at_level(logging.WARNING, logger="agenttrace"):
        for record in records:
            shipper.emit(record)
        assert not shipper.flush(10.0)  # one record was not stored
    assert len(fake_collector.answered()) == 1
    assert (shipper.stats.sent, shipper.stats.rejected) == (9, 1)
    (warning,) = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert records[3].id in warning
    assert "at most 64" in warning


def test_tracer_uses_the_shipper_by_default(fake_collector: FakeCollector, kit: ShipKit) -> None:
    """agenttrace.configure(endpoint=...) ships emitted records through a Shipper."""
    tracer = agenttrace.configure(fake_collector.url, spool_dir=kit.spool_dir, flush_interval=0.05)
    try:
        record = kit.records(1)[0]
        agenttrace.emit(record)
        assert isinstance(tracer.exporter, Shipper)
        assert agenttrace.flush(10.0)
        assert fake_collector.stored_ids() == {record.id}
    finally:
        agenttrace.shutdown(5.0)


def test_invalid_settings_say_what_to_fix(kit: ShipKit) -> None:
    """A nonsensical setting is refused with the setting and its variable named."""
    with pytest.raises(ConfigurationError, match="AGENTTRACE_QUEUE_SIZE"):
        Shipper(kit.settings("http://127.0.0.1:9", queue_size=0))


def test_package_all_lists_exactly_the_public_names() -> None:
    """__all__ is sorted and names exactly the package's public attributes."""
    public = {
        name
        for name, value in vars(shipping).items()
        if not name.startswith("_") and type(value).__name__ != "module" and name != "annotations"
    }
    assert shipping.__all__ == sorted(shipping.__all__)
    assert set(shipping.__all__) == public


def test_record_ids_reads_a_body(kit: ShipKit) -> None:
    """record_ids lists the ids of a batch body in order and refuses other JSON."""
    records = kit.records(3)
    assert record_ids(encode_batch(records)) == [r.id for r in records]
    with pytest.raises(ValueError, match="records"):
        record_ids(b'{"items": []}')
