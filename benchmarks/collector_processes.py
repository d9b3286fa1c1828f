"""Ingest into one SQLite file from one collector process or from two, side by side.

    uv run python benchmarks/collector_processes.py [--records 40000] [--rounds 3]

The collector is bound by one core (validation and SQLite run in one Python process), so
the way to the machine's second core is a second collector process over the same data
directory, with two batches in flight. Three set-ups, pre-serialised batches of 1000
posted with plain ``httpx.Client``s:

* baseline: one collector (``python -m agenttrace.server``), one posting thread;
* two ports: two collectors on two ports over the same SQLite file, one posting thread
  each (each process surely gets one of the two batches in flight);
* ``--workers 2``: one collector started with two worker processes on one port, two
  posting threads (the kernel hands each connection to whichever process accepts it
  first, so both may land on one process).

Every record is checked to be stored exactly once (the collectors' ``total``) before a
figure is printed; the ratios of the medians are the gains.
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
    args = comparison_arguments(__doc__.split("\n", 1)[0], 3, "one/two-process pairs")
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp, ExitStack() as stack:
        data_dir = Path(tmp) / "data"
        first = stack.enter_context(collector_process(data_dir))
        second = stack.enter_context(collector_process(data_dir))
        shared = stack.enter_context(collector_process(Path(tmp) / "data-2", workers=2))
        medians = compare_rounds(
            {"one process": [first], "two ports": [first, second], "--workers 2": [shared] * 2},
            args.records,
            args.rounds,
        )
    single, double, shared_rate = medians.values()
    print(f"one collector process, one batch in flight (baseline): {single:,.0f} records/s")
    print(f"two collector processes on two ports, two in flight:   {double:,.0f} records/s")
    print(f"one collector with --workers 2, two in flight:         {shared_rate:,.0f} records/s")
    print(f"ratio two ports / baseline: {double / single:.2f}")
    print(f"ratio --workers 2 / baseline: {shared_rate / single:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
