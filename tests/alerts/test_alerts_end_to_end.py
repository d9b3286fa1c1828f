"""Alerts end to end: real collectors (uvicorn on 127.0.0.1) evaluating rules on a short
schedule and posting signed webhooks to a real HTTP receiver on 127.0.0.1, on SQLite and
on PostgreSQL (two collectors on one database fire once)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.postgres_server import require_server, temporary_schema

from agenttrace.server import create_app
from agenttrace.server.alerts import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookSignatureError,
    sign,
    verify_signature,
)
from agenttrace.server.store import database_url_for, open_store
from agenttrace.server.testing import serve_in_thread

FAST_RETRIES = {"retry_base_s": 0.2, "retry_max_s": 0.4}


class Receiver:
    """A webhook receiver on 127.0.0.1 that checks signatures (and refuses replays); it is
    down (nothing listens on its port) until `start`."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = ""
        self.received: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.seen: set[str] = set()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        """Start listening on the port given out before."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    verify_signature(receiver.secret, self.headers[SIGNATURE_HEADER], body)
                except WebhookSignatureError as exc:
                    receiver.refused.append(str(exc))
                    self.send_response(400)
                else:
                    event_id = self.headers[EVENT_HEADER]
                    if event_id not in receiver.seen:
                        receiver.seen.add(event_id)
                        receiver.received.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver that is down until started."""
    made = Receiver()
    yield made
    made.stop()


def wait_for(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``condition`` until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"condition not met within {timeout} s")


@contextmanager
def collector(database_url: str) -> Iterator[httpx.Client]:
    """A collector over ``database_url`` evaluating alerts every 0.2 s."""
    store = open_store(database_url)
    try:
        with (
            serve_in_thread(
                create_app(store, alert_interval=0.2, alert_options=FAST_RETRIES)
            ) as url,
            httpx.Client(base_url=url) as c,
        ):
            yield c
    finally:
        store.close()


def record(record_id: str, *, status: str = "ok", **fields: Any) -> dict[str, Any]:
    """A request that started a second ago (inside any window)."""
    start = datetime.now(UTC) - timedelta(seconds=1)
    return {
        "id": record_id,
        "session_id": "s1",
        "session_path": "/tools/search",
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(milliseconds=100)).isoformat(),
        "status": status,
        **({"error": {"type": "E", "message": "boom"}} if status == "error" else {}),
        **fields,
    }


def ingest(http: httpx.Client, *records: dict[str, Any]) -> None:
    """Post records and check they were taken."""
    answer = http.post("/v1/records", json={"records": list(records)})
    assert answer.json()["accepted"] == len(records), answer.text


def add_rule(http: httpx.Client, receiver: Receiver, **spec: Any) -> dict[str, Any]:
    """Create a rule posting to ``receiver`` and give the receiver its secret."""
    answer = http.post("/v1/alerts/rules", json={**spec, "webhook_url": receiver.url})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    assert created["webhook_secret"].startswith("whsec_")
    receiver.secret = created["webhook_secret"]
    return created


def test_error_rate_fires_once_is_retried_while_the_receiver_is_down_then_resolves(
    tmp_path: Path, receiver: Receiver
) -> None:
    """The error rate of /tools/search passes 50 %: the rule fires once; its webhook fails
    while the receiver is down (logged, retried with backoff) and arrives signed once it is
    up; no repeat while firing; more good requests resolve it, with a second webhook."""
    with collector(database_url_for(tmp_path)) as http:
        rule = add_rule(
            http, receiver, name="search errors", metric="error_rate", threshold=0.5,
            window_s=3600, filter={"path": "/tools/search"},
        )  # fmt: skip
        ingest(http, record("e1", status="error"), record("other", session_path="/agent"))
        failing = wait_for(
            lambda: [
                d
                for d in http.get("/v1/alerts/deliveries").json()["deliveries"]
                if d["attempts"] >= 2
            ]
        )
        assert failing[0]["status"] == "pending"
        assert "Connect" in failing[0]["last_error"]
        assert http.get("/v1/alerts/rules").json()["rules"][0]["state"] == "firing"
        receiver.start()
        wait_for(lambda: receiver.received)
        fired = receiver.received[0]
        assert (fired["type"], fired["state"], fired["value"]) == ("alert.firing", "firing", 1.0)
        assert fired["rule"]["rule_id"] == rule["rule_id"]
        time.sleep(1.0)  # five more evaluations: still firing, nothing new sent
        assert len(receiver.received) == 1
        assert [e["state"] for e in http.get("/v1/alerts/events").json()["events"]] == ["firing"]
        delivered = http.get("/v1/alerts/deliveries").json()["deliveries"][0]
        assert delivered["status"] == "delivered"
        ingest(http, *(record(f"ok{i}") for i in range(3)))
        wait_for(lambda: len(receiver.received) == 2)
        assert receiver.received[1]["state"] == "resolved"
        assert receiver.received[1]["value"] == 0.25
        assert receiver.refused == []
        states = [e["state"] for e in http.get("/v1/alerts/events").json()["events"]]
        assert states == ["resolved", "firing"]
        assert http.get("/v1/alerts/rules").json()["rules"][0]["state"] == "ok"


