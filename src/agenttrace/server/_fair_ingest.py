"""`FairIngest`: one project's backlog does not hold up another project's ingest.

A batch of 5,000 records with 64 properties each takes seconds to store, and SQLite writes
one transaction at a time. Stored whole, six such batches of one project made another
project's one-record batch wait for all of them (14 s). So:

* per project, at most ``per_project`` batches (default one) are parsed at once, the
  project's other batches waiting here (in the event loop, holding no thread, and not
  parsing, which holds the GIL), in the order they came; one batch may be parsed while
  another of the project is written;
* the turns to write (``writers`` at once: one on SQLite, a few on PostgreSQL, where one
  project holds at most all but one) go round-robin over the projects waiting for one;
* on a store that writes one transaction at a time (SQLite, ``ingest_parts``), a batch is
  stored in parts of about ``part_units`` units (`record_units`: a record, its properties
  and its share of the body; 2,000 units are about 15 ms of work), one transaction
  holding parts for as long as no other project waits to write (and at most
  ``transaction_units``). When one does, the transaction commits after the part in hand
  (once it has gone on for ``min_turn_s``, 50 ms) and the waiting project goes next: its
  small batch waits for a fraction of a second, not for a whole batch, while a project
  alone still stores its batches in few transactions;
* an OTLP export (`in_turn`) is one transaction whatever the store, since its spans are
  placed by their ancestors together: it waits for its turn like a batch, and holds it
  for the whole export (at most ``max_batch_records`` spans).

A batch is answered only after its last part committed: an acknowledged record is durably
stored, as before. When a transaction fails, the batch is answered with that error after
its earlier transactions committed; the client's retry finds those records stored and
counts them as duplicates (ingest is idempotent by record id), so nothing is lost or
stored twice.

Everything here runs in the event loop's thread; the store is called in worker threads.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Protocol, TypeVar, runtime_checkable

from starlette.concurrency import run_in_threadpool

from agenttrace.records import Record
from agenttrace.server.store.base import IngestCounts, Store

__all__ = [
    "BODY_BYTES_PER_UNIT",
    "DEFAULT_MIN_TURN_S",
    "DEFAULT_PART_UNITS",
    "DEFAULT_TRANSACTION_UNITS",
    "FairIngest",
    "IngestQueues",
    "PartsStore",
    "chunks",
    "record_units",
]

DEFAULT_PART_UNITS = 2_000
"""Units of work per part. A unit is about 7 us of a SQLite store's time (measured: a record
without properties about 20 us, each property about 7 us more, each 1.5 KB of body about
7 us more), so a part is about 15 ms: 30 records with 64 properties, or 330 with three."""
DEFAULT_MIN_TURN_S = 0.05
"""How long a transaction may go on before it makes way for another project: each switch
commits, and a commit of records with many properties costs about as much as storing
another 30 of them (18 ms, measured), so switching after every part would halve the rate
of a project whose batches are large while another posts small ones."""
DEFAULT_TRANSACTION_UNITS = 50_000
"""Units of work one transaction holds at most, even with no other writer waiting (about
350 ms: 750 records with 64 properties, or 8,000 with three)."""
BODY_BYTES_PER_UNIT = 1_536
"""Request and response body bytes that cost a store about as much as one property row."""
_RECORD_UNITS = 3
_T = TypeVar("_T")


def record_units(record: Record, body_bytes: int = 0) -> int:
    """How much storing ``record`` costs, in property rows: three for the record, one per
    property, one per `BODY_BYTES_PER_UNIT` of its (estimated) body bytes."""
    return _RECORD_UNITS + len(record.properties) + body_bytes // BODY_BYTES_PER_UNIT


def chunks(
    records: Sequence[Record], *, chunk_units: int = DEFAULT_PART_UNITS, body_bytes: int = 0
) -> Iterator[Sequence[Record]]:
    """``records`` in consecutive chunks of at most ``chunk_units`` units (a record that
    alone costs more is a chunk of its own). ``body_bytes``: the batch's size on the wire,
    shared evenly among its records as their estimated body size."""
    if not records:
        return
    share = body_bytes // len(records)
    start, units = 0, 0
    for index, record in enumerate(records):
        cost = record_units(record, share)
        if units and units + cost > chunk_units:
            yield records[start:index]
            start, units = index, 0
        units += cost
    yield records[start:]


@runtime_checkable
class PartsStore(Protocol):
    """A store that writes one transaction at a time and can end one early
    (`agenttrace.server.store.sqlite.SQLiteStore.ingest_parts`)."""

    def ingest_parts(
        self,
        project_id: str,
        parts: Sequence[Sequence[Record]],
        keep_going: Callable[[], bool],
    ) -> tuple[IngestCounts, int]:
        """Store ``parts[0]``, then the next parts while ``keep_going()``, in one durable
        transaction; the counts and the number of parts stored."""
        ...


@dataclass(frozen=True, slots=True)
class IngestQueues:
    """What `FairIngest` holds at one moment, per project."""

    parsing: dict[str, int]
    """Batches being parsed or waiting to be, per project."""
    writing: dict[str, int]
    """Turns to write in use (a transaction being written), per project."""
    waiting: dict[str, int]
    """Turns to write waited for, per project."""


class _ProjectSlots:
    """At most ``size`` holders per project; the others wait in arrival order."""

    def __init__(self, size: int) -> None:
        self._size = size
        self.holders: dict[str, int] = {}
        self.waiters: dict[str, deque[asyncio.Future[None]]] = {}

    async def acquire(self, project: str) -> None:
        queue = self.waiters.get(project)
        if self.holders.get(project, 0) < self._size and not queue:
            self.holders[project] = self.holders.get(project, 0) + 1
            return
        future = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(project, deque()).append(future)
        try:
            await future  # resolved by release(), which counts this holder
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(project)  # handed over just before the cancellation
            else:
                self._forget(project, future)
            raise

    def release(self, project: str) -> None:
        queue = self.waiters.get(project)
        while queue:
            future = queue.popleft()
            if not queue:
                del self.waiters[project]
            if not future.done():
                future.set_result(None)  # the slot passes on: the count stays
                return
        self.holders[project] -= 1
        if not self.holders[project]:
            del self.holders[project]

    def _forget(self, project: str, future: asyncio.Future[None]) -> None:
        queue = self.waiters.get(project)
        if queue is not None and future in queue:
            queue.remove(future)
            if not queue:
                del self.waiters[project]


class _RoundRobinTurns:
    """At most ``size`` turns at once, at most ``per_project`` of them per project; waiting
    turns are handed out one project at a time, in rotation (first come first served
    within a project)."""

    def __init__(self, size: int, per_project: int) -> None:
        self._size = size
        self._per_project = per_project
        self.busy: dict[str, int] = {}
        self.waiters: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self.waiting = 0
        """Turns waited for, in all (ints, read from any thread: see `others_wait`)."""
        self.waiting_for: dict[str, int] = {}

    def others_wait(self, project: str) -> bool:
        """Whether another project waits for a turn (callable from any thread: two reads
        of ints, each atomic; a turn asked for in between is seen at the next call)."""
        return self.waiting - self.waiting_for.get(project, 0) > 0

    async def acquire(self, project: str) -> None:
        future = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(project, deque()).append(future)
        self._count(project, 1)
        self._hand_out()
        try:
            await future  # resolved by _hand_out(), which counts this turn
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(project)  # handed over just before the cancellation
            else:
                queue = self.waiters.get(project)
                if queue is not None and future in queue:
                    queue.remove(future)
                    self._count(project, -1)
                    if not queue:
                        del self.waiters[project]
            raise

    def release(self, project: str) -> None:
        self.busy[project] -= 1
        if not self.busy[project]:
            del self.busy[project]
        if project in self.waiters:
            self.waiters.move_to_end(project)  # the others first: it just had a turn
        self._hand_out()

    def _count(self, project: str, change: int) -> None:
        waiting = self.waiting_for.get(project, 0) + change
        if waiting:
            self.waiting_for[project] = waiting
        else:
            del self.waiting_for[project]
        self.waiting += change

    def _hand_out(self) -> None:
        while self.waiters and sum(self.busy.values()) < self._size:
            eligible = [p for p in self.waiters if self.busy.get(p, 0) < self._per_project]
            if not eligible:
                return  # every waiting project holds all the turns it may
            project = eligible[0]
            queue = self.waiters[project]
            future = queue.popleft()
            self._count(project, -1)
            if queue:
                self.waiters.move_to_end(project)  # the next turn goes to another project
            else:
                del self.waiters[project]
            if not future.done():
                self.busy[project] = self.busy.get(project, 0) + 1
                future.set_result(None)


class FairIngest:
    """Parses and stores batches so that every project gets its share of the store.

    >>> async with ingest.parsing(project_id):                    # doctest: +SKIP
    ...     records = await run_in_threadpool(parse, body)
    >>> counts = await ingest.write(project_id, records, body_bytes=len(body))
    """

    def __init__(
        self,
        store: Store,
        *,
        writers: int = 1,
        per_project: int = 1,
        part_units: int = DEFAULT_PART_UNITS,
        transaction_units: int = DEFAULT_TRANSACTION_UNITS,
        min_turn_s: float = DEFAULT_MIN_TURN_S,
    ) -> None:
        """``writers``: transactions written at once (one project holds at most all but
        one); ``per_project``: batches of one project parsed at once; ``part_units`` and
        ``transaction_units``: the size of a part and the most one transaction holds
        (`record_units`), and ``min_turn_s`` how long a transaction goes on before it
        makes way for another project, on a store that writes parts (`PartsStore`)."""
        for name, value in (
            ("writers", writers),
            ("per_project", per_project),
            ("part_units", part_units),
            ("transaction_units", transaction_units),
        ):
            if value < 1:
                msg = f"{name} must be at least 1; got {value}"
                raise ValueError(msg)
        self.store = store
        self.part_units = part_units
        self.parts_per_transaction = max(transaction_units // part_units, 1)
        self.min_turn_s = min_turn_s
        self._slots = _ProjectSlots(per_project)
        # A project may hold every turn but one, so another project's batch never waits
        # for a whole batch of it (on SQLite, with one turn, the parts see to that).
        self._turns = _RoundRobinTurns(writers, max(writers - 1, 1))

    @asynccontextmanager
    async def parsing(self, project_id: str) -> AsyncIterator[None]:
        """Hold one of ``project_id``'s slots to parse a batch (waiting for one, in arrival
        order)."""
        await self._slots.acquire(project_id)
        try:
            yield
        finally:
            self._slots.release(project_id)

    async def write(
        self, project_id: str, records: Sequence[Record], *, body_bytes: int = 0
    ) -> IngestCounts:
        """Store ``records`` in ``project_id``'s turns to write; returns after the last
        commit. ``body_bytes``: the batch's size on the wire, for the size of the parts."""
        store = self.store
        if not isinstance(store, PartsStore):
            return await self.in_turn(project_id, partial(store.ingest, project_id, records))
        parts = list(chunks(records, chunk_units=self.part_units, body_bytes=body_bytes))
        accepted = duplicates = 0
        while parts:
            await self._turns.acquire(project_id)
            try:
                counts, stored = await run_in_threadpool(
                    store.ingest_parts,
                    project_id,
                    parts[: self.parts_per_transaction],
                    self._keep_going(project_id),
                )
            finally:
                self._turns.release(project_id)
            parts = parts[stored:]
            accepted += counts.accepted
            duplicates += counts.duplicates
        return IngestCounts(accepted=accepted, duplicates=duplicates)

    async def in_turn(self, project_id: str, write: Callable[[], _T]) -> _T:
        """Run ``write`` (a store call that must be one transaction, such as an OTLP
        export's `Store.ingest_spans`) in a worker thread, in one of ``project_id``'s turns
        to write; its answer."""
        await self._turns.acquire(project_id)
        try:
            return await run_in_threadpool(write)
        finally:
            self._turns.release(project_id)

    def _keep_going(self, project_id: str) -> Callable[[], bool]:
        """Whether a transaction of ``project_id`` that starts now may store another part
        (asked from the writing thread): while no other project waits to write, or for
        ``min_turn_s`` anyway."""
        started = time.monotonic()

        def keep_going() -> bool:
            return (
                not self._turns.others_wait(project_id)
                or time.monotonic() - started < self.min_turn_s
            )

        return keep_going

    def queues(self) -> IngestQueues:
        """What is being parsed, written and waiting, per project, now."""
        # Safe from another thread too: each dict is copied in one step (under the GIL).
        parsing = dict(self._slots.holders)
        for project, queue in list(self._slots.waiters.items()):
            parsing[project] = parsing.get(project, 0) + len(queue)
        waiting = list(self._turns.waiters.items())
        return IngestQueues(
            parsing=parsing,
            writing=dict(self._turns.busy),
            waiting={project: len(queue) for project, queue in waiting},
        )
