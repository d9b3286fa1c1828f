"""`OtelExporter`: records as OpenTelemetry spans, built and sent on a background thread.

``emit`` appends the record to a bounded deque and returns (in a user's tracer provider it
first notes the user's current span, a context-variable read, so that the record's tree
hangs under it). The exporter takes *pending* records (``takes_pending``): what
`Tracer.emit_later` hands it is the function that builds the record and the privacy
rules, run on the worker thread in the order they were emitted; a record that fails to
build is dropped alone, counted and logged (under tests the next `flush` raises its error).

One daemon worker thread imports the OpenTelemetry SDK, builds the pending records, keeps
of each what its span needs (`agenttrace._internal.otel_export._tree.Entry`), groups those
by session (`agenttrace._internal.otel_export._tree`), and sends each group as a tree
of spans once the session is quiet for ``otlp_idle`` seconds (the sessions that become
quiet within a second share a request: `SEND_PAUSE`), a group holds 5,000 records, or a
flush asks; to an OTLP endpoint, a session's later trees join the trace of its first
(`agenttrace._internal.otel_export._layout`). ``flush`` and ``shutdown`` wait with a
timeout; shutdown also runs at interpreter exit. A record emitted when the queue is full
is dropped and counted.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenttrace._internal.otel_export._layout import SessionLayout, SessionLayouts
from agenttrace._internal.otel_export._span_data import GroupSpans, group_spans
from agenttrace._internal.otel_export._tree import Entry, TraceGroup, TraceGroups
from agenttrace.core.internal_errors import raise_internal_errors, report_internal_error

if TYPE_CHECKING:
    from agenttrace._internal.config import Settings
    from agenttrace._internal.otel_export._sink import Sink
    from agenttrace._internal.shipping._buffer import Pending
    from agenttrace.records import Record

__all__ = ["MAX_GROUP", "OtelExporter"]

logger = logging.getLogger("agenttrace.otel")

MAX_GROUP = 5_000
"""Records of one session held before its tree is sent anyway."""
_IMPORT_WAIT = 10.0
"""Longest a fork waits for the worker thread to finish importing the SDK."""
SEND_PAUSE = 1.0
"""Seconds after sending quiet sessions before the sessions that became quiet since are
sent (``otlp_idle`` when shorter): an OTLP request costs the worker about 2 ms of CPU
however few spans it carries, so sessions quiet within a second share one."""


@dataclass(slots=True)
class _Flush:
    """A flush (or the shutdown) waiting for the worker."""

    stop: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = True


def _current_parent() -> Any:
    """The user's current span context, when valid (read on the caller's thread)."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return context if context.is_valid else None


