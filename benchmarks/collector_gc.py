"""The collector's ingest rate with its garbage-collector settings and with CPython's.

    uv run python benchmarks/collector_gc.py [--records 40000] [--rounds 5]

`agenttrace serve` freezes the objects start-up made and raises the collection thresholds
(`agenttrace.server._gc`). This starts two collector processes over two fresh SQLite
files, one as shipped and one that keeps CPython's default thresholds, and posts the same
kind of pre-serialised batches of 1000 into each in turn (plain httpx, one batch in
flight; every record checked stored). The ratio of the medians is the gain.
"""

from __future__ import annotations

import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from _collector import collector_process
from shipper_throughput import compare_rounds, comparison_arguments


def main() -> int:
    """Run the comparison and print its figures."""
    args = comparison_arguments(__doc__.split("\n", 1)[0], 5, "pairs of runs")
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
