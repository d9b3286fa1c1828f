"""What the LangChain handler costs a LangGraph run, and that it holds no memory.

    uv run python benchmarks/langchain_overhead.py                 # timing + memory
    uv run python benchmarks/langchain_overhead.py --rounds 400    # more samples
    uv run python benchmarks/langchain_overhead.py --skip-memory   # timing only
    uv run python benchmarks/langchain_overhead.py --profile       # cProfile our handler

Workload: a supervisor (one model call) routing to two ReAct sub-agents (``researcher``:
two tool calls, ``writer``: one), all on offline fake chat models: about 30 traced runs
(chains, model calls, tools) per ``invoke``. Modes, interleaved round by round so that
drift hits all of them alike:

* ``baseline``: no callbacks;
* ``noop``: a do-nothing ``BaseCallbackHandler`` (LangChain's own dispatch floor);
* ``handler``: our `CallbackHandler`, its records handed to an exporter that drops them
  unbuilt, as the shipper takes them (the cost on the caller's thread: run state, paths,
  the record's fields; building, pricing and privacy rules run on the shipper's worker);
* ``built``: the same, but the exporter takes only built records, so the record is built,
  priced and put through the privacy rules on the caller's thread (as before 0.4);
* ``shipped``: our handler with the real background `Shipper` posting to a real collector
  running in a child process; the time includes the worker thread's CPU (same process,
  same GIL) and the final ``flush()`` spread over the runs.

Printed: median milliseconds per ``invoke`` for each mode and the ratios to the baseline
(target: handler <= 1.10x), then process CPU per invoke (target: shipped, export
included, <= 1.2x). The memory check runs one handler for 5,000 invokes after a warm-up
and prints live objects (``gc``) and allocated memory blocks along the way, then the
memory retained (``tracemalloc``) over a few hundred more invokes (tracemalloc slows every
allocation, so not all 5,000).
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
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _collector import start_collector
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph

import agenttrace
from agenttrace.records import Record
from agenttrace_langchain import CallbackHandler
from agenttrace_langchain.testing import FakeChatModel, tool_call

HANDLER_TARGET = 1.10
SHIPPED_CPU_TARGET = 1.2


class DropExporter:
    """Counts records and keeps none (the handler's own cost, no delivery). Like the
    shipper, it takes records still to be built, and drops them unbuilt."""

    takes_pending = True

    def __init__(self) -> None:
        self.count = 0

    def emit(self, record: Record | tuple[Any, Any]) -> None:
        """Count ``record``."""
        self.count += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing to deliver."""
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        """Nothing to stop."""
        return True


class BuildingDropExporter(DropExporter):
    """A `DropExporter` that takes built records only: the tracer builds each one (and
    applies the privacy rules) on the caller's thread before handing it over."""

    takes_pending = False


class NoopHandler(BaseCallbackHandler):
    """Receives every callback and does nothing: LangChain's dispatch floor."""


class RunCounter(BaseCallbackHandler):
    """Counts runs (every ``*_start``)."""

    def __init__(self) -> None:
        self.runs = 0

    def on_chain_start(self, *args: Any, **kwargs: Any) -> None:
        """Count a chain run."""
        self.runs += 1

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        """Count a model run."""
        self.runs += 1

    def on_tool_start(self, *args: Any, **kwargs: Any) -> None:
        """Count a tool run."""
        self.runs += 1


@tool
def search(query: str) -> str:
    """Search the web."""
    return f"results for {query}"


@tool
def fetch(url: str) -> str:
    """Fetch a page."""
    return f"page at {url}"


@tool
def outline(topic: str) -> str:
    """Outline a report."""
    return f"outline of {topic}"


def _agent(name: str, calls: list[tuple[str, dict[str, str]]], tools: list[Any]) -> Any:
    from langgraph.prebuilt import create_react_agent

    def respond(messages: list[BaseMessage]) -> Any:
        done = sum(isinstance(m, ToolMessage) and m.tool_call_id.startswith(name) for m in messages)
        if done < len(calls):
            tool_name, args = calls[done]
            return tool_call(tool_name, args, call_id=f"{name}_{done}")
        return "finished"

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_react_agent(FakeChatModel(respond=respond), tools)


def build_workload() -> Any:
    """Supervisor + researcher (2 tool calls) + writer (1 tool call)."""
    router = FakeChatModel(respond=lambda messages: "researcher then writer")

    def supervisor(state: MessagesState) -> dict[str, Any]:
        return {"messages": [router.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("supervisor", supervisor)
    graph.add_node(
        "researcher",
        _agent(
            "researcher",
            [("search", {"query": "llamas"}), ("fetch", {"url": "x"})],
            [search, fetch],
        ),
    )
    graph.add_node("writer", _agent("writer", [("outline", {"topic": "llamas"})], [outline]))
    graph.add_edge(START, "supervisor")
    graph.add_edge("supervisor", "researcher")
    graph.add_edge("researcher", "writer")
    return graph.compile()


INPUT = {"messages": [("user", "write about llamas")]}


def _timed(graph: Any, config: dict[str, Any]) -> float:
    start = time.perf_counter()
    graph.invoke(INPUT, config=config)
    return time.perf_counter() - start


def measure(rounds: int, collector_url: str, spool: Path) -> None:
    """Interleaved timing of the four modes; prints medians and ratios."""
    graph = build_workload()
    counter = RunCounter()
    graph.invoke(INPUT, config={"callbacks": [counter]})
    drop = DropExporter()
    dropping = agenttrace.configure(exporter=drop)
    building = agenttrace.configure(exporter=BuildingDropExporter())
    shipping = agenttrace.configure(endpoint=collector_url, spool_dir=spool, flush_interval=0.2)
    import agenttrace._internal.tracer as tracer_module

    handler = CallbackHandler()
    modes: dict[str, Callable[[], float]] = {
        "baseline": lambda: _timed(graph, {}),
        "noop": lambda: _timed(graph, {"callbacks": [NoopHandler()]}),
        "handler": lambda: _timed(graph, {"callbacks": [handler]}),
    }

    def with_tracer(tracer: Any, timed: Callable[[], float]) -> float:
        tracer_module._tracer = tracer  # swap tracers without shutting either down
        return timed()

    times: dict[str, list[float]] = {name: [] for name in [*modes, "built", "shipped"]}
    cpu: dict[str, float] = dict.fromkeys(times, 0.0)
    for _ in range(20):  # warm-up
        for timed in modes.values():
            with_tracer(dropping, timed)
        with_tracer(building, modes["handler"])
        with_tracer(shipping, modes["handler"])
    shipping.flush(30)
    gc.collect()
    for _ in range(rounds):
        for name, timed in modes.items():
            before = time.process_time()
            times[name].append(with_tracer(dropping, timed))
            cpu[name] += time.process_time() - before
        before = time.process_time()
        times["built"].append(with_tracer(building, modes["handler"]))
        cpu["built"] += time.process_time() - before
        before = time.process_time()
        times["shipped"].append(with_tracer(shipping, modes["handler"]))
        cpu["shipped"] += time.process_time() - before
    start = time.perf_counter()
    before = time.process_time()
    delivered = shipping.flush(60)
    shipped_flush = time.perf_counter() - start
    cpu["shipped"] += time.process_time() - before
    tracer_module._tracer = dropping
    shipping.shutdown(10)

    base = statistics.median(times["baseline"])
    base_cpu = cpu["baseline"]
    print(f"workload: {counter.runs} traced runs per invoke, {rounds} rounds per mode")
    print(f"records per invoke: {drop.count // (rounds + 20)}")
    header = f"{'mode':10} {'median ms':>10} {'p90 ms':>8} {'ratio':>7}"
    print(f"{header} {'cpu ms/invoke':>14} {'cpu ratio':>10}")
    medians: dict[str, float] = {}
    for name, samples in times.items():
        median = statistics.median(samples)
        if name == "shipped":
            median += shipped_flush / rounds
        medians[name] = median
        p90 = statistics.quantiles(samples, n=10)[-1] * 1000
        cpu_ms = cpu[name] / rounds * 1000
        row = f"{name:10} {median * 1000:10.3f} {p90:8.3f} {median / base:6.2f}x"
        print(f"{row} {cpu_ms:14.3f} {cpu[name] / base_cpu:9.2f}x")
    handler_ratio = medians["handler"] / base
    shipped_cpu_ratio = cpu["shipped"] / base_cpu
    print(f"final flush: {shipped_flush * 1000:.1f} ms (delivered: {delivered})")
    busy = base / (base_cpu / rounds)
    if busy > 1.25:
        print(
            f"note: the baseline's wall time is {busy:.2f}x its CPU time, so this machine is "
            "busy and wall-time ratios are noisy; the CPU ratios are the steadier figures"
        )
    print(
        f"handler {handler_ratio:.2f}x (target <= {HANDLER_TARGET}x): "
        f"{'OK' if handler_ratio <= HANDLER_TARGET else 'OVER'}; "
        f"shipped CPU {shipped_cpu_ratio:.2f}x (target <= {SHIPPED_CPU_TARGET}x): "
        f"{'OK' if shipped_cpu_ratio <= SHIPPED_CPU_TARGET else 'OVER'}"
    )


def _live() -> tuple[int, int]:
    gc.collect()
    return len(gc.get_objects()), sys.getallocatedblocks()


def memory_check(runs: int, warmup: int, traced: int) -> None:
    """One handler for ``runs`` invokes after a warm-up; then ``traced`` more under
    tracemalloc. Prints live objects, allocated blocks and retained bytes."""
    graph = build_workload()
    exporter = DropExporter()
    agenttrace.configure(exporter=exporter)
    handler = CallbackHandler()
    config = {"callbacks": [handler]}
    for _ in range(warmup):
        graph.invoke(INPUT, config=config)
    objects_start, blocks_start = _live()
    print(f"memory: one handler, {warmup} warm-up invokes, then {runs} measured")
    print(f"  {'invokes':>8} {'gc objects':>11} {'alloc blocks':>13} {'live runs':>10}")
    print(f"  {0:8d} {objects_start:11d} {blocks_start:13d} {handler.live_runs:10d}")
    step = max(1, runs // 5)
    for done in range(1, runs + 1):
        graph.invoke(INPUT, config=config)
        if done % step == 0 or done == runs:
            objects, blocks = _live()
            print(f"  {done:8d} {objects:11d} {blocks:13d} {handler.live_runs:10d}")
    objects_end, blocks_end = _live()
    print(
        f"  growth over {runs} invokes: {objects_end - objects_start:+d} gc objects, "
        f"{blocks_end - blocks_start:+d} allocated blocks ({exporter.count} records emitted)"
    )
    for label, traced_config in (("no callbacks", {}), ("handler", config)):
        retained, ours, largest = _traced_window(graph, traced_config, traced)
        print(
            f"  tracemalloc, {traced} more invokes, {label}: {retained / 1024:+.1f} KiB retained; "
            f"agenttrace code holds {ours / 1024:.1f} KiB; largest: {largest}"
        )


def _traced_window(graph: Any, config: dict[str, Any], invokes: int) -> tuple[int, int, str]:
    """Bytes retained over ``invokes`` under tracemalloc, those of agenttrace code, and the
    line holding the most."""
    for _ in range(20):
        graph.invoke(INPUT, config=config)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(invokes):
        graph.invoke(INPUT, config=config)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    ours = sum(
        stat.size
        for stat in snapshot.statistics("filename")
        if "agenttrace" in stat.traceback[0].filename
    )
    top = snapshot.statistics("lineno")[0]
    frame = top.traceback[0]
    filename = frame.filename.split("site-packages/")[-1]
    return after - before, ours, f"{top.size / 1024:.1f} KiB at {filename}:{frame.lineno}"


def profile(rounds: int) -> None:
    """cProfile the handler mode; print our functions by own time."""
    graph = build_workload()
    agenttrace.configure(exporter=DropExporter())
    handler = CallbackHandler()
    for _ in range(10):
        graph.invoke(INPUT, config={"callbacks": [handler]})
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        graph.invoke(INPUT, config={"callbacks": [handler]})
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats("agenttrace", 25)
    stats.sort_stats("cumtime").print_stats("agenttrace_langchain", 15)


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--memory-runs", type=int, default=5000)
    parser.add_argument("--memory-warmup", type=int, default=300)
    parser.add_argument("--memory-traced", type=int, default=300)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        profile(args.rounds)
        return
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        if not args.skip_timing:
            proc, url = start_collector(Path(tmp) / "data")
            try:
                measure(args.rounds, url, Path(tmp) / "spool")
            finally:
                proc.terminate()
                proc.wait(10)
        if not args.skip_memory:
            memory_check(args.memory_runs, args.memory_warmup, args.memory_traced)


if __name__ == "__main__":
    main()
