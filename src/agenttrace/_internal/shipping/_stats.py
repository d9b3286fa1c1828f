"""What the shipper has done so far: counters, their snapshot, and a rate-limited warning."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, fields

__all__ = ["Counters", "RateLimitedWarning", "ShipperStats", "logger"]

logger = logging.getLogger("agenttrace.shipping")


@dataclass(frozen=True, slots=True)
class ShipperStats:
    """A snapshot of the shipper's counters (records, except ``retries``).

    Every emitted record ends in exactly one of ``sent``, ``duplicates``, ``rejected`` or
    ``dropped``, or is still on its way (``queued`` in memory, or in the spool).
    """

    emitted: int = 0
    """Records handed to `Shipper.emit` and accepted into memory (not dropped)."""
    queued: int = 0
    """Records in memory right now (queue plus overflow hand-off)."""
    sent: int = 0
    """Records the collector stored (``accepted``), from memory or from the spool."""
    duplicates: int = 0
    """Records the collector already had (a re-send after an ambiguous failure)."""
    rejected: int = 0
    """Records the collector refused (invalid, or a non-retryable 4xx); logged, not retried."""
    repaired: int = 0
    """Records sent with text repaired: lone surrogates, which UTF-8 cannot encode, as
    U+FFFD; each says so in its property ``agenttrace.repaired`` (counted when encoded)."""
    retries: int = 0
    """HTTP attempts that were retried (connection errors, 408, 429, 5xx)."""
    spooled: int = 0
    """Records written to the disk spool (retry budget exhausted, overflow, exit)."""
    delivered_from_spool: int = 0
    """Records of spool files that the collector acknowledged (stored or duplicate)."""
    dropped: int = 0
    """Records lost: emitted after shutdown, the spool was full or unwritable, or the record
    cannot be encoded as JSON even repaired (a body that contains itself, an object whose
    ``repr`` raises); logged, each time with the reason."""


class Counters:
    """Thread-safe counters behind `ShipperStats` (``emitted``/``queued`` live elsewhere)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = {f.name: 0 for f in fields(ShipperStats)}

    def add(self, **amounts: int) -> None:
        """Add to the named counters."""
        with self._lock:
            for name, amount in amounts.items():
                self._values[name] += amount

    def get(self, name: str) -> int:
        """One counter now."""
        with self._lock:
            return self._values[name]

    def snapshot(self, *, emitted: int, queued: int) -> ShipperStats:
        """The counters now, with the buffer's own figures."""
        with self._lock:
            values = dict(self._values)
        values.update(emitted=emitted, queued=queued)
        return ShipperStats(**values)


class RateLimitedWarning:
    """Logs one warning at most once per ``interval`` seconds; counts what it held back."""

    def __init__(self, interval: float = 60.0) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._last: float | None = None
        self._suppressed = 0

    def warn(self, message: str, *args: object) -> bool:
        """Log ``message % args`` unless a warning went out less than ``interval`` ago."""
        now = time.monotonic()
        with self._lock:
            if self._last is not None and now - self._last < self._interval:
                self._suppressed += 1
                return False
            self._last, suppressed, self._suppressed = now, self._suppressed, 0
        if suppressed:
            message += " (%d similar warning(s) suppressed)"
            args = (*args, suppressed)
        logger.warning(message, *args)
        return True