@pytest.mark.postgres
def test_two_collectors_on_one_postgresql_fire_once(receiver: Receiver) -> None:
    """Two collectors evaluating the same rules on one database: one event, one webhook;
    a user's daily cost budget fires as well, once."""
    receiver.start()
    with ExitStack() as stack:
        url = stack.enter_context(temporary_schema(require_server()))
        first = stack.enter_context(collector(url))
        second = stack.enter_context(collector(url))
        add_rule(first, receiver, name="any traffic", metric="requests", threshold=0, window_s=600)
        budget = second.post(
            "/v1/alerts/rules",
            json={"name": "alice daily", "metric": "cost", "period": "day", "threshold": 1.0,
                  "filter": {"user_id": "alice"}, "webhook_url": receiver.url},
        ).json()  # fmt: skip
        ingest(second, record("r1", user_id="alice", cost_usd=0.6))
        wait_for(lambda: len(receiver.received) == 1)
        receiver.secret = budget["webhook_secret"]  # the budget's deliveries are signed so
        ingest(first, record("r2", user_id="alice", cost_usd=0.6))
        wait_for(lambda: len(receiver.received) == 2)
        time.sleep(1.5)
        names = sorted(d["rule"]["name"] for d in receiver.received)
        assert names == ["alice daily", "any traffic"]
        for http in (first, second):
            events = http.get("/v1/alerts/events").json()["events"]
            assert sorted(e["rule_name"] for e in events) == ["alice daily", "any traffic"]
        assert receiver.refused == []


def test_signatures_are_checked_and_replays_refused() -> None:
    """A receiver accepts the signed body, and refuses a changed body, another secret, a
    malformed header and a timestamp outside the tolerance (a replay)."""
    body = b'{"state":"firing"}'
    header = sign("whsec_a", body, timestamp=1_000_000)
    assert verify_signature("whsec_a", header, body, now=1_000_010) == 1_000_000
    bad = [
        ("whsec_a", header, b'{"state":"ok"}', 1_000_010, "does not match"),
        ("whsec_b", header, body, 1_000_010, "does not match"),
        ("whsec_a", "v1=abc", body, 1_000_010, "must read"),
        ("whsec_a", None, body, 1_000_010, "no X-Agenttrace-Signature"),
        ("whsec_a", header, body, 1_000_301, "replay"),
    ]
    for secret, sent, received, now, says in bad:
        with pytest.raises(WebhookSignatureError, match=says):
            verify_signature(secret, sent, received, now=now)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"metric": "cost", "threshold": 1}, "exactly one of window_s"),
        ({"metric": "errors", "threshold": 1, "period": "day"}, "a budget (period) watches cost"),
        (
            {"metric": "cost", "threshold": 1, "window_s": 60, "webhook_url": "ftp://x"},
            "webhook_url",
        ),
        ({"metric": "latency", "threshold": 1, "window_s": 60}, "metric"),
        ({"metric": "cost", "threshold": 1, "window_s": 60, "filter": {"x": 1}}, "filter.x"),
    ],
)
def test_bad_rules_get_a_sentence(tmp_path: Path, spec: dict[str, Any], says: str) -> None:
    """A rule that cannot work is refused with what to change; delete answers 404 for an
    unknown rule."""
    with collector(database_url_for(tmp_path)) as http:
        answer = http.post("/v1/alerts/rules", json={"name": "r", **spec})
        assert answer.status_code in {400, 422}, answer.text
        assert says in answer.json()["error"]
        assert http.delete("/v1/alerts/rules/nope").status_code == 404


def test_cli_and_client_manage_rules(tmp_path: Path, receiver: Receiver) -> None:
    """``agenttrace alerts add | list | history | deliveries | delete`` and the query client
    on the same rules; a budget fires and the history shows it."""
    from typer.testing import CliRunner

    from agenttrace.cli import app
    from agenttrace.query import QueryClient

    receiver.start()
    runner = CliRunner()
    with collector(database_url_for(tmp_path)) as http:
        url = str(http.base_url).rstrip("/")

        def run(*args: str) -> str:
            result = runner.invoke(app, ["--endpoint", url, "alerts", *args])
            assert result.exit_code == 0, result.output
            return result.output

        made = run("add", "bob budget", "--metric", "cost", "--period", "month",
                   "--threshold", "0.5", "--user", "bob", "--webhook", receiver.url)  # fmt: skip
        assert "webhook secret (shown once): whsec_" in made
        receiver.secret = made.rsplit(" ", 1)[1].strip()
        run("add", "slow", "--metric", "p95_latency_ms", "--threshold", "1000", "--window", "15m")
        with QueryClient(url) as client:
            rules = client.alert_rules()
            assert [(r.name, r.window_s, r.period) for r in rules] == [
                ("bob budget", None, "month"),
                ("slow", 900, None),
            ]
            ingest(http, record("b1", user_id="bob", cost_usd=0.75))
            wait_for(lambda: receiver.received)
            assert [e.state for e in client.alert_events()] == ["firing"]
            listed = json.loads(run("list", "-o", "json"))
            assert [r["state"] for r in listed] == ["firing", "ok"]
            assert "bob budget" in run("history")
            assert "delivered" in run("deliveries")
            run("delete", rules[1].rule_id)
            assert [r.name for r in client.alert_rules()] == ["bob budget"]
        wrong = runner.invoke(app, ["--endpoint", url, "alerts", "add", "x", "--metric", "cost",
                                    "--threshold", "1", "--window", "soon"])  # fmt: skip
        assert wrong.exit_code == 1
        assert "not a span of time" in wrong.output
