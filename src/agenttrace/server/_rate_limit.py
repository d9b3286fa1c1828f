"""`RateLimiter`: one token bucket per API key, in this process.

A bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per second; each
request takes one. An empty bucket says how long until the next token, which the collector
sends as ``Retry-After`` with its 429. Several collector replicas each limit on their own.
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

    >>> limiter = RateLimiter(rate=1.0, burst=2)
    >>> [limiter.acquire("k") for _ in range(3)][:2]
    [0.0, 0.0]
    """

    def __init__(
        self, rate: float, burst: float | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        """``rate`` requests per second on average, at most ``burst`` (default: twice the
        rate, at least 1) at once."""
        if not (rate > 0 and math.isfinite(rate)):
            msg = f"a rate limit must be a positive number of requests per second; got {rate}"
            raise ValueError(msg)
        burst = max(2.0 * rate, 1.0) if burst is None else burst
        if not (burst >= 1 and math.isfinite(burst)):
            msg = f"a rate limit's burst must be at least 1 request; got {burst}"
            raise ValueError(msg)
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.limited = 0
        """Requests refused so far (for tests and metrics)."""

    def acquire(self, name: str) -> float:
        """Take a token from ``name``'s bucket: 0.0 when there was one, else the seconds
        until there will be one (nothing is taken then)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = _Bucket(self.burst, now)
            else:
                elapsed = max(now - bucket.updated, 0.0)
                bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            self.limited += 1
            return (1.0 - bucket.tokens) / self.rate

    def describe(self) -> str:
        """``50 requests/s (burst 100)``."""
        return f"{self.rate:g} requests/s (burst {self.burst:g})"
