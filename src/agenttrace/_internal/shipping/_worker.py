"""The background worker: one daemon thread that sends batches, spools, and re-sends.

The collector is either *available* (batches are posted with retries until the retry
deadline) or *unavailable* after a batch exhausted its retries: then nothing is posted
until a probe is due (backoff up to `PROBE_MAX`, or the server's ``Retry-After``), records
wait in memory and whatever overflows goes to the spool. The probe is a single attempt
with the next batch (or spool file); when it succeeds the collector is available again
and the spool is drained, one file between live batches.

A flush does not wait for a collector that cannot take its records (the spool is delivery,
not loss): when its retries end (`FlushPatience`), the batch goes to the spool, and so does
the rest of what the flush waits for, without another attempt. The flush finishes when
every record emitted before it is stored or on disk (`FlushTicket.kept` says how many are
on disk).

While full batches keep coming, the next one is encoded on a second thread
(`BatchEncoder`) during the post of the one before; posts stay one at a time, in order.
"""

from __future__ import annotations

import codecs
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping._buffer import FlushTicket, RecordBuffer
from agenttrace._internal.shipping._encoder import BatchEncoder
from agenttrace._internal.shipping._flush_patience import FlushPatience
from agenttrace._internal.shipping._payload import EncodedBatch, encode_records
from agenttrace._internal.shipping._spool import Spool
from agenttrace._internal.shipping._stats import Counters, RateLimitedWarning, logger
from agenttrace.core.internal_errors import report_internal_error

if TYPE_CHECKING:
    import httpx

    from agenttrace._internal.shipping._sender import Outcome, Sender
    from agenttrace.records import Record

__all__ = ["PROBE_BASE", "PROBE_MAX", "SPOOL_RESCAN", "Worker"]

PROBE_BASE = 0.25
PROBE_MAX = 30.0
SPOOL_RESCAN = 60.0
"""How often the spool is re-listed for files of other (possibly dead) processes."""
_MIN_WAIT = 0.001
_MAX_RUN = 32
"""Live batches posted back to back before the loop looks at overflow, spool and timers."""
_MIN_ATTEMPT = 0.05


