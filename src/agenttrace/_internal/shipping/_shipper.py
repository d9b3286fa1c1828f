"""`Shipper`: the default exporter, delivering records to the collector in the background.

``emit`` puts a record in a bounded in-memory queue and returns: no network and no disk on
the caller's thread (except, as a last resort, one spool write per batch when both the
queue and its overflow are full). ``emit`` also takes a record still to be built (from
`Tracer.emit_later`: the functions that build it and apply the privacy rules), so that the
worker, not the caller, pays for building and checking it. One daemon worker thread posts batches of
``batch_size`` records, or what is there every ``flush_interval`` seconds, to
``POST {endpoint}/v1/records``; see `agenttrace._internal.shipping._worker` for retries,
the spool and recovery. ``flush`` and ``shutdown`` wait with a timeout; shutdown also runs
at interpreter exit. Both return True when nothing was lost: every record is stored, or
safe in the spool when the collector does not answer (one warning line says where, and
the spool is re-sent later by this process or the next). After ``os.fork`` the child
starts afresh with an empty queue.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping._buffer import Item, Put, RecordBuffer
from agenttrace._internal.shipping._spool import Spool
from agenttrace._internal.shipping._stats import (
    Counters,
    RateLimitedWarning,
    ShipperStats,
    logger,
)
from agenttrace._internal.shipping._worker import Worker
from agenttrace.core.internal_errors import raise_internal_errors, report_internal_error
from agenttrace.exceptions import ConfigurationError

if TYPE_CHECKING:
    import httpx


__all__ = ["Shipper"]


def _check(settings: Settings) -> None:
    problems = [
        (settings.queue_size >= 1, "queue_size", "AGENTTRACE_QUEUE_SIZE", "at least 1"),
        (settings.batch_size >= 1, "batch_size", "AGENTTRACE_BATCH_SIZE", "at least 1"),
        (settings.flush_interval > 0, "flush_interval", "AGENTTRACE_FLUSH_INTERVAL", "> 0"),
        (settings.request_timeout > 0, "request_timeout", "AGENTTRACE_REQUEST_TIMEOUT", "> 0"),
        (settings.retry_deadline >= 0, "retry_deadline", "AGENTTRACE_RETRY_DEADLINE", ">= 0"),
        (
            settings.shutdown_timeout >= 0,
            "shutdown_timeout",
            "AGENTTRACE_SHUTDOWN_TIMEOUT",
            ">= 0",
        ),
        (
            settings.spool_max_bytes >= 0,
            "spool_max_bytes",
            "AGENTTRACE_SPOOL_MAX_BYTES",
            ">= 0",
        ),
    ]
    for ok, name, variable, wanted in problems:
        if not ok:
            value = getattr(settings, name)
            msg = f"{name}={value!r} is invalid: it must be {wanted}; fix {variable} or {name}="
            raise ConfigurationError(msg)


_IMPORT_WAIT = 10.0
"""Longest a fork waits for the worker thread to finish importing httpx."""


def _fork_hook(ref: weakref.WeakMethod[Callable[[], None]]) -> Callable[[], None]:
    def hook() -> None:
        method = ref()
        if method is not None:
            method()

    return hook


class Shipper:
    """Delivers records to the collector from a background thread (the `Exporter` protocol).

    >>> shipper = Shipper(Settings.from_env(spool_dir="/tmp/spool"))  # doctest: +SKIP
    >>> shipper.emit(record)            # returns at once   # doctest: +SKIP
    >>> shipper.flush(5.0)              # True once the collector stored it  # doctest: +SKIP
    """

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        _check(settings)
        self.settings = settings
        self._transport = transport
        self._batch_size = min(settings.batch_size, settings.queue_size)
        self._closed = False
        self._result = True
        self._reset()
        self._start_worker()
        atexit.register(self._at_exit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(
                before=_fork_hook(weakref.WeakMethod(self._before_fork)),
                after_in_child=_fork_hook(weakref.WeakMethod(self._forked)),
            )

    def _reset(self) -> None:
        """Fresh state: at construction, and in the child after a fork."""
        self._lock = threading.Lock()
        self._buffer = RecordBuffer(
            self.settings.queue_size,
            self._batch_size,
            overflow_size=max(self.settings.queue_size, self._batch_size),
            on_unbuilt=self._unbuilt,
        )
        self._spool = Spool(
            self.settings.spool_dir,
            self.settings.spool_max_bytes,
            stale_after=max(
                600.0, 4 * (self.settings.retry_deadline + self.settings.request_timeout)
            ),
        )
        self._counters = Counters()
        self._drop_warning = RateLimitedWarning(60.0)
        self._closed_warning = RateLimitedWarning(60.0)
        self._kept_warning = RateLimitedWarning(60.0)
        self._worker: Worker | None = None
        self._build_error: Exception | None = None

    def _start_worker(self) -> Worker:
        with self._lock:
            if self._worker is None:
                worker = Worker(
                    self.settings,
                    buffer=self._buffer,
                    spool=self._spool,
                    counters=self._counters,
                    drop_warning=self._drop_warning,
                    transport=self._transport,
                )
                worker.start()
                self._worker = worker
            return self._worker

    def _before_fork(self) -> None:
        """Let the worker finish importing first: a child forked while another thread
        imports a module inherits that module's import lock held by no one, and its own
        worker would wait on it forever."""
        worker = self._worker
        if worker is not None and worker.thread.is_alive():
            worker.imported.wait(_IMPORT_WAIT)

    def _forked(self) -> None:
        """In a forked child: new queue, lock, event and worker; the parent's records stay."""
        if self._closed:
            return
        self._reset()  # the worker starts on the child's first emit or flush
        if "multiprocessing" in sys.modules:
            import multiprocessing.util

            # multiprocessing children leave through os._exit, skipping atexit
            multiprocessing.util.register_after_fork(self, Shipper._finalize_on_exit)

    def _finalize_on_exit(self) -> None:
        import multiprocessing.util

        multiprocessing.util.Finalize(self, self._at_exit, exitpriority=100)

    # -- the Exporter protocol -----------------------------------------------------------

    takes_pending = True
    """`Tracer.emit_later` may hand this exporter pending records (`emit`)."""

    def emit(self, record: Item) -> None:
        """Queue ``record`` (a `Record`, or a pending one: ``(build, prepare)``, built by the
        worker); returns at once, never raises (but under tests)."""
        try:
            if self._worker is None and not self._closed:
                self._start_worker()
            put = self._buffer.put(record)
            if put is Put.QUEUED or put is Put.OVERFLOW:
                return
            if put is Put.EXCESS:
                self._spool_excess()
                return
            self._counters.add(dropped=1)
            self._closed_warning.warn(
                "agenttrace: a record emitted after shutdown() was dropped; emit before "
                "shutting down, or configure() a new tracer"
            )
        except Exception as exc:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error("Shipper.emit", exc)

    def _unbuilt(self, exc: Exception) -> None:
        """A pending record failed to build (on the worker's thread): it is lost. Logged;
        under tests the next `flush` or `shutdown` raises it on the caller's thread."""
        self._counters.add(dropped=1)
        self._buffer.spoil_tickets()
        if raise_internal_errors():
            self._build_error = self._build_error or exc
        else:
            logger.warning("agenttrace: a record could not be built and was dropped", exc_info=exc)

    def _spool_excess(self) -> None:
        """Queue and overflow are full and the worker is stuck: spool one batch here."""
        records = self._buffer.take_excess()
        worker = self._worker
        if records and worker is not None:
            worker.spool_records(records)

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver every record emitted so far; True when none was lost.

        Returns once the collector stored them all, or, when it cannot take them (refused
        connection, timed-out request, transient errors for 5 s: `FlushPatience`), as
        soon as the rest is in the spool, with one warning line saying where they are; they
        are sent when the collector answers. False when ``timeout`` seconds passed first, or
        when some were rejected or dropped. ``None`` waits as long as that takes.
        """
        if self._closed:
            return self._result
        worker = self._start_worker()
        if worker.finished.is_set():
            self._raise_worker_error(worker)
            return False
        ticket = self._buffer.add_ticket()
        if ticket.done.wait(timeout):
            self._raise_worker_error(worker)
            if ticket.kept:
                self._report_kept(worker, ticket.kept)
            return ticket.ok
        self._buffer.remove_ticket(ticket)
        self._raise_worker_error(worker)
        return False

    def _report_kept(self, worker: Worker, kept: int) -> None:
        worker.spool_reported = self._counters.get("spooled")
        self._kept_warning.warn(
            "agenttrace: the collector at %s does not answer; %d record(s) are safe in the "
            "spool at %s and will be sent when it answers (by this process or the next)",
            self.settings.endpoint,
            kept,
            self._spool.directory,
        )

    def shutdown(self, timeout: float | None = None) -> bool:
        """Deliver or spool what is queued, then stop; True when none was lost.

        Waits at most ``timeout`` seconds (``settings.shutdown_timeout`` when None); what
        could not be sent by then is in the spool, to be sent by the next process. False
        when records were rejected or dropped. Later `emit` calls drop their record. Safe
        to call twice.
        """
        budget = self.settings.shutdown_timeout if timeout is None else max(timeout, 0.0)
        with self._lock:
            if self._closed:
                return self._result
            self._closed = True
            worker = self._worker
        deadline = time.monotonic() + budget
        atexit.unregister(self._at_exit)
        self._buffer.close()
        if worker is None:
            return True
        worker.stop(deadline)
        worker.thread.join(max(deadline - time.monotonic(), 0.0))
        if worker.thread.is_alive():
            self._result = self._rescue(worker) and worker.final_ok
        else:
            self._result = worker.final_ok
        self._raise_worker_error(worker)
        return self._result

    def _rescue(self, worker: Worker) -> bool:
        """The worker is stuck in a request past the deadline: spool what it still holds;
        True if it all went to disk."""
        records, inflight = self._buffer.take_everything()
        if records:
            worker.spool_records(records)
        refused = None
        if inflight is not None:
            body, count = inflight
            refused = self._spool.write(body, count)
            self._counters.add(**({"spooled": count} if refused is None else {"dropped": count}))
        left = sum(self._spool.mine_ready().values())
        if left:
            worker.spool_reported = self._counters.get("spooled")  # the worker need not say it
            logger.warning(
                "agenttrace: the collector at %s did not answer before shutdown's timeout; "
                "%d record(s) are safe in the spool at %s and will be sent by the next process",
                self.settings.endpoint,
                left,
                self._spool.directory,
            )
        return refused is None

    def _at_exit(self) -> None:
        try:
            self.shutdown(self.settings.shutdown_timeout)
        except Exception as exc:  # noqa: BLE001 - never break interpreter exit
            report_internal_error("Shipper shutdown at exit", exc)

    def _raise_worker_error(self, worker: Worker) -> None:
        if worker.error is not None and raise_internal_errors():
            raise worker.error
        error, self._build_error = self._build_error, None
        if error is not None:
            raise error

    # -- introspection -------------------------------------------------------------------

    @property
    def stats(self) -> ShipperStats:
        """What has been sent, retried, spooled and dropped so far."""
        return self._counters.snapshot(emitted=self._buffer.emitted, queued=self._buffer.size())

    @property
    def spool(self) -> Spool:
        """The disk spool this shipper writes to and re-sends from."""
        return self._spool

    def __repr__(self) -> str:
        state = "shut down" if self._closed else "running"
        return f"<Shipper {self.settings.endpoint} {state}>"
