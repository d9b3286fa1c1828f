"""What `ManualLogger.log_request` costs the caller, beyond the operation itself.

    uv run python benchmarks/log_request.py                      # unreachable collector
    uv run python benchmarks/log_request.py --collector          # a real collector (SQLite)
    uv run python benchmarks/log_request.py --profile            # cProfile the logged path

The tracer is the real one, its exporter the real background `Shipper`, pointed by default
at a port where nothing listens (so its worker retries and spools to a temporary directory
while we measure; the caller must not feel it). ``--collector`` starts a real collector on
127.0.0.1 in a child process instead. Each round times every call of a trivial operation
one by one, first called directly and then through ``log_request``; rounds alternate so
that drift hits both alike. Printed: median (and p90 / p99) nanoseconds per call of each,
the difference of the medians in microseconds (budget: 10 µs) and their ratio.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _collector import free_port, start_collector

import agenttrace
from agenttrace._internal.manual_logger import ManualLogger
from agenttrace._internal.recorder import ResultRecorder

BUDGET_US = 10.0


def unreachable_endpoint() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}"


def operation(recorder: Any) -> int:
    """The trivial operation: record a small result, return a number."""
    recorder.append_results({"hits": 3})
    return 1


def time_calls(call: Callable[[], object], n: int) -> list[int]:
    """Nanoseconds of each of ``n`` calls."""
    clock = time.perf_counter_ns
    samples = [0] * n
    for i in range(n):
        start = clock()
        call()
        samples[i] = clock() - start
    return samples


def percentile(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def scenarios(logger: ManualLogger) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """name -> (direct call, logged call) of the same operation."""
    request = {"_type": "tool", "toolName": "search", "input": {"query": "weather in Paris"}}
    headers = {"Helicone-Session-Id": "bench-session", "Helicone-Session-Path": "/agent/search"}

    def direct() -> object:
        return operation(ResultRecorder(request))

    return {
        "tool call inside agenttrace.session()": (
            direct,
            lambda: logger.log_request(request, operation),
        ),
        "tool call with Helicone session headers": (
            direct,
            lambda: logger.log_request(request, operation, headers),
        ),
    }


def run(args: argparse.Namespace, endpoint: str, spool_dir: Path) -> bool:
    tracer = agenttrace.configure(endpoint, spool_dir=str(spool_dir))
    logger = ManualLogger()
    within_budget = True
    print(f"endpoint {endpoint}; {args.rounds} rounds x {args.calls} calls per scenario")
    with agenttrace.session(name="benchmark", path="/agent"):
        for name, (direct, logged) in scenarios(logger).items():
            for _ in range(2_000):  # warm up: caches, pricing tables, the shipper's worker
                direct()
                logged()
            direct_ns: list[int] = []
            logged_ns: list[int] = []
            for _ in range(args.rounds):
                direct_ns += time_calls(direct, args.calls)
                logged_ns += time_calls(logged, args.calls)
            d50, l50 = statistics.median(direct_ns), statistics.median(logged_ns)
            extra_us = (l50 - d50) / 1000
            within_budget = within_budget and extra_us <= BUDGET_US
            print(f"\n{name}")
            for label, samples in (("direct", direct_ns), ("log_request", logged_ns)):
                print(
                    f"  {label:<12} median {statistics.median(samples):>8.0f} ns"
                    f"   p90 {percentile(samples, 0.9):>8.0f} ns"
                    f"   p99 {percentile(samples, 0.99):>8.0f} ns"
                )
            print(
                f"  cost to the caller: {extra_us:.2f} µs per call (budget {BUDGET_US:.0f} µs),"
                f" ratio {l50 / d50:.1f}x"
            )
    if args.profile:
        _, logged = next(iter(scenarios(logger).values()))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.calls):
            logged()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    delivered = tracer.flush(args.flush_timeout)
    print(f"\nshipper: {getattr(tracer.exporter, 'stats', None)}; all delivered: {delivered}")
    tracer.shutdown(1.0)
    return within_budget


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5_000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--collector", action="store_true", help="ship to a real collector")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the path")
    parser.add_argument("--flush-timeout", type=float, default=0.5)
    args, _ = parser.parse_known_args()
    gc.collect()
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        spool_dir = Path(tmp) / "spool"
        if args.collector:
            args.flush_timeout = max(args.flush_timeout, 30.0)
            proc, endpoint = start_collector(Path(tmp) / "data")
            try:
                ok = run(args, endpoint, spool_dir)
            finally:
                proc.terminate()
                proc.wait(10)
        else:
            ok = run(args, unreachable_endpoint(), spool_dir)
    print("within budget" if ok else "OVER BUDGET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
