"""The reliability soak, standalone: steady emission under random collector faults.

    uv run python benchmarks/soak.py [--seconds 900] [--threads 3] [--rate 40] [--seed N]

A real collector process (SQLite, in a temporary directory) behind a TCP proxy; a
`Shipper` in this process emits ``--threads`` x ``--rate`` records per second while a
seeded schedule kills (-9), restarts, slows and cuts off the collector (see
``tests/reliability/faultkit/soak.py``, the same code that ``tests/reliability/test_soak.py``
runs for 30 s). At the end it flushes and compares the database with what was emitted.

It prints the report (emitted, acknowledged, stored, duplicates, spooled, faults, recovery
times, emit latency) and exits 0 only when every record was stored exactly once.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from faultkit.soak import SoakConfig, run_soak


def main() -> int:
    """Parse the arguments, run the soak, print the report; 0 when exact."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=900.0, help="emission time (900)")
    parser.add_argument("--threads", type=int, default=3, help="emitter threads (3)")
    parser.add_argument("--rate", type=float, default=40.0, help="records/s per thread (40)")
    parser.add_argument("--seed", type=int, default=None, help="fault schedule (random)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    with tempfile.TemporaryDirectory(prefix="agenttrace-soak-") as temporary:
        workdir = args.workdir or Path(temporary)
        config = SoakConfig(
            seconds=args.seconds,
            workdir=workdir,
            threads=args.threads,
            rate_per_thread=args.rate,
            seed=seed,
        )
        started = time.monotonic()

        def log(line: str) -> None:
            print(f"[{time.monotonic() - started:7.1f}s] {line}", flush=True)

        log(f"soak for {args.seconds:g} s, seed {seed}, files in {workdir}")
        report = run_soak(config, log=log)
        log("done")
    print(report.summary())
    print("EXACT: every emitted record stored once" if report.exact else "FAILED")
    return 0 if report.exact else 1


if __name__ == "__main__":
    sys.exit(main())
