"""What the LangChain handler costs with OpenTelemetry export on, against no callbacks.

    uv run python benchmarks/otel_export_overhead.py               # 150 rounds
    uv run python benchmarks/otel_export_overhead.py --rounds 400

Workload: the supervisor graph of `benchmarks/langchain_overhead.py` (a supervisor routing
to two ReAct sub-agents, about 30 traced runs and 6 records per ``invoke``, offline fake
models). Modes, interleaved round by round:

* ``baseline``: no callbacks;
* ``handler``: our handler, records dropped by the exporter (the caller's-thread cost);
* ``otlp``: our handler with ``export_to="otlp"``: the `OtelExporter` building the span
  trees on its thread and the SDK's OTLP/HTTP protobuf exporter posting them to a real
  collector's ``/v1/traces`` (in a child process, so its CPU is not ours);
* ``both``: the native shipper and the OTLP export together, to the same collector.

The wall time of the exporting modes includes the final ``flush()``, spread over the
rounds. Their CPU is their own worker threads' (each exporter's ``agenttrace-*`` threads,
read from the thread's CPU clock, whenever they ran: the export works on records built a
round or a ``otlp_idle`` later, during other modes' rounds) plus the process CPU of their
rounds less any worker's CPU in that time. Printed: median ms per invoke, ratios to the
baseline, CPU per invoke and its ratio, and the CPU of the process during a mode's rounds
as it was counted before (workers' CPU charged to whichever mode was running; target:
otlp <= 1.2x).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _collector import start_collector
from langchain_overhead import INPUT, DropExporter, build_workload

import agenttrace
import agenttrace._internal.tracer as tracer_module
from agenttrace_langchain import CallbackHandler

TARGET = 1.2
WARMUP = 20


def _workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("agenttrace-") and t.ident}


def _cpu(threads: set[threading.Thread]) -> float:
    """The CPU seconds ``threads`` used so far (the ones still alive)."""
    total = 0.0
    for thread in threads:
        with contextlib.suppress(OSError, ValueError):  # ended meanwhile
            total += time.clock_gettime(time.pthread_getcpuclockid(thread.ident or 0))
    return total


def _timed(graph: Any, config: dict[str, Any]) -> float:
    start = time.perf_counter()
    graph.invoke(INPUT, config=config)
    return time.perf_counter() - start


def measure(rounds: int, url: str, spool: Path) -> None:
    """Interleaved rounds of every mode; prints medians, CPU and ratios."""
    graph = build_workload()
    handler = CallbackHandler()
    tracers = {
        "handler": agenttrace.configure(exporter=DropExporter()),
        "otlp": agenttrace.configure(
            url, otlp_endpoint=url, export_to="otlp", spool_dir=spool, flush_interval=0.2
        ),
        "both": agenttrace.configure(
            url, otlp_endpoint=url, export_to="both", spool_dir=spool, flush_interval=0.2
        ),
    }

    def run(mode: str) -> float:
        if mode == "baseline":
            return _timed(graph, {})
        tracer_module._tracer = tracers[mode]
        return _timed(graph, {"callbacks": [handler]})

    modes = ["baseline", *tracers]
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    cpu: dict[str, float] = dict.fromkeys(modes, 0.0)
    process_cpu: dict[str, float] = dict.fromkeys(modes, 0.0)
    owned: dict[str, set[threading.Thread]] = {mode: set() for mode in modes}
    for mode in modes:  # each mode's first round and flush start its exporter's threads
        known = _workers()
        run(mode)
        if mode in ("otlp", "both"):
            tracers[mode].flush(60)
        owned[mode] = _workers() - known
    workers = set().union(*owned.values())
    for _ in range(WARMUP):
        for mode in modes:
            run(mode)
    for mode in ("otlp", "both"):
        tracers[mode].flush(60)
    gc.collect()
    worker_start = {mode: _cpu(owned[mode]) for mode in modes}
    for _ in range(rounds):
        for mode in modes:
            before, before_workers = time.process_time(), _cpu(workers)
            times[mode].append(run(mode))
            spent = time.process_time() - before
            process_cpu[mode] += spent
            cpu[mode] += spent - (_cpu(workers) - before_workers)
    flushes: dict[str, float] = {}
    for mode in ("otlp", "both"):
        start, before, before_workers = time.perf_counter(), time.process_time(), _cpu(workers)
        delivered = tracers[mode].flush(120)
        flushes[mode] = time.perf_counter() - start
        spent = time.process_time() - before
        process_cpu[mode] += spent
        cpu[mode] += spent - (_cpu(workers) - before_workers)
        print(f"{mode}: final flush {flushes[mode] * 1000:.0f} ms, delivered: {delivered}")
    for mode in modes:
        cpu[mode] += _cpu(owned[mode]) - worker_start[mode]
    stray = _workers() - workers
    if stray:
        print("threads not attributed to a mode:", sorted(t.name for t in stray))
    tracer_module._tracer = tracers["handler"]
    for mode in ("otlp", "both"):
        tracers[mode].shutdown(10)

    base, base_cpu = statistics.median(times["baseline"]), cpu["baseline"]
    print(f"{rounds} rounds per mode (after {WARMUP} warm-up rounds)")
    base_process = process_cpu["baseline"]
    print(
        f"{'mode':9} {'median ms':>10} {'ratio':>7} {'cpu ms/invoke':>14} {'cpu ratio':>10}"
        f" {'(in its rounds)':>16}"
    )
    for mode in modes:
        median = statistics.median(times[mode]) + flushes.get(mode, 0.0) / rounds
        print(
            f"{mode:9} {median * 1000:10.3f} {median / base:6.2f}x "
            f"{cpu[mode] / rounds * 1000:14.3f} {cpu[mode] / base_cpu:9.2f}x"
            f" {process_cpu[mode] / base_process:15.2f}x"
        )
    otlp_wall = (statistics.median(times["otlp"]) + flushes["otlp"] / rounds) / base
    otlp_cpu = cpu["otlp"] / base_cpu
    verdict = "OK" if max(otlp_wall, otlp_cpu) <= TARGET else "OVER"
    print(f"otlp export: {otlp_wall:.2f}x wall, {otlp_cpu:.2f}x CPU (target <= {TARGET}x)", verdict)


def main() -> None:
    """Start a collector in a child process and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agenttrace-otel-bench-") as tmp:
        proc, url = start_collector(Path(tmp) / "data")
        try:
            measure(args.rounds, url, Path(tmp) / "spool")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
