"""A scriptable fake collector for the shipper's tests, and helpers to drive a `Shipper`.

`FakeCollector` is a real HTTP/1.1 server (``ThreadingHTTPServer``, keep-alive) on
127.0.0.1 with a free port that speaks ``POST /v1/records`` like the real collector
(idempotent by record id) and can be told to:

* be *down*: its port is bound but not listening, so connections are refused; ``up()``
  starts listening on the same port;
* answer the next N requests with a status (500, 429 with ``Retry-After``, 400, ...);
* *hold* requests (a hung collector) until ``release()``, or take ``delay`` seconds each;
* reject chosen record ids with a message.

It records every attempt (time, status, ids) and every id it stored, so tests check that
nothing was lost and nothing arrived twice.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper, record_ids
from agenttrace.records import Record

HOLD_LIMIT_S = 30.0
"""A held request is answered after this long even if the test forgot to release it."""


@dataclass(frozen=True)
class Attempt:
    """One request the fake collector saw."""

    at: float
    """`time.monotonic()` when it arrived."""
    status: int
    ids: list[str]
    authorization: str | None


@dataclass
class Scripted:
    """A canned answer for the next request."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    collector: FakeCollector


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        status, headers, payload = self.server.collector.answer(
            self.path, self.headers.get("authorization"), body
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class FakeCollector:
    """``POST /v1/records`` on 127.0.0.1, scriptable; see the module docstring."""

    def __init__(self, *, listening: bool = True) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler, bind_and_activate=False)
        self._server.collector = self
        self._server.server_bind()
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._script: deque[Scripted] = deque()
        self._thread: threading.Thread | None = None
        self._open = threading.Event()
        self._open.set()
        self.arrived = threading.Event()
        """Set whenever a request arrives (tests clear it to wait for the next one)."""
        self.attempts: list[Attempt] = []
        self.stored: Counter[str] = Counter()
        """How many times each id was *stored* (must never exceed 1)."""
        self.offered: Counter[str] = Counter()
        """How many times each id was posted, whatever the answer."""
        self.reject: dict[str, str] = {}
        self.delay = 0.0
        """Seconds each request takes (a slow collector)."""
        if listening:
            self.up()

    # -- control ---------------------------------------------------------------------------

    def up(self) -> None:
        """Start listening (connections were refused until now)."""
        self._server.server_activate()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def fail_next(
        self,
        count: int,
        status: int,
        headers: dict[str, str] | None = None,
        error: str = "scripted failure",
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (and ``headers``)."""
        with self._lock:
            for _ in range(count):
                self._script.append(Scripted(status, headers or {}, {"error": error}))

    def heal(self) -> None:
        """Drop the scripted answers not given yet (the outage ends)."""
        with self._lock:
            self._script.clear()

    def hold(self) -> None:
        """Make requests wait (a slow collector) until `release`."""
        self._open.clear()

    def release(self) -> None:
        """Let held requests proceed."""
        self._open.set()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.release()
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()

    # -- what it saw -----------------------------------------------------------------------

    def stored_ids(self) -> set[str]:
        """Every id stored so far."""
        with self._lock:
            return set(self.stored)

    def duplicated_ids(self) -> set[str]:
        """Ids stored more than once (always empty: storage is idempotent) or posted twice."""
        with self._lock:
            return {i for i, n in self.offered.items() if n > 1}

    def answered(self) -> list[Attempt]:
        """The attempts answered so far."""
        with self._lock:
            return list(self.attempts)

    # -- the endpoint ----------------------------------------------------------------------

    def answer(
        self, path: str, authorization: str | None, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Answer one request (called on the server's threads)."""
        arrived = time.monotonic()
        self.arrived.set()
        self._open.wait(HOLD_LIMIT_S)
        if self.delay:
            time.sleep(self.delay)  # simulated work, not a test waiting for something
        if path != "/v1/records":
            return 404, {}, {"error": f"no route {path}"}
        try:
            ids = record_ids(body)
        except ValueError as exc:
            return self._log(Attempt(arrived, 400, [], authorization), {}, {"error": str(exc)})
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            attempt = Attempt(arrived, scripted.status, ids, authorization)
            return self._log(attempt, scripted.headers, scripted.body)
        accepted, duplicates, rejected = 0, 0, []
        with self._lock:
            for index, record_id in enumerate(ids):
                self.offered[record_id] += 1
                if record_id in self.reject:
                    rejected.append(
                        {"index": index, "id": record_id, "message": self.reject[record_id]}
                    )
                elif record_id in self.stored:
                    duplicates += 1
                else:
                    self.stored[record_id] += 1
                    accepted += 1
        result = {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}
        return self._log(Attempt(arrived, 200, ids, authorization), {}, result)

    def _log(
        self, attempt: Attempt, headers: dict[str, str], payload: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.attempts.append(attempt)
        return attempt.status, headers, payload


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.005)


def make_records(count: int, session_id: str = "session") -> list[Record]:
    """``count`` small records with distinct ids."""
    return [
        Record(session_id=session_id, name=f"call-{i}", request={"i": i}, response="ok")
        for i in range(count)
    ]


class ShipKit:
    """What a shipper test needs: settings, shippers (shut down at teardown), a spool."""

    wait_until = staticmethod(wait_until)
    records = staticmethod(make_records)

    def __init__(self, spool_dir: Path) -> None:
        self.spool_dir = spool_dir
        self.made: list[Shipper] = []

    def settings(self, endpoint: str, **overrides: Any) -> Settings:
        """Small batches, short intervals, this test's spool directory."""
        values: dict[str, Any] = {
            "endpoint": endpoint,
            "queue_size": 1_000,
            "batch_size": 50,
            "flush_interval": 0.05,
            "request_timeout": 5.0,
            "retry_deadline": 5.0,
            "shutdown_timeout": 5.0,
            "spool_dir": self.spool_dir,
            "spool_max_bytes": 50 * 1024 * 1024,
        }
        values.update(overrides)
        return Settings(**values)

    def shipper(self, endpoint_or_settings: str | Settings, **overrides: Any) -> Shipper:
        """A shipper for ``endpoint`` (with `settings` overrides) or for given settings."""
        settings = (
            self.settings(endpoint_or_settings, **overrides)
            if isinstance(endpoint_or_settings, str)
            else endpoint_or_settings
        )
        shipper = Shipper(settings)
        self.made.append(shipper)
        return shipper

    @staticmethod
    def emit_in_one_go(shipper: Shipper, records: Iterable[Record]) -> None:
        """Emit ``records`` without the worker thread running in between: tests that count
        on the whole burst being queued before the worker takes its first batch would
        otherwise fail when the interpreter happens to switch threads inside the loop."""
        before = sys.getswitchinterval()
        sys.setswitchinterval(1.0)  # the loop takes well under a millisecond
        try:
            for record in records:
                shipper.emit(record)
        finally:
            sys.setswitchinterval(before)

    def spooled_ids(self) -> list[str]:
        """The ids in every ready spool file (duplicates kept)."""
        if not self.spool_dir.exists():
            return []
        paths = sorted(self.spool_dir.glob("*.json"))
        return [i for path in paths for i in record_ids(path.read_bytes())]

    def close(self) -> None:
        """Shut down every shipper made here."""
        for shipper in self.made:
            shipper.shutdown(5.0)


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[ShipKit]:
    """A `ShipKit` with its spool under ``tmp_path`` (never the user's cache)."""
    shipkit = ShipKit(tmp_path / "spool")
    yield shipkit
    shipkit.close()


@pytest.fixture
def fake_collector() -> Iterator[FakeCollector]:
    """A listening fake collector."""
    collector = FakeCollector()
    yield collector
    collector.close()


@pytest.fixture
def down_collector() -> Iterator[FakeCollector]:
    """A fake collector that refuses connections until ``up()``."""
    collector = FakeCollector(listening=False)
    yield collector
    collector.close()
