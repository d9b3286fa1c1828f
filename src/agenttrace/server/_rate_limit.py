"""`RateLimiter`: one token bucket per API key, in this process, counted in records.

A bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per second. An
ingest batch costs one token per record it holds, and any other request (a query, a
Helicone log) one: what a key may do is bounded by the records it sends, not by how it
groups them into requests. A cost the bucket does not hold is refused, taking nothing, and
the bucket says how long until it would hold it, which the collector sends as
``Retry-After`` with its 429. A cost larger than the burst is taken when the bucket is full
and leaves it in debt (below zero), so the average rate holds for batches of any size.
Several collector replicas each limit on their own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by name (an API key id); thread-safe.

    >>> limiter = RateLimiter(rate=10.0, burst=20)
    >>> limiter.acquire("k", 15), limiter.acquire("k", 6) > 0, limiter.acquire("k", 5)
    (0.0, True, 0.0)
    """

    def __init__(
        self, rate: float, burst: float | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        """``rate`` records per second on average, at most ``burst`` (default: twice the
        rate, at least 1) at once."""
        if not (rate > 0 and math.isfinite(rate)):
            msg = f"a rate limit must be a positive number of records per second; got {rate}"
            raise ValueError(msg)
        burst = max(2.0 * rate, 1.0) if burst is None else burst
        if not (burst >= 1 and math.isfinite(burst)):
            msg = f"a rate limit's burst must be at least 1 record; got {burst}"
            raise ValueError(msg)
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.limited = 0
        """Requests refused so far (for tests and metrics)."""

    def _bucket(self, name: str) -> _Bucket:
        """``name``'s bucket, refilled up to now (call with the lock held)."""
        now = self._clock()
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = _Bucket(self.burst, now)
        else:
            elapsed = max(now - bucket.updated, 0.0)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        return bucket

    def _wait(self, bucket: _Bucket, cost: float) -> float:
        needed = min(cost, self.burst)
        return 0.0 if bucket.tokens >= needed else (needed - bucket.tokens) / self.rate

    def acquire(self, name: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens from ``name``'s bucket: 0.0 when it held them, else the
        seconds until it will (nothing is taken then)."""
        with self._lock:
            bucket = self._bucket(name)
            wait = self._wait(bucket, cost)
            if wait == 0.0:
                bucket.tokens -= cost
            else:
                self.limited += 1
            return wait

    def take(self, name: str, cost: float = 1.0) -> None:
        """Take ``cost`` tokens from ``name``'s bucket whatever it holds (for work already
        done: the bucket may go into debt)."""
        with self._lock:
            self._bucket(name).tokens -= cost

    def available_in(self, name: str, cost: float = 1.0) -> float:
        """The seconds until ``name``'s bucket holds ``cost`` tokens (0.0: it does now);
        takes nothing, and counts a nonzero answer as a refusal."""
        with self._lock:
            wait = self._wait(self._bucket(name), cost)
            if wait > 0.0:
                self.limited += 1
            return wait

    def describe(self) -> str:
        """``5000 records/s (burst 10000)``."""
        return f"{self.rate:g} records/s (burst {self.burst:g})"
