"""Record and session ids: UUIDv7 strings (RFC 9562), time-ordered.

48 bits of Unix milliseconds, then 74 random bits. Ids only need to be unique, not secret
(`random` is reseeded in forked children). Being time-ordered, new ids land at the end of
the stores' id indexes instead of on random pages: SQLite's ingest rate stays flat as the
database grows instead of falling by more than half over the first 100,000 records
(measured with ``benchmarks/shipper_throughput.py``).
"""

from __future__ import annotations

import hashlib
import time
from random import getrandbits

__all__ = ["new_id", "stable_id"]

_VARIANT = dict(zip("0123456789abcdef", "89ab89ab89ab89ab", strict=True))
"""Hex digit -> the same digit with the RFC 9562 variant bits (10) set."""


def new_id() -> str:
    """A new UUIDv7 string, faster than building a `uuid.UUID`."""
    h = "%012x%020x" % (time.time_ns() // 1_000_000, getrandbits(80))  # noqa: UP031 - fastest
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def stable_id(time_ms: int, key: bytes) -> str:
    """A UUIDv7 string whose 74 "random" bits come from ``key``: the same call made twice
    (a span sent again, keyed by its trace and span id) gives the same id, and ids still
    sort by time (``time_ms``: Unix milliseconds)."""
    digest = hashlib.blake2b(key, digest_size=10).hexdigest()
    h = "%012x%s" % (max(0, time_ms) & 0xFFFFFFFFFFFF, digest)  # noqa: UP031 - as new_id
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
