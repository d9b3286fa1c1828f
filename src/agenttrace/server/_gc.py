"""Garbage-collector settings for a process that is a collector and nothing else.

Validating a batch of 1000 records makes some 30,000 container objects (the records, their
usage, the dicts and lists of their bodies), and all of them live until the batch is
committed. With CPython's default thresholds (700, 10, 10) that is about 40 young
collections per batch; what survives them soon fills the older generations, and each full
collection walks every object of the process, the app with its routes and schemas
included, although none of the batch's objects is garbage yet.

`tune_for_ingest` freezes what start-up built (it lives as long as the process; a frozen
object is never walked again) and collects young objects every 50,000 allocations rather
than 700. Reference counting still frees a batch's objects as soon as the batch is done;
only cycles wait longer, and a young generation of 50,000 objects is a few MB at most.
`benchmarks/collector_gc.py` measures the collector with and without it (about 1.2x).

Only `agenttrace serve` and its worker processes call it: a process that embeds the
collector in a thread (tests, an application) keeps its own settings.
"""

from __future__ import annotations

import gc

__all__ = ["INGEST_THRESHOLDS", "tune_for_ingest"]

INGEST_THRESHOLDS = (50_000, 20, 100)
"""Allocations before a young collection, then young collections before a middle one and
middle ones before a full one."""


def tune_for_ingest() -> None:
    """Freeze the objects start-up made and raise the collection thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*INGEST_THRESHOLDS)