class OtelExporter:
    """Sends records as spans to an OTLP endpoint or into a tracer provider (the `Exporter`
    protocol); see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        *,
        tracer_provider: Any = None,
        span_exporter: Any = None,
    ) -> None:
        self.settings = settings
        self._tracer_provider = tracer_provider
        self._span_exporter = span_exporter
        self._capture: Callable[[], Any] | None = (
            _current_parent if tracer_provider is not None else None
        )
        self.sent = 0
        """Spans delivered (or handed to the user's provider)."""
        self.failed = 0
        """Spans the OTLP endpoint did not take."""
        self.dropped = 0
        """Records dropped: the queue was full, or emitted after shutdown."""
        self.error: BaseException | None = None
        self._build_error: Exception | None = None
        """A pending record's build failure, raised by the next flush (under tests)."""
        self._closed = False
        self._warned_at = 0.0
        self._reset()
        atexit.register(self._at_exit)
        if hasattr(os, "register_at_fork"):
            before, after = weakref.WeakMethod(self._before_fork), weakref.WeakMethod(self._reset)
            os.register_at_fork(
                before=lambda: (method := before()) and method(),
                after_in_child=lambda: (method := after()) and method(),
            )

    def _reset(self) -> None:
        """Fresh queue and no worker: at construction, and in a forked child."""
        self._items: deque[tuple[Record | Pending, Any] | _Flush] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._imported = threading.Event()
        """Set once the worker has imported the OpenTelemetry SDK (or failed to)."""
        self._layouts: SessionLayouts | None = None
        """The sessions sent (the worker's; None in a user's tracer provider)."""

    def _before_fork(self) -> None:
        """A child forked while the worker imports would inherit a module lock held by no
        one, and its own worker would wait on it forever: wait for the import first."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._imported.wait(_IMPORT_WAIT)

    # -- the Exporter protocol -----------------------------------------------------------

    takes_pending = True
    """`Tracer.emit_later` may hand this exporter pending records (`emit`)."""

    def emit(self, record: Record | Pending) -> None:
        """Queue ``record`` (a `Record`, or a pending one: ``(build, prepare)``, built by the
        worker); returns at once, never raises (but under tests)."""
        try:
            if self._closed or len(self._items) >= self.settings.queue_size:
                self._drop()
                return
            parent = self._capture() if self._capture is not None else None
            self._items.append((record, parent))
            if self._thread is None:
                self._start()
        except Exception as exc:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error("OtelExporter.emit", exc)

    def flush(self, timeout: float | None = None) -> bool:
        """Send every record emitted so far as spans; True when all were delivered in time."""
        if self._closed:
            return self.failed == 0 and self.dropped == 0
        return self._wait_for(_Flush(), timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Send what is queued, then stop (later records are dropped); safe to call twice."""
        with self._lock:
            if self._closed:
                return self.failed == 0 and self.dropped == 0
            self._closed = True
        atexit.unregister(self._at_exit)
        budget = self.settings.shutdown_timeout if timeout is None else timeout
        if self._thread is None:
            return self.dropped == 0
        return self._wait_for(_Flush(stop=True), budget)

    # -- the caller's side ---------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="agenttrace-otel", daemon=True
                )
                self._thread.start()

    def _wait_for(self, ticket: _Flush, timeout: float | None) -> bool:
        dropped = self.dropped
        thread = self._thread
        if thread is not None and not thread.is_alive():  # stopped by an internal error
            if self.error is not None and raise_internal_errors():
                raise self.error
            return False
        self._items.append(ticket)
        if thread is None:
            self._start()
        self._wake.set()
        done = ticket.done.wait(timeout)
        if self.error is not None and raise_internal_errors():
            raise self.error
        error, self._build_error = self._build_error, None
        if error is not None:
            raise error
        return done and ticket.ok and self.dropped == dropped

    def _drop(self) -> None:
        self.dropped += 1
        now = time.monotonic()
        if now - self._warned_at >= 60.0:
            self._warned_at = now
            reason = "after shutdown()" if self._closed else "while its queue was full"
            logger.warning(
                "agenttrace: %d record(s) not exported as OpenTelemetry spans: emitted %s "
                "(AGENTTRACE_QUEUE_SIZE=%d)",
                self.dropped,
                reason,
                self.settings.queue_size,
            )

    def _at_exit(self) -> None:
        try:
            self.shutdown(self.settings.shutdown_timeout)
        except Exception as exc:  # noqa: BLE001 - never break interpreter exit
            report_internal_error("OtelExporter shutdown at exit", exc)

    # -- the worker thread ---------------------------------------------------------------

    def _make_sink(self) -> Sink:
        from agenttrace._internal.otel_export._sink import OtlpSink, ProviderSink

        if self._tracer_provider is not None:
            return ProviderSink(self._tracer_provider)
        return OtlpSink(
            endpoint=self.settings.otlp_endpoint,
            headers=dict(self.settings.otlp_headers),
            span_exporter=self._span_exporter,
        )

    def _run(self) -> None:
        groups = TraceGroups(idle=self.settings.otlp_idle, max_records=MAX_GROUP)
        self._next_send = 0.0
        """When quiet sessions may be sent next (`SEND_PAUSE`)."""
        if self._tracer_provider is None:  # in the user's, their tracer draws the ids
            self._layouts = SessionLayouts()
        sink: Sink | None = None
        try:
            try:
                sink = self._make_sink()
            finally:
                self._imported.set()
            stop = False
            while not stop:
                due = groups.next_due()
                wait = self.settings.flush_interval
                if due is not None:
                    due = max(due, self._next_send)
                    wait = min(wait, max(due - time.monotonic(), 0.0))
                self._wake.wait(wait)
                self._wake.clear()
                stop = self._step(sink, groups)
        except Exception as exc:  # recorded; flush raises it under tests
            self.error = exc
            self._fail_waiting()
            if not raise_internal_errors():
                logger.warning("agenttrace: the OpenTelemetry export stopped", exc_info=exc)
        finally:
            if sink is not None and self._closed:
                sink.shutdown()

    def _step(self, sink: Sink, groups: TraceGroups) -> bool:
        """Take what is queued; send the groups that are full, quiet or flushed; True once
        the shutdown's ticket is done."""
        ready: list[TraceGroup] = []
        items = self._items
        while items:
            item = items.popleft()
            if isinstance(item, _Flush):
                ready.extend(groups.take_all())
                item.ok = self._send(sink, ready) and sink.flush(self.settings.request_timeout)
                ready = []
                item.done.set()
                if item.stop:
                    return True
                continue
            record, parent = item
            try:
                if isinstance(record, tuple):
                    build, prepare = record
                    record = prepare(build())
                entry = Entry.of(record)  # the record itself is not kept (`Entry`)
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop the rest
                self._unbuilt(exc)
                continue
            full = groups.add(entry, parent, time.monotonic())
            if full is not None:
                ready.append(full)
        now = time.monotonic()
        if now >= self._next_send:
            quiet = groups.take_quiet(now)
            if quiet:
                ready.extend(quiet)
                self._next_send = now + min(SEND_PAUSE, self.settings.otlp_idle)
        self._send(sink, ready)
        return False

    def _unbuilt(self, exc: Exception) -> None:
        """A pending record failed to build (on the worker's thread): it is lost. Logged;
        under tests the next `flush` or `shutdown` raises it on the caller's thread."""
        self.dropped += 1
        if raise_internal_errors():
            self._build_error = self._build_error or exc
        else:
            logger.warning("agenttrace: a record could not be built and was dropped", exc_info=exc)

    def _fail_waiting(self) -> None:
        while self._items:
            item = self._items.popleft()
            if isinstance(item, _Flush):
                item.ok = False
                item.done.set()

    def _send(self, sink: Sink, ready: list[TraceGroup]) -> bool:
        if not ready:
            return True
        spans = lost = 0
        made: list[tuple[SessionLayout, GroupSpans]] = []
        layouts = self._layouts
        for group in ready:
            try:
                layout = layouts.get(group.key[0]) if layouts is not None else None
                group_made = group_spans(group.records, layout)
                sink.add(group_made, group.parent)
            except Exception as exc:  # noqa: BLE001 - one bad group must not stop the rest
                self.error = exc
                lost += len(group.records)
                report_internal_error("the OpenTelemetry export of a session", exc)
                continue
            if layout is not None:  # a later group of the session in this send sees them
                layout.sent.update(group_made.nodes)
                layout.anchors.update(group_made.anchors)
                made.append((layout, group_made))
            spans += len(group_made.spans)
        failed = sink.send()
        if failed:  # which spans failed is not known: send these nodes again next time
            for layout, group_made in made:
                layout.sent.difference_update(group_made.nodes)
        self.dropped += lost
        self.failed += failed
        self.sent += spans - failed
        return failed == 0 and lost == 0
