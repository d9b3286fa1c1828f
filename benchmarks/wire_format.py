"""What leaving None fields out of the batch body saves the collector.

    uv run python benchmarks/wire_format.py [--batches 40] [--rounds 5]

The shipper sends each record as ``model_dump(mode="json", exclude_none=True)``
(`agenttrace._internal.shipping.encode_batch`). This times the collector's parse and
validation of a batch of 1000 typical LLM-call records (``RecordBatch.model_validate_json``,
the fast path of ``POST /v1/records``) for the body with every field written out (the
baseline, as ``model_dump(mode="json")``) and for the body as sent, alternating, on the
same records; and what encoding each costs the shipper. Both bodies are checked to read
back as the same records.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from pydantic import TypeAdapter
from shipper_throughput import BATCH, calibration_ms, make_records

from agenttrace._internal.shipping import encode_batch
from agenttrace.records import Record, RecordBatch

_RECORDS = TypeAdapter(list[Record])
T = TypeVar("T")


def _every_field(records: list[Record]) -> bytes:
    return b'{"records":' + _RECORDS.dump_json(records) + b"}"


def _us_per_record(action: Callable[[T], object], batch: T) -> float:
    """Microseconds per record that ``action(batch)`` takes, for a batch of `BATCH`."""
    started = time.perf_counter()
    action(batch)
    return (time.perf_counter() - started) / BATCH * 1e6


def main() -> int:
    """Run the comparison and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--batches", type=int, default=40, help="batches per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"batches of {BATCH} records, {args.batches} per round")
    print(f"CPU calibration (a fixed 1M-step Python loop): {calibration_ms():.1f} ms")
    parse_full: list[float] = []
    parse_lean: list[float] = []
    encode_full: list[float] = []
    encode_lean: list[float] = []
    for round_number in range(1, args.rounds + 1):
        for _ in range(args.batches):
            records = make_records(BATCH, str(uuid.uuid4()))
            full, lean = _every_field(records), encode_batch(records)
            assert RecordBatch.model_validate_json(full).records == records
            assert RecordBatch.model_validate_json(lean).records == records
            encode_full.append(_us_per_record(_every_field, records))
            encode_lean.append(_us_per_record(encode_batch, records))
            parse_full.append(_us_per_record(RecordBatch.model_validate_json, full))
            parse_lean.append(_us_per_record(RecordBatch.model_validate_json, lean))
        print(
            f"round {round_number}: parse every field {statistics.median(parse_full):.2f} "
            f"us/record, as sent {statistics.median(parse_lean):.2f} us/record"
        )
    size_full, size_lean = len(full) / BATCH, len(lean) / BATCH
    print(f"body: every field {size_full:.0f} bytes/record, as sent {size_lean:.0f} bytes/record")
    full_us, lean_us = statistics.median(parse_full), statistics.median(parse_lean)
    print(f"collector parse + validate, every field (baseline): {full_us:.2f} us/record")
    print(f"collector parse + validate, as sent:                {lean_us:.2f} us/record")
    print(f"ratio baseline / as sent (parse speed-up): {full_us / lean_us:.2f}")
    print(
        f"shipper encode: every field {statistics.median(encode_full):.2f} us/record, "
        f"as sent {statistics.median(encode_lean):.2f} us/record"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
