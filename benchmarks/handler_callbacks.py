"""What each of the LangChain handler's callbacks costs, replayed outside the graph.

    uv run python benchmarks/handler_callbacks.py [--batches 15] [--per-batch 100]

The supervisor workload of `langchain_overhead` is invoked once with a recording handler;
every callback it received (method and arguments, in order: 86 per invoke) is then
replayed on a fresh `CallbackHandler` whose records go to a `DropExporter` (dropped
unbuilt, as the shipper takes them), batch after batch. The fastest batch counts: a
replay is pure CPU work of ours, so the minimum is what it costs when nothing else runs,
which a machine shared with other jobs still shows, where the ratios of
``langchain_overhead`` (whole invokes, LangChain's dispatch included) move by several
percent from run to run.

Printed: our microseconds per invoke, in all and by callback (a chain start split into
root runs, possible graph nodes and pass-through chains), and that time as a share of
the same invoke without callbacks (its fastest of as many invokes, same run): the part of
``langchain_overhead``'s handler ratio above LangChain's own dispatch floor.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from langchain_overhead import INPUT, DropExporter, build_workload

import agenttrace
from agenttrace_langchain import CallbackHandler

Call = tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def record_callbacks(graph: Any) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """One invoke's callbacks, as a handler received them."""
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    recorder = CallbackHandler()
    for name in dir(CallbackHandler):
        if name.startswith("on_"):
            method = getattr(recorder, name)

            def recorded(*args: Any, _method: Any = method, _name: str = name, **kw: Any) -> Any:
                calls.append((_name, args, kw))
                return _method(*args, **kw)

            setattr(recorder, name, recorded)
    graph.invoke(INPUT, config={"callbacks": [recorder]})
    return calls


def labelled(calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> list[Call]:
    """The calls bound to a fresh handler, each labelled (chain starts by what they are)."""
    handler = CallbackHandler()
    namespaces: dict[Any, str | None] = {}
    out: list[Call] = []
    for name, args, kwargs in calls:
        label = name
        run_id, parent = kwargs.get("run_id"), kwargs.get("parent_run_id")
        inherited = namespaces.get(parent)
        namespace = (kwargs.get("metadata") or {}).get("langgraph_checkpoint_ns")
        if name == "on_chain_start":
            if parent is None:
                label += " (root)"
            elif namespace is None or namespace == inherited:
                label += " (pass-through)"
            else:
                label += " (possible node)"
        namespaces[run_id] = namespace if namespace is not None else inherited
        out.append((label, getattr(handler, name), args, kwargs))
    return out


def replay_costs(calls: list[Call], batches: int, per_batch: int) -> dict[str, float]:
    """Microseconds per invoke by label, from the fastest batch of each label."""
    for _ in range(per_batch):  # warm-up
        for _, method, args, kwargs in calls:
            method(*args, **kwargs)
    clock = time.perf_counter_ns
    best: dict[str, float] = {}
    for _ in range(batches):
        spent: collections.Counter[str] = collections.Counter()
        for _ in range(per_batch):
            for label, method, args, kwargs in calls:
                started = clock()
                method(*args, **kwargs)
                spent[label] += clock() - started
        for label, ns in spent.items():
            us = ns / per_batch / 1000
            best[label] = min(best.get(label, us), us)
    return best


def bare_invoke_us(graph: Any, invokes: int) -> float:
    """The fastest invoke without callbacks, in microseconds."""
    fastest = float("inf")
    for _ in range(invokes):
        started = time.perf_counter()
        graph.invoke(INPUT)
        fastest = min(fastest, time.perf_counter() - started)
    return fastest * 1e6


def main() -> int:
    """Record, replay, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--per-batch", type=int, default=100)
    args = parser.parse_args()
    graph = build_workload()
    agenttrace.configure(exporter=DropExporter())
    calls = labelled(record_callbacks(graph))
    counts = collections.Counter(label for label, *_ in calls)
    costs = replay_costs(calls, args.batches, args.per_batch)
    bare = bare_invoke_us(graph, args.batches * 10)
    total = sum(costs.values())
    print(f"{len(calls)} callbacks per invoke; fastest of {args.batches} batches")
    print(f"{'callback':34} {'calls':>5} {'us each':>8} {'us/invoke':>10}")
    for label, us in sorted(costs.items(), key=lambda item: -item[1]):
        print(f"{label:34} {counts[label]:5d} {us / counts[label]:8.2f} {us:10.1f}")
    print(f"handler callbacks: {total:.0f} us per invoke")
    print(f"invoke without callbacks: {bare:.0f} us (fastest of {args.batches * 10})")
    print(f"callbacks / bare invoke: {total / bare:.3f} (the handler's share above dispatch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
