"""Encoding the next batch on a second thread while the worker posts the current one.

Serialising a batch of 1000 records takes the worker a few milliseconds of CPU; done while
the previous batch is on the wire (the worker thread waits on the socket, without the GIL)
it no longer adds to the time between two posts. The encoding waits until the request
body is on the wire (``start``): encoding holds the GIL, and the worker still needs it to
send. The thread only runs `encode_records`, a pure function: everything that decides where
records go (and counts what was repaired or left out) stays on the worker thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from agenttrace._internal.shipping._payload import EncodedBatch, encode_records
from agenttrace.records import Record

__all__ = ["BatchEncoder"]

_Job = tuple[Sequence[Record], threading.Event, "Future[EncodedBatch]"]


class BatchEncoder:
    """One daemon thread, started on first use, encoding batches in submission order."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, records: Sequence[Record], start: threading.Event) -> Future[EncodedBatch]:
        """The body of ``records``, encoded once ``start`` is set; encoded here and now if
        no thread can start (at interpreter shutdown)."""
        future: Future[EncodedBatch] = Future()
        if self._thread is None:
            thread = threading.Thread(target=self._run, name="agenttrace-encoder", daemon=True)
            try:
                thread.start()
            except RuntimeError:
                _encode_into(records, future)
                return future
            self._thread = thread
        self._jobs.put((records, start, future))
        return future

    def close(self) -> None:
        """Let the thread end once the jobs before this call are done."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread = None

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            records, start, future = job
            start.wait()
            _encode_into(records, future)


def _encode_into(records: Sequence[Record], future: Future[EncodedBatch]) -> None:
    try:
        future.set_result(encode_records(records))
    except BaseException as exc:  # noqa: BLE001 - handed to the worker, which reports it
        future.set_exception(exc)
