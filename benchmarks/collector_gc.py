"""The collector's ingest rate with its garbage-collector settings and with CPython's.

    uv run python benchmarks/collector_gc.py [--records 40000] [--rounds 5]

`agenttrace serve` freezes the objects start-up made and raises the collection thresholds
(`agenttrace.server._gc`). This starts two collector processes over two fresh SQLite
files, one as shipped and one that keeps CPython's default thresholds, and posts the same
kind of pre-serialised batches of 1000 into each in turn (plain httpx, one batch in
flight; every record checked stored). The ratio of the medians is the gain.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from shipper_throughput import BATCH, calibration_ms, collector_process, compare_rounds


def main() -> int:
    """Run the comparison and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=40_000, help="records per run")
    parser.add_argument("--rounds", type=int, default=5, help="pairs of runs")
    args = parser.parse_args()
    print(f"{args.records} records per run, batches of {BATCH}")
    print(f"CPU calibration (a fixed 1M-step Python loop): {calibration_ms():.1f} ms")
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp, ExitStack() as stack:
        shipped = stack.enter_context(collector_process(Path(tmp) / "tuned"))
        plain = stack.enter_context(collector_process(Path(tmp) / "plain", default_gc=True))
        medians = compare_rounds(
            {"default gc": [plain], "as shipped": [shipped]}, args.records, args.rounds
        )
    baseline, shipped_rate = medians["default gc"], medians["as shipped"]
    print(f"CPython's default gc thresholds (baseline): {baseline:,.0f} records/s")
    print(f"agenttrace serve's gc settings:             {shipped_rate:,.0f} records/s")
    print(f"ratio as shipped / default: {shipped_rate / baseline:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
