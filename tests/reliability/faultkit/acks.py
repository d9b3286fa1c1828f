"""An httpx transport that records, attempt by attempt, what the collector acknowledged.

Given to ``Shipper(settings, transport=AckLog())``, it sits under the shipper's real
client and HTTP stack, so it sees exactly what the shipper sees: which batches were sent,
how each attempt ended (status, ``Retry-After``, or a transport error such as a connection
cut by ``kill -9``), and the ids of every record the collector answered 200 for (stored or
already there). Those ids are the ones that must survive any later fault.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx

from agenttrace._internal.shipping import record_ids
from agenttrace.records import IngestResult

__all__ = ["AckLog", "Attempt"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of a batch and how it ended."""

    started: float
    """`time.monotonic()` when it was sent."""
    ended: float
    records: int
    status: int | None
    """None when the attempt failed below HTTP (refused, reset, timed out)."""
    retry_after: str | None = None
    error: str | None = None


class AckLog(httpx.HTTPTransport):
    """`httpx.HTTPTransport` that logs every ingest attempt and the acknowledged ids."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._lock = threading.Lock()
        self._acknowledged: set[str] = set()
        self._attempts: list[Attempt] = []
        self._inflight: dict[int, float] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; log how it ended and, on 200, which ids were acknowledged."""
        if request.method != "POST" or request.url.path != "/v1/records":
            return super().handle_request(request)
        ids = record_ids(request.content)
        started = time.monotonic()
        key = id(request)
        with self._lock:
            self._inflight[key] = started
        try:
            response = super().handle_request(request)
            response.read()
        except httpx.TransportError as exc:
            self._log(Attempt(started, time.monotonic(), len(ids), None, error=type(exc).__name__))
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
        attempt = Attempt(
            started,
            time.monotonic(),
            len(ids),
            response.status_code,
            retry_after=response.headers.get("retry-after"),
        )
        acknowledged: list[str] = []
        if response.status_code == 200:
            result = IngestResult.model_validate_json(response.content)
            refused = {item.index for item in result.rejected}
            acknowledged = [rid for index, rid in enumerate(ids) if index not in refused]
        with self._lock:
            self._acknowledged.update(acknowledged)
        self._log(attempt)
        return response

    def _log(self, attempt: Attempt) -> None:
        with self._lock:
            self._attempts.append(attempt)

    # -- what it saw -----------------------------------------------------------------------

    def acknowledged(self) -> set[str]:
        """Ids of the records the collector answered 200 for, so far."""
        with self._lock:
            return set(self._acknowledged)

    def attempts(self) -> list[Attempt]:
        """Every finished attempt, in the order they finished."""
        with self._lock:
            return list(self._attempts)

    def inflight_since(self) -> float | None:
        """When the oldest unanswered attempt was sent (None when none is in flight)."""
        with self._lock:
            return min(self._inflight.values(), default=None)

    def cut_off_at(self, moment: float) -> list[Attempt]:
        """Attempts in flight at ``moment`` that then failed below HTTP (no answer came)."""
        return [a for a in self.attempts() if a.status is None and a.started <= moment <= a.ended]

    def with_status(self, status: int, since: float = 0.0) -> list[Attempt]:
        """Attempts answered with ``status`` that ended at or after ``since``."""
        return [a for a in self.attempts() if a.status == status and a.ended >= since]
