"""`FanOut`: one exporter that hands every record to several (the collector and OTLP).

When every exporter takes pending records (the `Shipper` and the `OtelExporter` do), so
does the fan-out: the record is built once, by whichever exporter's worker thread asks
first, and the others get the same record (`SharedBuild`). A build that fails fails for
each of them: each drops the record and counts it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from agenttrace._internal.shipping._buffer import Pending
    from agenttrace._internal.tracer import Exporter, PendingExporter
    from agenttrace.records import Record

__all__ = ["FanOut", "SharedBuild"]

_UNBUILT = object()


def _same(record: Record) -> Record:
    return record


class SharedBuild:
    """A pending record built at most once, for several exporters' worker threads."""

    __slots__ = ("_build", "_error", "_lock", "_prepare", "_record")

    def __init__(self, build: Callable[[], Record], prepare: Callable[[Record], Record]) -> None:
        self._build: Callable[[], Record] | None = build
        self._prepare = prepare
        self._lock = threading.Lock()  # its own: a fork never inherits one held for it
        self._record: object = _UNBUILT
        self._error: Exception | None = None

    def record(self) -> Record:
        """``prepare(build())``, made by the first caller; its error, raised to every caller."""
        with self._lock:
            if self._record is _UNBUILT and self._error is None:
                build, self._build = self._build, None
                try:
                    self._record = self._prepare(cast("Callable[[], Record]", build)())
                except Exception as exc:  # noqa: BLE001 - each exporter drops and counts it
                    self._error = exc
            if self._error is not None:
                raise self._error
            return cast("Record", self._record)


class FanOut:
    """Emits to each exporter in turn; flush and shutdown share one time budget."""

    def __init__(self, exporters: Sequence[Exporter]) -> None:
        self.exporters = tuple(exporters)
        self.takes_pending = all(getattr(e, "takes_pending", False) for e in self.exporters)
        """Whether `Tracer.emit_later` may hand it pending records: when all its exporters
        take them."""

    def emit(self, record: Record | Pending) -> None:
        """Hand ``record`` to every exporter (each returns at once); a pending record is
        handed as one `SharedBuild`."""
        if type(record) is tuple:
            build, prepare = record
            pending = (SharedBuild(build, prepare).record, _same)
            for exporter in self.exporters:
                cast("PendingExporter", exporter).emit(pending)
            return
        for exporter in self.exporters:
            exporter.emit(cast("Record", record))

    def flush(self, timeout: float | None = None) -> bool:
        """Flush each, within ``timeout`` seconds in all; True when none lost a record."""
        return self._each("flush", timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Shut each down, within ``timeout`` seconds in all (None: each its own default)."""
        return self._each("shutdown", timeout)

    def _each(self, method: str, timeout: float | None) -> bool:
        """Every exporter's ``method``, even after one raised (under tests a flush raises
        a record's build error; the others must still flush, or shut down, and drop the
        same error): then the first error is raised."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        ok = True
        error: Exception | None = None
        for exporter in self.exporters:
            try:
                ok = getattr(exporter, method)(_left(deadline)) and ok
            except Exception as exc:  # noqa: BLE001 - raised below, after the others ran
                error = error or exc
        if error is not None:
            raise error
        return ok

    def __repr__(self) -> str:
        return f"<FanOut {', '.join(type(e).__name__ for e in self.exporters)}>"


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)
