"""A lease holder that stalls past its lease is fenced out: two evaluators on one database
(two stores, as two collectors have; PostgreSQL and SQLite), the first paused mid-round
until the second has taken the lease over and done the work. The receiver, a real HTTP
server on 127.0.0.1, counts every POST, repeats included."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.alerts import EVENT_HEADER, AlertEvaluator
from agenttrace.server.store.alert_models import AlertRuleIn
from agenttrace.server.store.alerts import PendingDelivery, StoredRule

PROJECT = "default"


class Counting:
    """A webhook receiver that keeps the event id of every POST it gets."""

    def __init__(self) -> None:
        posts: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                posts.append(self.headers[EVENT_HEADER])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.posts = posts
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Counting]:
    """A running receiver."""
    made = Counting()
    yield made
    made.server.shutdown()
    made.server.server_close()


class Stalling(AlertEvaluator):
    """An evaluator that pauses once, at ``step`` ("record": between measuring a rule and
    recording it; "deliver": between reading the due deliveries and sending one), until
    `resume` is set: a long GC pause, a swapped-out process, a slow disk."""

    def __init__(self, *args: Any, step: str, **options: Any) -> None:
        super().__init__(*args, **options)
        self.step = step
        self.stalled = threading.Event()
        self.resume = threading.Event()

    def _pause(self, step: str) -> None:
        if step == self.step and not self.resume.is_set():
            self.stalled.set()
            assert self.resume.wait(60)

    def _record(self, stored: StoredRule, value: float | None, breached: bool) -> None:
        self._pause("record")
        super()._record(stored, value, breached)

    def _deliver(self, pending: PendingDelivery) -> None:
        self._pause("deliver")
        super()._deliver(pending)


def _in_background(call: Callable[[], bool]) -> tuple[threading.Thread, list[bool]]:
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    thread.start()
    return thread, answers


def _take_over(evaluator: AlertEvaluator) -> None:
    """Tick ``evaluator`` until the stalled holder's lease has lapsed and it got it."""
    deadline = time.monotonic() + 20
    while not evaluator.tick():
        assert time.monotonic() < deadline, "the lease never lapsed"
        time.sleep(0.05)


def _request(record_id: str) -> Record:
    start = datetime.now(UTC) - timedelta(seconds=1)
    return Record.model_validate(
        {"id": record_id, "session_id": "s", "start_time": start.isoformat(),
         "end_time": (start + timedelta(milliseconds=5)).isoformat()}
    )  # fmt: skip


def _pair(store_factory: Any, step: str) -> tuple[Any, Stalling, AlertEvaluator]:
    first_store, second_store = store_factory.open(), store_factory.open()
    first = Stalling(first_store, interval=0.1, step=step, retry_base_s=0.1)
    second = AlertEvaluator(second_store, interval=0.1, retry_base_s=0.1)
    first.lease_s = second.lease_s = 0.5
    return first_store, first, second


def test_a_holder_stalled_before_sending_does_not_send_again(
    store_factory: Any, receiver: Counting
) -> None:
    """The first evaluator fires and reads the delivery as due, then stalls; the second
    takes the lease over and sends it. Resumed, the first sends nothing: one POST."""
    store, first, second = _pair(store_factory, "deliver")
    alerts = store.alert_store()
    alerts.create_rule(PROJECT, AlertRuleIn(
        name="any request", metric="requests", threshold=0, window_s=600, webhook_url=receiver.url
    ))  # fmt: skip
    store.ingest(PROJECT, [_request("r1")])
    try:
        thread, answers = _in_background(first.tick)
        assert first.stalled.wait(30)
        _take_over(second)
        assert len(receiver.posts) == 1
        first.resume.set()
        thread.join(30)
        (event,) = alerts.events(PROJECT, 10)
        assert receiver.posts == [event.event_id]
        assert answers == [False]  # it learnt it had lost the lease
        (delivery,) = alerts.deliveries(PROJECT, 10)
        assert (delivery.status, delivery.attempts) == ("delivered", 1)
        assert second.tick() is True
        assert len(receiver.posts) == 1
    finally:
        first.resume.set()
        first.close()
        second.close()


def test_a_holder_stalled_after_measuring_does_not_fire_from_its_old_reading(
    store_factory: Any, receiver: Counting
) -> None:
    """The first evaluator measures "no requests" (breached) and stalls; meanwhile the
    second fires, a request arrives and the second resolves. Resumed, the first's stale
    reading would find the state "ok" again and fire a second time: it is refused."""
    store, first, second = _pair(store_factory, "record")
    alerts = store.alert_store()
    alerts.create_rule(PROJECT, AlertRuleIn(
        name="silence", metric="requests", op="lt", threshold=1, window_s=600,
        webhook_url=receiver.url,
    ))  # fmt: skip
    try:
        thread, answers = _in_background(first.tick)
        assert first.stalled.wait(30)
        _take_over(second)  # fires and sends
        store.ingest(PROJECT, [_request("r1")])
        assert second.tick() is True  # resolves and sends
        assert [e.state for e in alerts.events(PROJECT, 10)] == ["resolved", "firing"]
        first.resume.set()
        thread.join(30)
        assert answers == [False]
        assert second.tick() is True
        assert [e.state for e in alerts.events(PROJECT, 10)] == ["resolved", "firing"]
        assert alerts.list_rules(PROJECT)[0].state == "ok"
        assert sorted(receiver.posts) == sorted(e.event_id for e in alerts.events(PROJECT, 10))
    finally:
        first.resume.set()
        first.close()
        second.close()


def test_a_delivery_claimed_by_a_live_holder_is_left_to_it(store_factory: Any) -> None:
    """A delivery claimed by one collector is not due for another until the claim ends,
    and only the claimant logs its outcome."""
    store, first, second = _pair(store_factory, "none")
    alerts = store.alert_store()
    alerts.create_rule(PROJECT, AlertRuleIn(
        name="r", metric="requests", threshold=0, window_s=600, webhook_url="http://127.0.0.1:9/"
    ))  # fmt: skip
    store.ingest(PROJECT, [_request("r1")])
    try:
        stored = alerts.all_rules()[0]
        assert alerts.take_lease(first.holder, 30)
        assert alerts.record_value(stored, 1.0, True, holder=first.holder, lease_s=30)
        (due,) = alerts.due_deliveries()
        claimed = alerts.claim_delivery(due, holder=first.holder, lease_s=30, claim_s=30)
        assert claimed is not None
        assert alerts.due_deliveries() == []
        assert alerts.claim_delivery(due, holder=first.holder, lease_s=30, claim_s=30) is None
        alerts.delivery_done(due, ok=True, error=None, attempts=1, retry_us=0)  # stale claim
        assert alerts.deliveries(PROJECT, 10)[0].status == "pending"
        alerts.delivery_done(claimed, ok=True, error=None, attempts=1, retry_us=0)
        assert alerts.deliveries(PROJECT, 10)[0].status == "delivered"
    finally:
        first.close()
        second.close()