class Worker:
    """Owns the sending side of one `Shipper` (one per process: fork makes a new one)."""

    def __init__(
        self,
        settings: Settings,
        *,
        buffer: RecordBuffer,
        spool: Spool,
        counters: Counters,
        drop_warning: RateLimitedWarning,
        transport: httpx.BaseTransport | None,
    ) -> None:
        self.settings = settings
        self.buffer = buffer
        self.spool = spool
        self.counters = counters
        self.drop_warning = drop_warning
        self.encode_warning = RateLimitedWarning()
        self.transport = transport
        self.stopping = False
        self.stop_deadline = 0.0
        self.final_ok = True
        self.error: BaseException | None = None
        self.patience = FlushPatience(buffer.oldest_ticket)
        self.spool_reported = -1
        """The ``spooled`` count when a flush last said what is in the spool."""
        self.finished = threading.Event()
        self.imported = threading.Event()
        """Set once the thread has imported what it sends with (httpx, httpcore, tenacity)."""
        self.failures = 0
        self.down_until = 0.0
        self.next_tick = time.monotonic() + settings.flush_interval
        self.drain_budget = 0
        self.spool_pending = False
        self.next_spool_scan = 0.0
        self.encoder = BatchEncoder()
        self.thread = threading.Thread(target=self.run, name="agenttrace-shipper", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    def stop(self, deadline: float) -> None:
        """Ask the thread to deliver or spool what is left by ``deadline`` and end."""
        self.stop_deadline = deadline
        self.stopping = True
        self.buffer.wake.set()

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        """The thread's body. httpx and tenacity are imported here, on this thread, so that
        the caller's thread never pays for them."""
        try:
            from agenttrace._internal.shipping._sender import Sender

            sender = Sender(  # its httpx.Client imports httpcore
                self.settings,
                transport=self.transport,
                sleep=self._sleep,
                stopping=lambda error: self.stopping or self.patience.stops_retries(error),
                on_retry=lambda: self.counters.add(retries=1),
            )
            codecs.lookup("idna")  # imported by the first connection's getaddrinfo otherwise
        finally:
            self.imported.set()
        try:
            self._guarded(self._recover_spool)
            while not self.stopping:
                self._guarded(lambda: self._step(sender))
            self._guarded(lambda: self._final_drain(sender))
        finally:
            sender.close()
            self.encoder.close()
            self.finished.set()

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - the worker must outlive its own bugs
            self.error = exc
            self.final_ok = False
            self.buffer.spoil_tickets()
            report_internal_error("the shipper's worker thread", exc)
            self.buffer.wake.wait(1.0)

    def _step(self, sender: Sender) -> None:
        buffer, now = self.buffer, time.monotonic()
        buffer.wake.clear()
        tickets = buffer.tickets()
        self._spill_overflow(partial=bool(tickets) or buffer.queue_has_room())
        if self.stopping:
            return
        if now < self.down_until and not tickets:
            self._wait(self.down_until - now)
            return
        if now >= self.next_tick:  # the interval: send what is queued now, even a partial batch
            self.next_tick = now + self.settings.flush_interval
            self.drain_budget = buffer.queue_length()
        flushing = any(not buffer.in_memory_done(ticket) for ticket in tickets)
        if tickets and not flushing and self._progress_flushes(sender):
            return  # spool files a flush waits for go before new live batches
        batch = buffer.take(partial=flushing or self.drain_budget > 0)
        if batch:
            self.drain_budget -= len(batch)
            if flushing and any(self._failed_during(ticket) for ticket in tickets):
                self.spool_records(batch)  # the flush does not try a failed collector again
            else:
                self._deliver(sender, batch)
            return
        self.drain_budget = 0
        if self._spool_step(sender, force=False):
            return
        self._wait(min(self.next_tick, self._next_scan_due()) - time.monotonic())

    def _wait(self, timeout: float) -> None:
        if not self.stopping:
            self.buffer.wake.wait(max(timeout, _MIN_WAIT))

    def _sleep(self, seconds: float) -> None:
        """tenacity's sleep: wait between attempts, spooling overflow; shutdown cuts it short,
        and so does a flush (`FlushPatience.wait_ends`)."""

        end = time.monotonic() + seconds
        while True:
            if self._wait_ends(end):
                return
            self._spill_overflow(partial=False)
            remaining = end - time.monotonic()
            if remaining <= 0:
                return
            self.buffer.wake.clear()
            if self._wait_ends(end):
                return
            self.buffer.wake.wait(remaining)

    def _wait_ends(self, end: float) -> bool:
        if self.stopping:
            from agenttrace._internal.shipping._retry import Interrupted  # loaded by run()

            raise Interrupted
        return self.patience.wait_ends(end)

    # -- live batches --------------------------------------------------------------------

    def _deliver(self, sender: Sender, records: Sequence[Record]) -> None:
        """Post ``records``, then, while full batches keep coming and nothing else is due,
        the next ones: each encoded on the encoder thread while the one before is posted."""
        body, count = self._encoded(encode_records(records))
        for posted in range(1, _MAX_RUN + 1):
            ahead = self._take_ahead() if posted < _MAX_RUN else []
            sent = threading.Event()
            encoding = self.encoder.submit(ahead, sent) if ahead else None
            try:
                delivered = not count or self._post_live(sender, body, count, on_sent=sent.set)
            finally:
                sent.set()
            if encoding is None:
                return
            try:
                encoded = encoding.result()
            finally:
                mine = self.buffer.release_ahead()
            if not mine:
                return  # shutdown gave up waiting and spooled them itself
            body, count = self._encoded(encoded)
            if not delivered:  # the collector is failing: the batch waits in the spool
                self._spool_body(body, count)
                return
            self.drain_budget -= len(ahead)
            self._spill_overflow(partial=False)

    def _encoded(self, encoded: EncodedBatch) -> tuple[bytes, int]:
        """Count what encoding repaired and left out (reporting the latter); the body and
        its number of records."""
        if encoded.repaired:
            self.counters.add(repaired=encoded.repaired)
        if encoded.unencodable:
            left_out = len(encoded.unencodable)
            self.counters.add(dropped=left_out)
            self.buffer.spoil_tickets()
            first = encoded.unencodable[0]
            self.encode_warning.warn(
                "agenttrace: dropped %d record(s) that cannot be encoded as JSON even with "
                "their text repaired, such as record %s (%s); the others of the batch are "
                "sent. Give request and response bodies plain data (no object that contains "
                "itself, no repr that raises)",
                left_out,
                first.record_id,
                first.reason,
            )
        return encoded.body, encoded.count

    def _take_ahead(self) -> list[Record]:
        """The next full batch, unless the collector is failing, a spool file is due, a
        flush can be finished or the shipper is stopping (`_step` sees to those)."""
        buffer = self.buffer
        if self.failures or self.stopping or self.spool_pending:
            return []
        if any(buffer.in_memory_done(ticket) for ticket in buffer.tickets()):
            return []
        return buffer.take_ahead()

    def _post_live(
        self, sender: Sender, body: bytes, count: int, *, on_sent: Callable[[], None]
    ) -> bool:
        """Post one live batch with retries; spool it if it could not be delivered."""
        self.buffer.set_inflight(body, count)
        outcome = sender.send(
            body,
            count,
            # a waiting flush retries even a collector known to be down, within its patience
            retry=self.failures == 0 or bool(self.buffer.tickets()),
            time_limit=self.settings.retry_deadline,
            on_sent=on_sent,
        )
        still_mine = self.buffer.clear_inflight()
        self._account(outcome, from_spool=False)
        if not outcome.delivered:
            if still_mine:
                for part, part_count in outcome.undelivered:
                    self._spool_body(part, part_count)
            self._unavailable(outcome.retry_after)
        return outcome.delivered

    def _account(self, outcome: Outcome, *, from_spool: bool) -> None:
        self.counters.add(
            sent=outcome.accepted,
            duplicates=outcome.duplicates,
            rejected=outcome.rejected,
            delivered_from_spool=outcome.accepted + outcome.duplicates if from_spool else 0,
        )
        if outcome.rejected:
            self.buffer.spoil_tickets()
        if outcome.delivered:
            self._available()

    def _available(self) -> None:
        if self.failures:
            logger.info("agenttrace: the collector at %s answers again", self.settings.endpoint)
            self.spool_pending = True
        self.failures = 0
        self.down_until = 0.0

    def _unavailable(self, retry_after: float | None) -> None:
        if not self.failures and not self.buffer.tickets():  # else the flush says it
            logger.warning(
                "agenttrace: the collector at %s does not answer; records are kept in memory "
                "and in the spool at %s until it does",
                self.settings.endpoint,
                self.spool.directory,
            )
        self.failures += 1
        delay = min(PROBE_MAX, PROBE_BASE * 2 ** (self.failures - 1))
        self.down_until = time.monotonic() + max(delay, retry_after or 0.0)
        self.buffer.collector_failed()

    # -- the spool -----------------------------------------------------------------------

    def _spill_overflow(self, *, partial: bool) -> None:
        """Spool the overflow there is now (not what a busy emitter adds meanwhile)."""
        budget = self.buffer.overflow_length()
        while budget > 0 and (records := self.buffer.take_overflow(partial=partial)):
            budget -= len(records)
            self.spool_records(records)

    def spool_records(self, records: Sequence[Record]) -> None:
        """Write ``records`` to the spool as one batch (counting them dropped if it cannot)."""
        self._spool_body(*self._encoded(encode_records(records)))

    def _spool_body(self, body: bytes, count: int) -> None:
        if not count:
            return
        refused = self.spool.write(body, count)
        if refused is None:
            self.counters.add(spooled=count)
            self.spool_pending = True
            return
        self.counters.add(dropped=count)
        self.buffer.spoil_tickets()
        if self.stopping:
            self.final_ok = False
        self.drop_warning.warn(
            "agenttrace: dropped %d record(s): the spool at %s is %s; start the collector, "
            "free disk space or raise AGENTTRACE_SPOOL_MAX_BYTES",
            count,
            self.spool.directory,
            refused,
        )

    def _recover_spool(self) -> None:
        """Take back the claims of dead senders now, so a first flush waits for them too."""
        self.next_spool_scan = time.monotonic() + SPOOL_RESCAN
        self.spool_pending = self.spool.recover() > 0

    def _next_scan_due(self) -> float:
        return self.next_spool_scan if not self.spool_pending else float("inf")

    def _spool_step(self, sender: Sender, *, force: bool) -> bool:
        """Re-send one spool file if there is one and the collector answers; True if it tried."""
        now = time.monotonic()
        if now < self.down_until and not force:
            return False
        if not self.spool_pending and now >= self.next_spool_scan:
            self.next_spool_scan = now + SPOOL_RESCAN
            self.spool_pending = self.spool.recover() > 0
        if not self.spool_pending:
            return False
        batch = self.spool.claim_next()
        if batch is None:
            self.spool_pending = False
            return False
        try:
            body = batch.read()
        except OSError:  # reclaimed and sent by another process meanwhile
            return True
        outcome = sender.send(
            body, batch.count, retry=force, time_limit=self.settings.retry_deadline
        )
        self._account(outcome, from_spool=True)
        if outcome.delivered:
            self.spool.complete(batch)
        else:
            self.spool.release(batch)
        if not outcome.delivered:
            self._unavailable(outcome.retry_after)
        return True

    # -- flushes -------------------------------------------------------------------------

    def _failed_during(self, ticket: FlushTicket) -> bool:
        """Whether the collector failed while ``ticket`` waited, and has not answered since."""
        return ticket.collector_failed and self.failures > 0

    def _progress_flushes(self, sender: Sender) -> bool:
        """Finish the flushes whose records are all delivered, or all delivered or in the
        spool when the collector failed meanwhile; True if it sent a spool file."""
        waiting_on_spool = False
        done = []
        for ticket in self.buffer.tickets():
            if ticket.spool_names is None:
                if not self.buffer.in_memory_done(ticket):
                    continue
                ticket.spool_names = self.spool.ready_names()
            ticket.spool_names = [n for n in ticket.spool_names if self.spool.is_ready(n)]
            if not ticket.spool_names:
                done.append(ticket)
            elif self._failed_during(ticket):
                ticket.kept = self.spool.records_in(ticket.spool_names)
                done.append(ticket)
            else:
                waiting_on_spool = True
        if done:
            self.buffer.finish_tickets(ok=True, only=done)
        if waiting_on_spool:
            self.spool_pending = True
            return self._spool_step(sender, force=True)
        return False

    # -- shutdown ------------------------------------------------------------------------

    def _final_drain(self, sender: Sender) -> None:
        """Post what is in memory, then this process's spool files, once each while time
        remains; spool whatever is left."""
        self._spill_overflow(partial=True)
        while records := self.buffer.take(partial=True):
            if self.failures == 0 and self._time_left() > 2 * _MIN_ATTEMPT:
                body, count = self._encoded(encode_records(records))
                if not count:
                    continue
                self.buffer.set_inflight(body, count)
                # keep half of the time left for spooling what follows
                outcome = sender.send(body, count, retry=False, time_limit=self._time_left() / 2)
                still_mine = self.buffer.clear_inflight()
                self._account(outcome, from_spool=False)
                if outcome.delivered:
                    continue
                self.failures += 1
                if still_mine:
                    for part, part_count in outcome.undelivered:
                        self._spool_body(part, part_count)
            else:
                self.spool_records(records)
        self._spill_overflow(partial=True)
        while self.failures == 0 and self._time_left() > 2 * _MIN_ATTEMPT:
            batch = self.spool.claim_next(mine=True)
            if batch is None:
                break
            outcome = sender.send(
                batch.read(), batch.count, retry=False, time_limit=self._time_left() / 2
            )
            self._account(outcome, from_spool=True)
            if outcome.delivered:
                self.spool.complete(batch)
            else:
                self.spool.release(batch)
                self.failures += 1
        left = sum(self.spool.mine_ready().values())
        if left and self.counters.get("spooled") != self.spool_reported:
            logger.warning(
                "agenttrace: the collector at %s could not take %d record(s) before shutdown; "
                "they are in the spool at %s and will be sent by the next process",
                self.settings.endpoint,
                left,
                self.spool.directory,
            )
        self.buffer.finish_tickets(ok=self.final_ok)

    def _time_left(self) -> float:
        return self.stop_deadline - time.monotonic()
