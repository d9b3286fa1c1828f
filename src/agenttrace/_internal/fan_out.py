"""`FanOut`: one exporter that hands every record to several (the collector and OTLP)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agenttrace._internal.tracer import Exporter
    from agenttrace.records import Record

__all__ = ["FanOut"]


class FanOut:
    """Emits to each exporter in turn; flush and shutdown share one time budget."""

    def __init__(self, exporters: Sequence[Exporter]) -> None:
        self.exporters = tuple(exporters)

    def emit(self, record: Record) -> None:
        """Hand ``record`` to every exporter (each returns at once)."""
        for exporter in self.exporters:
            exporter.emit(record)

    def flush(self, timeout: float | None = None) -> bool:
        """Flush each, within ``timeout`` seconds in all; True when none lost a record."""
        return self._each("flush", timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Shut each down, within ``timeout`` seconds in all (None: each its own default)."""
        return self._each("shutdown", timeout)

    def _each(self, method: str, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        ok = True
        for exporter in self.exporters:
            ok = getattr(exporter, method)(_left(deadline)) and ok
        return ok

    def __repr__(self) -> str:
        return f"<FanOut {', '.join(type(e).__name__ for e in self.exporters)}>"


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)
