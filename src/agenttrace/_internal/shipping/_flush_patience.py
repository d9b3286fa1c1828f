"""How long a waiting flush lets a failing batch be retried before it goes to the spool.

A flush does not wait for a collector that cannot take its records: the spool is delivery,
not loss. A flush gets one attempt of its own (a flush that begins while a batch waits for
its next retry ends that wait at once, since the collector may be back). After an attempt
made while it waits, a refused connection or a timed-out request ends the retries at once,
and answers worth retrying (5xx, 408, 429) are retried until `FLUSH_PATIENCE` seconds
after the flush began; a wait that would end later is not started.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["FLUSH_PATIENCE", "FlushPatience", "unreachable"]

FLUSH_PATIENCE = 5.0
"""Seconds of a flush during which answered transient errors (5xx, 408, 429) are retried."""


def unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` says the collector cannot be reached (a connection refused or a
    timeout): a flush does not retry those. httpx is imported here, on the worker thread
    that already loaded it, not when the shipper is imported (see `_worker`)."""
    import httpx

    return isinstance(error, httpx.ConnectError | httpx.TimeoutException)


class FlushPatience:
    """The worker's retry hooks, told when the oldest waiting flush began (None: none)."""

    def __init__(self, flush_began: Callable[[], float | None]) -> None:
        self._flush_began = flush_began
        self.last_error: BaseException | None = None
        """The error of the last failed attempt."""
        self.last_error_at = 0.0
        """When it failed (`time.monotonic`)."""

    def stops_retries(self, error: BaseException | None) -> bool:
        """After a failed attempt: whether a waiting flush ends the retries now."""
        self.last_error, self.last_error_at = error, time.monotonic()
        began = self._flush_began()
        return began is not None and self._gives_up(began, until=self.last_error_at)

    def wait_ends(self, end: float) -> bool:
        """During the wait for the next attempt (due at ``end``): True to try at once (a
        flush began after the last failure); raises `Interrupted` when the waiting flush
        gives up on the collector; False to go on waiting."""
        began = self._flush_began()
        if began is None:
            return False
        if self.last_error_at < began:
            return True
        if self._gives_up(began, until=end):
            from agenttrace._internal.shipping._retry import Interrupted  # loaded by run()

            raise Interrupted
        return False

    def _gives_up(self, began: float, *, until: float) -> bool:
        if unreachable(self.last_error):
            return True
        return until >= began + FLUSH_PATIENCE
