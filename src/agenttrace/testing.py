"""Helpers for testing code that is traced with agenttrace.

>>> exporter = InMemoryExporter()
>>> _ = agenttrace.configure(exporter=exporter)   # doctest: +SKIP
>>> ... run the code ...                          # doctest: +SKIP
>>> exporter.records                              # doctest: +SKIP
"""

from __future__ import annotations

import threading

from agenttrace.records import Record

__all__ = ["InMemoryExporter"]


class InMemoryExporter:
    """Keeps emitted records in a list, in emission order. Thread-safe."""

    def __init__(self) -> None:
        self._records: list[Record] = []
        self._lock = threading.Lock()
        self.closed = False

    @property
    def records(self) -> list[Record]:
        """A copy of the records emitted so far."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget the records emitted so far."""
        with self._lock:
            self._records.clear()

    def emit(self, record: Record) -> None:
        """Keep ``record`` (dropped after `shutdown`)."""
        if self.closed:
            return
        with self._lock:
            self._records.append(record)

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing to deliver: always True."""
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop keeping records."""
        self.closed = True
        return True
