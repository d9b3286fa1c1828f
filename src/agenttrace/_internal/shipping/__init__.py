"""Background delivery of records to the collector: queue, worker, retries, disk spool.

`Shipper` is the default exporter of `agenttrace._internal.tracer.Tracer`. httpx and
tenacity are imported by its worker thread when it starts, never on the caller's thread.
"""

from __future__ import annotations

from agenttrace._internal.shipping._payload import encode_batch, record_ids
from agenttrace._internal.shipping._shipper import Shipper
from agenttrace._internal.shipping._spool import Spool, SpooledBatch
from agenttrace._internal.shipping._stats import ShipperStats

__all__ = [
    "Shipper",
    "ShipperStats",
    "Spool",
    "SpooledBatch",
    "encode_batch",
    "record_ids",
]
