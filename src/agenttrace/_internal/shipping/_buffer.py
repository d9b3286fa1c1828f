"""The bounded in-memory queue between `Shipper.emit` and the worker thread.

Two FIFO deques under one lock: the *queue* (``queue_size`` records) that the worker sends
from, and the *overflow* hand-off that takes records while the queue is full and that the
worker writes to the spool. Should the overflow reach its own bound too (the worker is
stuck in a slow request), the emitting thread is asked to spool a batch itself (`Put.EXCESS`).

Flush tickets know how many records each deque had given up when they were issued, so a
flush waits for exactly the records emitted before it, even while emission continues.

An item is a `Record`, or a `Pending` one: the functions that build it and apply the
privacy rules to it, which run when the item leaves the buffer (on the worker's thread),
not on the thread that emitted it. Building is pure, so an item taken twice (the batch
held aside, taken again by a shutdown that gave up on the worker) builds the same record.
A pending record that fails to build is handed to ``on_unbuilt`` and left out.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from agenttrace.records import Record

__all__ = ["FlushTicket", "Item", "Pending", "Put", "RecordBuffer"]

Pending = tuple[Callable[[], Record], Callable[[Record], Record]]
"""A record still to be built: ``(build, prepare)``; the record is ``prepare(build())``."""
Item = Record | Pending


class Put(IntEnum):
    """What `RecordBuffer.put` did with a record."""

    QUEUED = 0
    OVERFLOW = 1
    EXCESS = 2
    """Taken into the overflow, which is now over its bound: spool `take_excess` now."""
    CLOSED = 3
    """Refused: the shipper is shut down."""


@dataclass(eq=False, slots=True)
class FlushTicket:
    """One `Shipper.flush` call waiting for the records emitted before it."""

    queue_target: int
    overflow_target: int
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = True
    """False once a record it waits for is lost (rejected, dropped)."""
    issued: float = field(default_factory=time.monotonic)
    spool_names: list[str] | None = None
    """Spool files to wait for, listed once the in-memory records were dealt with."""
    collector_failed: bool = False
    """The collector failed while this flush waited: what is left goes to the spool."""
    kept: int = 0
    """Records it left in the spool (the collector does not answer), once done."""

    def finish(self, *, ok: bool) -> None:
        """Wake the flushing thread."""
        self.ok = self.ok and ok
        self.done.set()


class RecordBuffer:
    """Queue, overflow, flush tickets and the worker's wake-up event. Thread-safe."""

    def __init__(
        self,
        queue_size: int,
        batch_size: int,
        overflow_size: int,
        on_unbuilt: Callable[[Exception], None],
    ) -> None:
        self.queue_size = queue_size
        self.batch_size = batch_size
        self.overflow_size = overflow_size
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.closed = False
        self.emitted = 0
        self._on_unbuilt = on_unbuilt
        self._queue: deque[Item] = deque()
        self._overflow: deque[Item] = deque()
        self._queue_taken = 0
        self._overflow_taken = 0
        self._tickets: list[FlushTicket] = []
        self._inflight: tuple[bytes, int] | None = None
        self._ahead: list[Item] = []

    # -- the emitting side ---------------------------------------------------------------

    def put(self, record: Item) -> Put:
        """Take ``record`` (built or pending); never blocks beyond the lock, never does I/O."""
        with self.lock:
            if self.closed:
                return Put.CLOSED
            self.emitted += 1
            queue = self._queue
            if len(queue) < self.queue_size:
                queue.append(record)
                if len(queue) == self.batch_size:
                    self.wake.set()
                return Put.QUEUED
            overflow = self._overflow
            overflow.append(record)
            if len(overflow) % self.batch_size == 0:
                self.wake.set()
            return Put.EXCESS if len(overflow) > self.overflow_size else Put.OVERFLOW

    def take_excess(self) -> list[Record]:
        """The oldest batch of the overflow, when it is over its bound (else nothing)."""
        with self.lock:
            if len(self._overflow) <= self.overflow_size:
                return []
            items = self._pop_overflow(self.batch_size)
        return self._built(items)

    def size(self) -> int:
        """Records in memory."""
        with self.lock:
            return len(self._queue) + len(self._overflow)

    # -- the worker side -----------------------------------------------------------------

    def _built(self, items: list[Item]) -> list[Record]:
        """``items`` as records: pending ones built (outside the lock), failures left out."""
        records: list[Record] = []
        for item in items:
            if isinstance(item, tuple):
                build, prepare = item
                try:
                    records.append(prepare(build()))
                except Exception as exc:  # noqa: BLE001 - one bad record must not stop the rest
                    self._on_unbuilt(exc)
            else:
                records.append(item)
        return records

    def _pop_overflow(self, limit: int) -> list[Item]:
        overflow = self._overflow
        count = min(limit, len(overflow))
        self._overflow_taken += count
        return [overflow.popleft() for _ in range(count)]

    def take(self, *, partial: bool) -> list[Record]:
        """Up to one batch from the queue: a full one, or whatever is there if ``partial``."""
        with self.lock:
            queue = self._queue
            if len(queue) < self.batch_size and not (partial and queue):
                return []
            count = min(self.batch_size, len(queue))
            self._queue_taken += count
            items = [queue.popleft() for _ in range(count)]
        return self._built(items)

    def take_overflow(self, *, partial: bool) -> list[Record]:
        """One batch from the overflow: a full one, or the remainder if ``partial``."""
        with self.lock:
            if len(self._overflow) < self.batch_size and not partial:
                return []
            items = self._pop_overflow(self.batch_size)
        return self._built(items)

    def queue_length(self) -> int:
        """Records in the queue (not counting the overflow)."""
        with self.lock:
            return len(self._queue)

    def overflow_length(self) -> int:
        """Records in the overflow hand-off."""
        with self.lock:
            return len(self._overflow)

    def queue_has_room(self) -> bool:
        """Whether the queue is below its bound (the pressure that filled the overflow is gone)."""
        with self.lock:
            return len(self._queue) < self.queue_size

    def take_ahead(self) -> list[Record]:
        """A full batch to encode while the one in flight is posted (else nothing), held
        aside until `release_ahead` (`take_everything` includes it)."""
        with self.lock:
            queue = self._queue
            if self._ahead or len(queue) < self.batch_size:
                return []
            self._queue_taken += self.batch_size
            self._ahead = items = [queue.popleft() for _ in range(self.batch_size)]
        return self._built(items)

    def release_ahead(self) -> bool:
        """The worker takes back the batch held aside; False when shutdown took (and
        spooled) it."""
        with self.lock:
            mine = bool(self._ahead)
            self._ahead = []
            return mine

    def set_inflight(self, body: bytes, count: int) -> None:
        """Remember the batch being posted, so a shutdown that gives up can keep it."""
        with self.lock:
            self._inflight = (body, count)

    def clear_inflight(self) -> bool:
        """Forget the batch being posted; False when shutdown took (and spooled) it."""
        with self.lock:
            mine = self._inflight is not None
            self._inflight = None
            return mine

    # -- shutdown ------------------------------------------------------------------------

    def close(self) -> None:
        """Refuse further records."""
        with self.lock:
            self.closed = True

    def take_everything(self) -> tuple[list[Record], tuple[bytes, int] | None]:
        """All records in memory (the batch held aside included) and the batch in flight
        (shutdown gave up on the worker)."""
        with self.lock:
            records = [*self._ahead, *self._queue, *self._overflow]
            self._queue_taken += len(self._queue)
            self._overflow_taken += len(self._overflow)
            self._ahead = []
            self._queue.clear()
            self._overflow.clear()
            inflight, self._inflight = self._inflight, None
        return self._built(records), inflight

    # -- flush tickets -------------------------------------------------------------------

    def add_ticket(self) -> FlushTicket:
        """A ticket for the records in memory now; wakes the worker."""
        with self.lock:
            ticket = FlushTicket(
                self._queue_taken + len(self._queue),
                self._overflow_taken + len(self._overflow),
            )
            self._tickets.append(ticket)
        self.wake.set()
        return ticket

    def remove_ticket(self, ticket: FlushTicket) -> None:
        """Forget a ticket whose caller stopped waiting."""
        with self.lock:
            if ticket in self._tickets:
                self._tickets.remove(ticket)

    def tickets(self) -> list[FlushTicket]:
        """The pending tickets."""
        with self.lock:
            return list(self._tickets)

    def oldest_ticket(self) -> float | None:
        """When the longest-waiting pending flush began (`time.monotonic`); None if none."""
        with self.lock:
            return min((ticket.issued for ticket in self._tickets), default=None)

    def collector_failed(self) -> None:
        """The collector failed: the pending flushes stop waiting for it."""
        with self.lock:
            for ticket in self._tickets:
                ticket.collector_failed = True

    def in_memory_done(self, ticket: FlushTicket) -> bool:
        """Whether every record the ticket waits for has left memory."""
        with self.lock:
            return (
                self._queue_taken >= ticket.queue_target
                and self._overflow_taken >= ticket.overflow_target
            )

    def finish_tickets(self, *, ok: bool, only: list[FlushTicket] | None = None) -> None:
        """Wake the flushing threads (all of them, or ``only`` those)."""
        with self.lock:
            finished = self._tickets if only is None else only
            self._tickets = [] if only is None else [t for t in self._tickets if t not in only]
        for ticket in finished:
            ticket.finish(ok=ok)

    def spoil_tickets(self) -> None:
        """Some record the pending flushes wait for will not be stored: they return False."""
        with self.lock:
            for ticket in self._tickets:
                ticket.ok = False
